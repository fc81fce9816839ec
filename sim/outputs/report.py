"""A shareable report: one self-contained HTML file per run folder.

:func:`write_report` gathers the scenario summary, the key findings (outcome means with 95%
confidence intervals, paired differences for compare runs, probabilities of meeting the
women's-share targets), every standard figure (embedded as PNG data, so the file needs no
network and no other file to be viewed or forwarded), the model's main assumptions with where
the parameters come from, and the run's provenance. It is written under a temporary name and
renamed when whole.
"""

from __future__ import annotations

import base64
import html
import os
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import ResultsError, StorageError, os_error_message
from sim.runs.folder import read_manifest

FIGURE_TITLES = {
    "deployed": "Police deployed against authorized strength",
    "women_share": "Women's share against the gender-parity targets",
    "differences": "Differences from the base (paired, 95% CI)",
    "specialist_coverage": "Specialist coverage by skill",
    "time_to_deploy": "Time from vacancy to deployment",
    "pipeline_flow": "Individual-officer pipeline per year",
    "contributors": "Who contributes police",
}
"""Figures in report order, with their section titles."""

FINDINGS = [
    ("mean_deployed", "all", "Police deployed (mean over the run)", False),
    ("mean_vacancy_rate", "ipo", "IPO vacancy rate (mean)", True),
    ("final_women_share", "ipo", "Women's share of IPOs (final month)", True),
    ("final_women_share", "fpu", "Women's share of FPUs (final month)", True),
    ("mean_specialist_coverage", "ipo", "Specialist coverage (mean)", True),
    ("median_time_to_deploy", "ipo", "Days from vacancy to deployment, IPO (median)", False),
    ("unit_gap_days", "fpu", "FPU rotation gaps (unit-days, whole run)", False),
]
"""Key findings: (outcome, category, label, is a share)."""

CASEWORK_FINDINGS = [
    ("cases_cleared", "all", "Cases cleared (whole run)", False),
    ("case_backlog", "all", "Cases waiting for a slot (monthly mean)", False),
    ("cost_per_case_cleared", "all", "Casework cost per case cleared (USD)", False),
]
"""Casework findings, shown when the scenario has casework."""

ASSUMPTIONS = [
    "Individual officers are simulated one by one through nomination, assessment (limited "
    "assessment teams), selection, travel, a tour and rotation; formed units and specialized "
    "teams move as blocks of officers.",
    "Contributors answer calls in proportion to their available eligible officers and their "
    "propensity, lowered by a mission's hardship; officers rest for a cool-down after a tour.",
    "Replacements are called for ahead of known rotations; a late formed-unit replacement "
    "leaves a rotation gap.",
    "Action-plan levers change pure decision rules from their start dates. INTERPOL levers act "
    "on simulated casework (queries at intake that may hit a record, expert case slots, "
    "capacity building of contributors' specialists, hypothetical vetting of nominees); their "
    "effect sizes are assumptions, not published figures.",
    "All variants share random numbers replication by replication (common random numbers), so "
    "differences between variants are paired.",
]


def _esc(value: Any) -> str:
    return html.escape(str(value))


def _fmt(value: float, share: bool, signed: bool = False) -> str:
    if value != value:  # NaN
        return "–"
    if share:
        value *= 100
    sign = "+" if signed and value > 0 else ""
    if share or abs(value) < 100:
        return f"{sign}{value:,.1f}"
    return f"{sign}{value:,.0f}"


def _interval(mean: float, low: float, high: float, share: bool, signed: bool = False) -> str:
    text = _fmt(mean, share, signed)
    if low == low and high == high and low != high:
        text += f" <span class=ci>[{_fmt(low, share, signed)}, {_fmt(high, share, signed)}]</span>"
    return text


def _read(path: Path) -> pd.DataFrame | None:
    return pd.read_parquet(path) if path.exists() else None


