"""The starter scenario ``ppsim init`` writes: small, commented, and valid as written.

``docs/scenarios.md`` shows the same text as its minimal example (a test keeps them equal).
"""

from __future__ import annotations

STARTER = """\
# yaml-language-server: $schema=scenario.schema.json
# A starter ppsim scenario (`ppsim init`): two contributors, one mission, one variant.
# Field reference: docs/scenarios.md; `ppsim levers` lists the policies; `ppsim check FILE`.
# For editor completion, write the schema beside this file: ppsim schema > scenario.schema.json
name: starter
description: One mission staffed by two contributors; what a women's quota changes.
run:
  start: 2025-01-01     # first simulated day (ISO date)
  years: 5              # horizon
  seed: 1               # root seed: same seed, same results
  replications: 20      # default number of replications
contributors:
  - name: Ruritania
    police_strength: 50000    # national police officers
    women_share: 0.15         # women among them
    eligible_share: 0.02      # share eligible and available for UN service (the pool)
    languages: [en, fr]
    ipo_propensity: 0.6       # chance a call for an individual officer is answered
    fpu_capacity: 2           # formed units it can field at once
    skills: {investigation: 0.05}   # share of the pool with each specialist skill
  - name: Freedonia
    police_strength: 20000
    women_share: 0.25
    eligible_share: 0.02
    languages: [en]
missions:
  - name: Mission A
    start: 2020-01-01
    languages: [en]
    hardship: 0.6             # 0 easy ... 1 hardest; lowers willingness to nominate
    ipo_posts: {2020-01-01: 150}          # authorized individual officers, step schedule
    fpu_units: {2020-01-01: 2}            # authorized formed units
    specialist_posts: {investigation: 10} # coded individual posts (part of ipo_posts)
    women_target:
      ipo: {2028-01-01: 0.30}             # 30 % women among individual officers by 2028
    initial: {ipo: 120, ipo_women_share: 0.2, fpu_units: 2}
variants:
  quota:
    description: From 2026, calls ask for at least 40 % women among nominees.
    policies:
      - {lever: women_nomination_quota, start: 2026-01-01, share: 0.4}
  quota_and_faster:
    description: The quota plus twice the assessment teams.
    extends: [quota]
    set: {pipeline.assessment.teams: 8}
"""
"""The starter scenario's YAML text."""
