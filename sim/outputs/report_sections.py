"""The report's decision sections, as HTML fragments.

The executive summary, per-mission findings, variant definitions, the scenario's own
assumptions, and observed against simulated.

Each function returns an HTML fragment built from a run folder's summaries and its copy of the
scenario file; the wording comes from :mod:`sim.outputs.findings`. :mod:`sim.outputs.report`
puts the fragments in order.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd

from sim.outputs import findings

ASSUMPTION = re.compile(r"#\s*(.*\bassumptions?\b.*)$", re.IGNORECASE)
"""A comment in a scenario file that states an assumption (``# assumption: …``)."""


def esc(value: Any) -> str:
    """HTML-escaped text."""
    return html.escape(str(value))


def read(path: Path) -> pd.DataFrame | None:
    """A summary table, or ``None`` when the run folder has none of that name."""
    return pd.read_parquet(path) if path.exists() else None


def executive_summary(run_dir: Path, variants: list[str], descriptions: dict[str, str],
                      replications: Any) -> str:
    """What changes, by how much and how sure, per variant; then the targets, in sentences."""
    comparison = read(run_dir / "summary" / "comparison.parquet")
    targets = read(run_dir / "summary" / "targets.parquet")
    parts = []
    if comparison is not None and len(variants) > 1:
        parts.append(
            f"<p>Each variant is compared with the base over {esc(replications)} paired "
            "replications (common random numbers). A change is <strong>clear</strong> when the "
            "95% confidence interval of the paired difference excludes zero; with several "
            "outcomes and variants, about one in twenty clear differences can arise by chance "
            "alone.</p>")
        found = findings.differences(comparison)
        for variant in [v for v in variants if v != "base"]:
            mine = [f for f in found if f.variant == variant]
            clear = [f for f in mine if f.clear]
            unclear = [f for f in mine if not f.clear]
            parts.append(f"<h3>{esc(variant)}</h3>")
            if descriptions.get(variant):
                parts.append(f"<p class=note>{esc(descriptions[variant])}</p>")
            if clear:
                parts.append("<ul>" + "".join(f"<li class=sig>{esc(f.text)}</li>"
                                              for f in clear) + "</ul>")
            else:
                parts.append("<p>No headline outcome changes clearly.</p>")
            if unclear:
                parts.append("<details><summary>No clear change in "
                             f"{len(unclear)} other headline outcomes</summary><ul>"
                             + "".join(f"<li>{esc(f.text)}</li>" for f in unclear)
                             + "</ul></details>")
    else:
        outcomes = read(run_dir / "summary" / "outcomes.parquet")
        if outcomes is not None and variants:
            sentences = findings.run_sentences(outcomes, variants[0])
            parts.append("<p>All missions, mean over replications with its 95% confidence "
                         "interval:</p><ul>" + "".join(f"<li>{esc(s)}</li>" for s in sentences)
                         + "</ul>")
    if targets is not None:
        sentences = findings.target_sentences(targets)
        if sentences:
            parts.append("<p><strong>Women's-share targets</strong> (judged on the target date; "
                         "95% Wilson intervals):</p><ul>"
                         + "".join(f"<li>{esc(s)}</li>" for s in sentences) + "</ul>")
    return "".join(parts) or "<p>No summaries in this run folder.</p>"


def mission_findings(run_dir: Path, missions: list[str]) -> str:
    """Per mission: the clear differences from the base (compare runs only)."""
    comparison = read(run_dir / "summary" / "comparison.parquet")
    if comparison is None:
        return ""
    parts = []
    for mission in missions:
        clear = [f for f in findings.differences(comparison, mission) if f.clear]
        body = ("<ul>" + "".join(f"<li class=sig>{esc(f.text)}</li>" for f in clear) + "</ul>"
                if clear else "<p>No clear difference from the base in the headline "
                "outcomes.</p>")
        parts.append(f"<h3>{esc(mission)}</h3>{body}")
    return "".join(parts)


def _value(value: Any) -> str:
    """A YAML value as compact text (mappings and lists inline)."""
    if isinstance(value, dict | list):
        return json.dumps(value, default=str, ensure_ascii=False)
    return "empty" if value is None else str(value)


def variant_definitions(raw: dict[str, Any], variants: list[str]) -> str:
    """What each variant changes: what it extends, the values it sets, the levers it adds."""
    spec = raw.get("variants") or {}
    rows: list[tuple[str, str, list[Any], list[Any]]] = []
    for name in variants:
        if name == "base":
            levers = raw.get("policies") or []
            rows.append(("base", "", [], levers))
            continue
        v = spec.get(name) or {}
        rows.append((name, ", ".join(v.get("extends") or []), list((v.get("set") or {})
                                                                    .items()),
                     v.get("policies") or []))
    out = []
    for name, extends, sets, levers in rows:
        items = []
        if extends:
            items.append(f"<li>starts from: {esc(extends)}</li>")
        items += [f"<li>sets <code>{esc(k)}</code> = <code>{esc(_value(v))}</code></li>"
                  for k, v in sets]
        for lever in levers:
            params = ", ".join(f"{k}: {_value(v)}" for k, v in lever.items() if k != "lever")
            items.append(f"<li>lever <code>{esc(lever.get('lever', '?'))}</code>"
                         f"{' (' + esc(params) + ')' if params else ''}</li>")
        if not items:
            items.append("<li>no levers</li>" if name == "base" else "<li>no changes</li>")
        label = "base policies" if name == "base" else name
        out.append(f"<dt>{esc(label)}</dt><dd><ul>{''.join(items)}</ul></dd>")
    return f"<dl class=defs>{''.join(out)}</dl>"


def scenario_assumptions(text: str) -> list[tuple[int, str, str]]:
    """``(line, setting, assumption)`` of every comment in a scenario file naming an assumption.

    ``setting`` is the YAML on that line before the comment (empty for a comment line).
    """
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        if "#" not in line:
            continue
        code, _, comment = line.partition("#")
        match = ASSUMPTION.search("#" + comment)
        if match:
            out.append((number, code.strip(), match.group(1).strip()))
    return out


def assumptions_section(run_dir: Path) -> str:
    """The scenario file's own ``assumption`` comments, as a collapsible table."""
    path = run_dir / "scenario.yaml"
    if not path.exists():
        return ""
    found = scenario_assumptions(path.read_text(encoding="utf-8"))
    if not found:
        return "<p>The scenario file states no assumptions in comments.</p>"
    rows = "".join(f"<tr><td>{n}</td><td><code>{esc(setting)}</code></td><td>{esc(why)}</td>"
                   "</tr>" for n, setting, why in found)
    return (f"<details><summary>{len(found)} assumptions stated in the scenario file "
            "(scenario.yaml in the run folder)</summary><table class=desc><thead><tr><th>line"
            "</th><th>setting</th><th>assumption</th></tr></thead><tbody>"
            f"{rows}</tbody></table></details>")


def observed_section(run_dir: Path) -> str:
    """Published figures next to the simulated median and 90% band (historical scenarios)."""
    matched = read(run_dir / "summary" / "validation.parquet")
    if matched is None or matched.empty:
        return ""
    rows = []
    for r in matched.to_dict("records"):
        share = r["metric"] == "women_share"
        scale, fmt = (100, "{:.1f}%") if share else (1, "{:,.0f}")
        inside = "yes" if r["inside_90"] else "<strong>no</strong>"
        rows.append(
            f"<tr><td>{pd.Timestamp(r['date']):%Y-%m-%d}</td><td>{esc(r['mission'])}</td>"
            f"<td>{esc(r['category'])}</td><td>{esc(r['metric'])}</td>"
            f"<td>{fmt.format(r['observed'] * scale)}</td>"
            f"<td>{fmt.format(r['sim_median'] * scale)}</td>"
            f"<td>{fmt.format(r['sim_p5'] * scale)}–{fmt.format(r['sim_p95'] * scale)}</td>"
            f"<td>{inside}</td><td>{esc(r.get('source', ''))}</td></tr>")
    return ("<table><thead><tr><th>date</th><th>mission</th><th>category</th><th>metric</th>"
            "<th>published</th><th>simulated median</th><th>90% band</th><th>inside</th>"
            f"<th>source</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
            "<p class=note>Published figures the scenario carries (<code>observed:</code>), "
            "each against the simulated median and 90% band of the first variant.</p>")


__all__ = ["assumptions_section", "executive_summary", "mission_findings", "observed_section",
           "scenario_assumptions", "variant_definitions"]