def _findings_table(run_dir: Path, variants: list[str],
                    findings: list[tuple[str, str, str, bool]] = FINDINGS) -> str:
    """Outcome means with CIs per variant, and paired differences in compare runs."""
    comparison = _read(run_dir / "summary" / "comparison.parquet")
    outcomes = _read(run_dir / "summary" / "outcomes.parquet")
    if outcomes is None:
        return "<p>No outcome summary in this run folder.</p>"
    compare = comparison is not None and len(variants) > 1
    head = "".join(f"<th>{_esc(v)}</th>" for v in variants)
    if compare:
        head += "".join(f"<th>{_esc(v)} − base</th>" for v in variants if v != "base")
    rows = []
    for outcome, category, label, share in findings:
        sel = outcomes[(outcomes["outcome"] == outcome) & (outcomes["mission"] == "ALL")
                       & (outcomes["category"] == category)]
        if sel.empty:
            continue
        cells = []
        for variant in variants:
            r = sel[sel["variant"] == variant]
            cells.append("<td>–</td>" if r.empty else "<td>" + _interval(
                float(r["mean"].iloc[0]), float(r["ci_low"].iloc[0]), float(r["ci_high"].iloc[0]),
                share) + "</td>")
        if compare and comparison is not None:
            diff = comparison[(comparison["outcome"] == outcome) & (comparison["at"] == "horizon")
                              & (comparison["mission"] == "ALL")
                              & (comparison["category"] == category)]
            for variant in variants:
                if variant == "base":
                    continue
                r = diff[diff["variant"] == variant]
                cells.append("<td>–</td>" if r.empty else "<td>" + _interval(
                    float(r["diff_mean"].iloc[0]), float(r["diff_ci_low"].iloc[0]),
                    float(r["diff_ci_high"].iloc[0]), share, signed=True) + "</td>")
        unit = " (%)" if share else ""
        rows.append(f"<tr><th scope=row>{_esc(label)}{unit}</th>{''.join(cells)}</tr>")
    note = ("Mean over replications with its 95% confidence interval; differences are paired "
            "over replications (common random numbers), shares in percentage points.")
    return (f"<table><thead><tr><th>All missions</th>{head}</tr></thead><tbody>"
            f"{''.join(rows)}</tbody></table><p class=note>{note}</p>")


def _casework_section(run_dir: Path, variants: list[str]) -> list[str]:
    """Casework findings and figure, when the run simulated casework (else nothing)."""
    outcomes = _read(run_dir / "summary" / "outcomes.parquet")
    if outcomes is None or not outcomes["outcome"].isin(["cases_cleared"]).any():
        return []
    parts = ["<h2>Casework</h2>",
             "<p>Transnational-crime cases worked by serving eligible specialists, host-state "
             "counterparts and INTERPOL support, in the missions with casework (caseloads and "
             "INTERPOL effects are assumptions: see the scenario file).</p>",
             _findings_table(run_dir, variants, CASEWORK_FINDINGS)]
    path = run_dir / "plots" / "casework.png"
    if path.exists():
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        parts.append(f"<figure><img alt=\"Casework\" src=\"data:image/png;base64,{data}\">"
                     "<figcaption>Transnational-crime casework</figcaption></figure>")
    return parts


def _targets_table(run_dir: Path, variants: list[str]) -> str:
    """Probability of meeting each women's-share target by its date, one column per variant."""
    targets = _read(run_dir / "summary" / "targets.parquet")
    if targets is None or targets.empty:
        return "<p>The scenario sets no women's-share targets.</p>"
    keys = ["mission", "category", "target_date", "target_share"]
    rows = []
    for key, group in targets.groupby(keys, sort=True, observed=True):
        mission, category, when, share = (str(key[0]), str(key[1]), pd.Timestamp(str(key[2])),
                                          float(str(key[3])))
        cells = []
        for variant in variants:
            r = group[group["variant"] == variant]
            cells.append("<td>–</td>" if r.empty else "<td>" + _interval(
                float(r["probability"].iloc[0]), float(r["ci_low"].iloc[0]),
                float(r["ci_high"].iloc[0]), True) + "</td>")
        rows.append(f"<tr><td>{_esc(mission)}</td><td>{_esc(str(category).upper())}</td>"
                    f"<td>{when:%Y-%m-%d}</td><td>{100 * share:.0f}%</td>"
                    f"{''.join(cells)}</tr>")
    head = "".join(f"<th>{_esc(v)}</th>" for v in variants)
    return ("<table><thead><tr><th>mission</th><th>category</th><th>target date</th>"
            f"<th>target share</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            "<p class=note>Probability (%) that the women's share reached the target by its "
            "date: the share of replications that did, with a 95% Wilson interval.</p>")


def _figures(run_dir: Path) -> str:
    """Every figure of the run as an embedded PNG, drawing them first if needed."""
    plots_dir = run_dir / "plots"
    missing = [n for n in FIGURE_TITLES if not (plots_dir / f"{n}.png").exists()]
    if missing:
        from sim.outputs import plots

        plots.make_all(run_dir, formats=("png",))
    parts = []
    for name, title in FIGURE_TITLES.items():
        path = plots_dir / f"{name}.png"
        if not path.exists():
            continue
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        parts.append(f"<figure><img alt=\"{_esc(title)}\" src=\"data:image/png;base64,{data}\">"
                     f"<figcaption>{_esc(title)}</figcaption></figure>")
    return "".join(parts)


def _events_section(run_dir: Path, scenarios: dict[str, dict[str, Any]],
                    variants: list[str]) -> list[str]:
    """``<h2>Events</h2>``, a table of each variant's events and their timeline (if any)."""
    rows = []
    for variant in variants:
        for event in scenarios.get(variant, {}).get("events", []):
            missions = event.get("missions") or [event[k] for k in (
                "mission", "from_mission", "to_mission") if k in event] or ["all"]
            when = " to ".join(str(event[k]) for k in ("start", "end", "by", "restore")
                               if event.get(k))
            rows.append(f"<tr><th scope=row>{_esc(variant)}</th><td>{_esc(event['type'])}</td>"
                        f"<td>{_esc(', '.join(missions))}</td><td>{_esc(when or 'always')}</td>"
                        f"<td>{_esc(event.get('note', ''))}</td></tr>")
    if not rows:
        return []
    figure = ""
    path = run_dir / "plots" / "events.png"
    if not path.exists():
        from sim.outputs import plots

        plots.make_all(run_dir, formats=("png",), metrics=["events"])
    if path.exists():
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        figure = (f"<figure><img alt=\"Events over police deployed\" "
                  f"src=\"data:image/png;base64,{data}\"><figcaption>Events over police "
                  "deployed</figcaption></figure>")
    return ["<h2>Events</h2>",
            "<table class=desc><thead><tr><th>variant</th><th>event</th><th>missions</th>"
            f"<th>dates</th><th>what and source</th></tr></thead><tbody>{''.join(rows)}"
            "</tbody></table><p class=note>Dated shocks (docs/model.md, Events); their effect "
            "shows in the monthly tables (authorized, arrivals, rotations, drawdowns).</p>",
            figure]


def _scenario_section(manifest: dict[str, Any], scenario: dict[str, Any],
                      variants: list[str], descriptions: dict[str, str]) -> str:
    missions = scenario.get("missions", [])
    contributors = scenario.get("contributors", [])
    run = scenario.get("run", {})
    rows = "".join(
        f"<tr><th scope=row>{_esc(v)}</th><td>{_esc(descriptions.get(v, ''))}</td></tr>"
        for v in variants)
    return (
        f"<p>{_esc(scenario.get('description', ''))}</p>"
        f"<ul><li>{len(missions)} missions: {_esc(', '.join(m['name'] for m in missions))}</li>"
        f"<li>{len(contributors)} contributors</li>"
        f"<li>from {_esc(run.get('start', ''))} for {_esc(run.get('years', ''))} years, "
        f"{_esc(manifest.get('replications', ''))} replications, seed "
        f"{_esc(manifest.get('seed', ''))}</li></ul>"
        f"<table class=desc><thead><tr><th>variant</th><th>what it asks</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>")


def _provenance(manifest: dict[str, Any]) -> str:
    git = manifest.get("git") or {}
    commit = git.get("commit", "unknown") if isinstance(git, dict) else str(git)
    dirty = " (with uncommitted changes)" if isinstance(git, dict) and git.get("dirty") else ""
    items = [
        ("ppsim version", manifest.get("ppsim_version", "")),
        ("git commit", f"{commit}{dirty}"),
        ("scenario file", (manifest.get("scenario") or {}).get("path", "")),
        ("scenario digest", (manifest.get("scenario") or {}).get("digest", "")),
        ("root seed", manifest.get("seed", "")),
        ("replications", manifest.get("replications", "")),
        ("executor", f"{manifest.get('executor', '')}, {manifest.get('workers', '')} workers"),
        ("run created", manifest.get("created", "")),
        ("run finished", manifest.get("finished", "")),
    ]
    return "<table class=prov>" + "".join(
        f"<tr><th scope=row>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in items) + "</table>"


CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;max-width:1100px;
margin:2rem auto;padding:0 1rem;color:#1a1a1a;line-height:1.45}
h1{font-size:1.8rem;margin-bottom:.2rem}h2{border-bottom:2px solid #0072B2;padding-bottom:.2rem;
margin-top:2.2rem}.sub{color:#555;margin-top:0}
table{border-collapse:collapse;margin:.8rem 0;font-size:.92rem}
th,td{border-bottom:1px solid #ddd;padding:.35rem .6rem;text-align:right;vertical-align:top}
th:first-child,td:first-child{text-align:left}thead th{background:#f2f6fa}
.ci{color:#666;font-size:.85em}.note{color:#555;font-size:.85rem}
figure{margin:1.5rem 0;page-break-inside:avoid}figure img{width:100%;height:auto;
border:1px solid #eee}figcaption{color:#444;font-size:.9rem}
.prov th,.desc th{text-align:left;font-weight:600}.prov td,.desc td{text-align:left}
@media print{body{margin:0;max-width:none}h2{page-break-after:avoid}}
"""


def render(run_dir: Path) -> str:
    """The report of ``run_dir`` as one HTML document."""
    manifest_path = run_dir / "manifest.json"
    if not manifest_path.exists():
        raise ResultsError(f"{run_dir}: not a finished run folder (no manifest.json); give a "
                           "folder written by `ppsim run` or `ppsim compare`")
    manifest = read_manifest(manifest_path)
    variants = [str(v) for v in manifest.get("variants", [])]
    scenarios: dict[str, dict[str, Any]] = {
        p.stem: read_manifest(p) for p in sorted((run_dir / "resolved").glob("*.json"))}
    first = variants[0] if variants else next(iter(scenarios), "")
    scenario: dict[str, Any] = scenarios.get(first) or {}
    descriptions = _variant_descriptions(run_dir, variants, scenario)
    name = scenario.get("name", (manifest.get("scenario") or {}).get("name", "ppsim run"))
    kind = "comparison of variants" if manifest.get("kind") == "compare" else "simulation run"
    sources = ("Parameter values and their sources are cited beside each number in the "
               "scenario file (see scenario.yaml in the run folder) and in ppsim's "
               "docs/sources.md; the model is described in docs/model.md.")
    body = [
        f"<h1>ppsim report: {_esc(name)}</h1>",
        f"<p class=sub>{_esc(kind)} · {_esc(', '.join(variants))} · "
        f"{_esc(manifest.get('replications', ''))} replications · created "
        f"{_esc(manifest.get('finished', manifest.get('created', '')))}</p>",
        "<h2>Scenario</h2>", _scenario_section(manifest, scenario, variants, descriptions),
        *_events_section(run_dir, scenarios, variants),
        "<h2>Key findings</h2>", _findings_table(run_dir, variants),
        "<h2>Women's-share targets</h2>", _targets_table(run_dir, variants),
        *_casework_section(run_dir, variants),
        "<h2>Figures</h2>", _figures(run_dir),
        "<h2>Assumptions and sources</h2>",
        "<ul>" + "".join(f"<li>{_esc(a)}</li>" for a in ASSUMPTIONS) + "</ul>",
        f"<p>{_esc(sources)}</p>",
        "<h2>Provenance</h2>", _provenance(manifest),
    ]
    return ("<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
            "<meta name=viewport content='width=device-width,initial-scale=1'>"
            f"<title>ppsim report: {_esc(name)}</title><style>{CSS}</style></head>"
            f"<body>{''.join(body)}</body></html>\n")


def _variant_descriptions(run_dir: Path, variants: list[str],
                          scenario: dict[str, Any]) -> dict[str, str]:
    """Variant descriptions from the scenario file kept in the run folder."""
    out = {"base": "The scenario as written, without a variant's changes."}
    path = run_dir / "scenario.yaml"
    if path.exists():
        try:
            from sim.scenario.schema import read_yaml

            raw = read_yaml(path)
            for name, spec in (raw.get("variants") or {}).items():
                if isinstance(spec, dict):
                    out[name] = " ".join(str(spec.get("description", "")).split())
        except Exception:
            pass
    return {v: out.get(v, "") for v in variants}


def write_report(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write the report of ``run_dir`` (default ``run_dir/report.html``) atomically.

    Raises:
        ResultsError: ``run_dir`` is not a finished run folder or is damaged.
        StorageError: the report cannot be written (disk full, permission, …).
    """
    root = Path(run_dir)
    target = Path(out) if out is not None else root / "report.html"
    text = render(root)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    except OSError as exc:
        raise StorageError(os_error_message(exc, "writing the report: cannot write",
                                            then="rerun")) from None
    return target
