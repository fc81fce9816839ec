"""Standard figures of a run folder, for briefings and papers.

Each figure is a pure function of the run's tables (:class:`RunData`) returning a matplotlib
:class:`~matplotlib.figure.Figure`; :func:`make_all` draws them all into ``plots/``. One style
for all: a colour-blind-safe palette (Okabe–Ito), slide-sized (16:9) canvases, titles and axis
units, and a caption naming the scenario, variants, replications, seed and ppsim version.
When the scenario carries published figures (``observed``), they are drawn over the simulated
bands (the historical check).

Figures (names are stable; ``ppsim plot --metric NAME`` draws one):

- ``deployed``: fan charts (median, 50% and 90% bands) of deployed against authorized officers,
  one panel per mission and the total;
- ``women_share``: women's share of individual officers and formed units against the targets;
- ``specialist_coverage``: heatmap of specialist coverage by skill and year;
- ``time_to_deploy``: distribution of days from vacancy to deployment, by category;
- ``pipeline_flow``: nominations, passed assessments and arrivals per year;
- ``contributors``: top contributors' shares and the concentration (HHI) over time;
- ``casework``: (runs with casework) cases waiting for a slot over time, and cases cleared per
  year, by variant;
- ``differences``: (compare runs) paired differences from the base with 95% CIs;
- ``events``: (runs with events) events as shaded bands over the deployed fan charts.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from cycler import cycler
from matplotlib.figure import Figure

from sim.errors import ResultsError, StorageError, os_error_message
from sim.outputs import catalog
from sim.runs.folder import read_manifest

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
             "#000000"]
"""Okabe–Ito colours, distinguishable with the common colour-vision deficiencies."""
FORMATS = catalog.FORMATS
STYLE: dict[str, Any] = {
    "figure.figsize": (12.8, 7.2),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "font.size": 12,
    "axes.titlesize": 13,
    "axes.titleweight": "bold",
    "axes.labelsize": 12,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
    "legend.fontsize": 11,
    "figure.titlesize": 16,
    "figure.titleweight": "bold",
    "axes.prop_cycle": cycler(color=OKABE_ITO),
    "svg.hashsalt": "ppsim",  # stable SVG ids
    "pdf.compression": 6,
}
CATEGORY_LABELS = {"ipo": "Individual police officers", "fpu": "Formed police units",
                   "spt": "Specialized teams", "all": "All police"}


@contextmanager
def style() -> Iterator[None]:
    """The house style for every ppsim figure."""
    with plt.rc_context(STYLE):  # type: ignore[arg-type]
        yield


@dataclass
class RunData:
    """What the figures need from a run folder, read once."""

    path: Path
    manifest: dict[str, Any]
    variants: list[str]
    scenarios: dict[str, dict[str, Any]]
    bands: pd.DataFrame

    @classmethod
    def open(cls, path: str | Path) -> RunData:
        """Read a run folder (finished, or about to be renamed) for plotting."""
        root = Path(path)
        bands_path = root / "summary" / "bands.parquet"
        if not bands_path.exists():
            raise ResultsError(f"{root}: not a run folder (no summary/bands.parquet); give a "
                               "folder written by `ppsim run` or `ppsim compare`")
        manifest_path = root / "manifest.json"
        manifest = read_manifest(manifest_path) if manifest_path.exists() else {}
        if not manifest and (root / "settings.json").exists():
            manifest = read_manifest(root / "settings.json")
        scenarios = {p.stem: read_manifest(p) for p in sorted((root / "resolved").glob("*.json"))}
        try:
            bands = pd.read_parquet(bands_path)
        except (OSError, pa.ArrowException) as exc:
            raise ResultsError(f"{bands_path}: cannot be read ({exc}); the run folder is "
                               "damaged; rerun the experiment into a new --out") from None
        order = manifest.get("variants") or list(dict.fromkeys(bands["variant"]))
        return cls(root, manifest, [str(v) for v in order], scenarios, bands)

    def table(self, name: str, columns: list[str], **equal: str) -> pd.DataFrame:
        """Rows of a stacked table from ``tables/`` where each ``column == value`` in ``equal``.

        The file is streamed batch by batch and only matching rows of the named columns are
        kept, so memory stays flat however many replications the run has.
        """
        from sim.outputs.summaries import scan

        def keep(batch: pa.RecordBatch) -> pa.Array:
            mask = pa.array([True] * batch.num_rows)
            for column, value in equal.items():
                mask = pc.and_(mask, pc.equal(batch.column(column), value))
            return mask

        path = self.path / "tables" / f"{name}.parquet"
        needed = list(dict.fromkeys([*columns, *equal]))
        parts = list(scan(path, needed, keep))
        if not parts:
            return pd.DataFrame(columns=columns)
        return pa.Table.from_batches(parts).select(columns).to_pandas()

    def has_cases(self) -> bool:
        """Whether the run simulated casework (its ``cases`` table has rows)."""
        path = self.path / "tables" / "cases.parquet"
        return path.exists() and pq.ParquetFile(path).metadata.num_rows > 0

    def totals(self, name: str, keys: list[str], values: list[str],
               **equal: str) -> pd.DataFrame:
        """Sums and non-null counts of ``values`` by ``keys`` over the matching rows.

        Aggregated batch by batch (Arrow group-by), so memory depends on the number of groups,
        not of replications. The key ``year`` is derived from ``date``. Columns:
        ``<value>_sum`` and ``<value>_count``, indexed by ``keys``.
        """
        from sim.outputs.summaries import scan

        def keep(batch: pa.RecordBatch) -> pa.Array:
            mask = pa.array([True] * batch.num_rows)
            for column, value in equal.items():
                mask = pc.and_(mask, pc.equal(batch.column(column), value))
            return mask

        stored = [k for k in keys if k != "year"] + (["date"] if "year" in keys else [])
        needed = list(dict.fromkeys([*stored, *values, *equal]))
        total: pd.DataFrame | None = None
        for batch in scan(self.path / "tables" / f"{name}.parquet", needed, keep):
            table = pa.Table.from_batches([batch])
            if "year" in keys:
                table = table.append_column("year", pc.year(table.column("date")))
            grouped = table.group_by(keys).aggregate(
                [(v, "sum") for v in values] + [(v, "count") for v in values])
            frame = grouped.to_pandas().set_index(keys)
            total = frame if total is None else total.add(frame, fill_value=0)
        if total is None:
            return pd.DataFrame(columns=[f"{v}_{a}" for v in values for a in ("sum", "count")])
        return total.sort_index()

    def summary(self, name: str) -> pd.DataFrame | None:
        """A summary table, or ``None`` if the run has none of that name."""
        path = self.path / "summary" / f"{name}.parquet"
        return pd.read_parquet(path) if path.exists() else None

    @property
    def scenario(self) -> dict[str, Any]:
        """The first variant's resolved scenario."""
        return self.scenarios.get(self.variants[0]) or next(iter(self.scenarios.values()), {})

    @property
    def name(self) -> str:
        """The scenario's name."""
        return str(self.scenario.get("name") or self.manifest.get("scenario", {}).get("name", ""))

    @property
    def missions(self) -> list[str]:
        """Mission names in scenario order."""
        return [m["name"] for m in self.scenario.get("missions", [])]

    def caption(self) -> str:
        """Provenance line printed under every figure."""
        reps = self.manifest.get("replications", "?")
        seed = self.manifest.get("seed", "?")
        version = self.manifest.get("ppsim_version", "")
        variants = ", ".join(self.variants)
        return (f"Scenario '{self.name}' · {variants} · {reps} replications · seed {seed} · "
                f"ppsim {version} simulation. Bands: 50% and 90% of replications.")


def _finish(fig: Figure, data: RunData, title: str, note: str = "") -> Figure:
    fig.suptitle(title, x=0.01, ha="left")
    text = data.caption() + (f" {note}" if note else "")
    fig.text(0.01, 0.01, text, fontsize=9, color="#444444", ha="left", va="bottom", wrap=True)
    fig.tight_layout(rect=(0, 0.04, 1, 0.97))
    return fig


def _series(bands: pd.DataFrame, variant: str, mission: str, category: str,
            metric: str) -> pd.DataFrame:
    rows = bands[(bands["variant"] == variant) & (bands["mission"] == mission)
                 & (bands["category"] == category) & (bands["metric"] == metric)]
    return rows.sort_values("date")


def _fan(ax: Any, rows: pd.DataFrame, colour: str, label: str, scale: float = 1.0) -> None:
    """Median line with 50% and 90% bands."""
    dates = pd.to_datetime(rows["date"])
    ax.fill_between(dates, rows["p5"] * scale, rows["p95"] * scale, color=colour, alpha=0.15,
                    linewidth=0)
    ax.fill_between(dates, rows["p25"] * scale, rows["p75"] * scale, color=colour, alpha=0.3,
                    linewidth=0)
    ax.plot(dates, rows["p50"] * scale, color=colour, linewidth=2, label=label)


def _years(ax: Any, step: int = 1) -> None:
    """Year ticks (every ``step`` years) on a date axis."""
    ax.xaxis.set_major_locator(mdates.YearLocator(base=step))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))


def _monthly_bands(data: RunData, variant: str, mission: str, category: str,
                   metric: str) -> pd.DataFrame:
    """Percentile bands of a monthly column that ``summary/bands`` does not carry."""
    rows = data.table("monthly", ["date", metric], variant=variant, mission=mission,
                      category=category)
    grouped = rows.groupby("date")[metric]
    out = pd.DataFrame({f"p{q}": grouped.quantile(q / 100) for q in (5, 25, 50, 75, 95)})
    return out.reset_index()


def _observed(data: RunData, mission: str, category: str, metric: str) -> pd.DataFrame:
    rows = [o for o in data.scenario.get("observed", [])
            if o["mission"] == mission and o["category"] == category and o["metric"] == metric]
    return pd.DataFrame(rows, columns=["date", "mission", "category", "metric", "value",
                                       "source"])


def _overlay_observed(ax: Any, data: RunData, mission: str, category: str, metric: str,
                      scale: float = 1.0) -> bool:
    obs = _observed(data, mission, category, metric)
    if obs.empty:
        return False
    ax.scatter(pd.to_datetime(obs["date"]), obs["value"] * scale, marker="D", s=36,
               color="#000000", zorder=5, label="published figure")
    return True


def _grid(n: int) -> tuple[int, int]:
    cols = min(n, 4 if n > 6 else 3 if n > 2 else n)
    return math.ceil(n / cols), cols


def fig_deployed(data: RunData, mission: str | None = None) -> Figure:
    """Fan charts of deployed against authorized officers (all categories) per mission."""
    panels = [mission] if mission else ["ALL", *data.missions]
    rows, cols = _grid(len(panels))
    with style():
        fig, axes = plt.subplots(rows, cols, squeeze=False, sharex=True)
        observed = False
        for ax, name in zip(axes.flat, panels, strict=False):
            for i, variant in enumerate(data.variants):
                _fan(ax, _series(data.bands, variant, name, "all", "deployed"),
                     OKABE_ITO[i % len(OKABE_ITO)], variant)
            auth = _series(data.bands, data.variants[0], name, "all", "authorized")
            ax.step(pd.to_datetime(auth["date"]), auth["p50"], where="post", color="#000000",
                    linestyle="--", linewidth=1.2, label="authorized")
            observed |= _overlay_observed(ax, data, name, "all", "deployed")
            ax.set_title("All missions" if name == "ALL" else name)
            ax.set_ylim(bottom=0)
            _years(ax, 1 if len(panels) == 1 else 3)
            ax.set_ylabel("officers")
        for ax in list(axes.flat)[len(panels):]:
            ax.set_visible(False)
        axes.flat[0].legend(loc="lower left")
        return _finish(fig, data, "Police deployed against authorized strength",
                       "Diamonds: published figures." if observed else "")


EVENT_COLOURS = {"budget_cut": "#D55E00", "entry_constraint": "#CC79A7", "rehat": "#009E73",
                 "transfer": "#56B4E9", "rotation_freeze": "#E69F00", "forced_closure": "#000000"}
"""Band colour of each event type in the ``events`` figure."""


def event_spans(scenario: dict[str, Any]) -> list[dict[str, Any]]:
    """Each event of a resolved scenario as a dated band: type, missions, first and last day.

    The band covers what the event does: a cut from its announcement to the end of the
    repatriation; an entry limit or a freeze while in force; a re-hat over its days; a transfer
    until arrival; a closure until the mission must be empty.
    """
    run = scenario.get("run", {})
    first = pd.Timestamp(run.get("start"))
    end = first + pd.DateOffset(months=max(round(float(run.get("years", 10)) * 12), 1))
    missions = [m["name"] for m in scenario.get("missions", [])]
    spans = []
    for event in scenario.get("events", []):
        kind = event["type"]
        start = pd.Timestamp(event["start"]) if event.get("start") else first
        if kind == "budget_cut":
            stop = start + pd.Timedelta(days=event["lag_days"] + 7 * event["over_weeks"])
        elif kind in ("entry_constraint", "rotation_freeze"):
            stop = pd.Timestamp(event["end"]) if event.get("end") else end
        elif kind == "forced_closure":
            stop = pd.Timestamp(event["by"])
        else:
            stop = start + pd.Timedelta(days=event.get("within_days", event.get("delay_days", 0)))
        named = event.get("missions") or [event[k] for k in ("mission", "from_mission",
                                                             "to_mission") if k in event]
        spans.append({"type": kind, "missions": named or missions, "first": max(start, first),
                      "last": max(min(stop, end), start + pd.Timedelta(days=20))})
    return spans


def fig_events(data: RunData, mission: str | None = None) -> Figure:
    """Events as shaded bands over the deployed fan chart, for every mission an event touches."""
    spans = {v: event_spans(data.scenarios.get(v, {})) for v in data.variants}
    touched = {m for v in spans.values() for span in v for m in span["missions"]}
    panels = [mission] if mission else ["ALL", *[m for m in data.missions if m in touched]]
    rows, cols = _grid(len(panels))
    with style():
        fig, axes = plt.subplots(rows, cols, squeeze=False, sharex=True)
        for ax, name in zip(axes.flat, panels, strict=False):
            shown: set[str] = set()
            for i, variant in enumerate(data.variants):
                colour = OKABE_ITO[i % len(OKABE_ITO)]
                _fan(ax, _series(data.bands, variant, name, "all", "deployed"), colour, variant)
                for span in spans[variant]:
                    if name != "ALL" and name not in span["missions"]:
                        continue
                    label = span["type"].replace("_", " ")
                    ax.axvspan(span["first"], span["last"], alpha=0.12,
                               color=EVENT_COLOURS[span["type"]],
                               label=None if label in shown else label)
                    shown.add(label)
            ax.set_title("All missions" if name == "ALL" else name)
            ax.set_ylim(bottom=0)
            _years(ax, 1 if len(panels) == 1 else 3)
            ax.set_ylabel("officers")
        for ax in list(axes.flat)[len(panels):]:
            ax.set_visible(False)
        axes.flat[0].legend(loc="lower left")
        return _finish(fig, data, "Events and police deployed",
                       "Shaded: when each event acts (in any variant that has it).")


def fig_women_share(data: RunData, mission: str | None = None) -> Figure:
    """Women's share of individual officers and formed units against the targets."""
    name = mission or "ALL"
    with style():
        fig, axes = plt.subplots(1, 2, sharey=True)
        observed = False
        for ax, category in zip(axes, ("ipo", "fpu"), strict=True):
            for i, variant in enumerate(data.variants):
                _fan(ax, _series(data.bands, variant, name, category, "women_share"),
                     OKABE_ITO[i % len(OKABE_ITO)], variant, scale=100)
            target = _series(data.bands, data.variants[0], name, category, "women_target")
            if not target.empty and target["p50"].notna().any():
                ax.step(pd.to_datetime(target["date"]), target["p50"] * 100, where="post",
                        color="#000000", linestyle="--", linewidth=1.5, label="target")
            observed |= _overlay_observed(ax, data, name, category, "women_share", 100)
            ax.set_title(CATEGORY_LABELS[category])
            ax.set_ylabel("women (% of deployed)")
            ax.set_ylim(bottom=0)
            _years(ax, 2)
        axes[0].legend(loc="upper left")
        where = "all missions" if name == "ALL" else name
        return _finish(fig, data, f"Women's share against the gender-parity targets ({where})",
                       "Diamonds: published figures." if observed else "")


def fig_specialist_coverage(data: RunData, mission: str | None = None) -> Figure:
    """Heatmap of specialist coverage (deployed / posts) by skill and year."""
    name = mission or "ALL"
    sums = data.totals("skills", ["skill", "year"], ["coverage"], variant=data.variants[0],
                       mission=name)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = sums["coverage_sum"] / sums["coverage_count"].where(sums["coverage_count"] > 0)
    grid = mean.unstack("year")
    order = [s for s in data.scenario.get("skills", []) if s in grid.index]
    grid = grid.reindex(order or list(grid.index))
    with style():
        fig, ax = plt.subplots()
        values = np.ma.masked_invalid(grid.to_numpy(dtype=float) * 100)
        image = ax.imshow(values, aspect="auto", cmap="cividis", vmin=0, vmax=100)
        ax.set_xticks(range(grid.shape[1]), [str(y) for y in grid.columns])
        ax.set_yticks(range(grid.shape[0]), [s.replace("_", " ") for s in grid.index])
        ax.grid(False)
        for (i, j), value in np.ndenumerate(values.filled(np.nan)):
            if not np.isnan(value):
                ax.text(j, i, f"{value:.0f}", ha="center", va="center", fontsize=10,
                        color="white" if value < 60 else "black")
        bar = fig.colorbar(image, ax=ax)
        bar.set_label("coverage (% of specialist posts filled)")
        ax.set_xlabel("year")
        where = "all missions" if name == "ALL" else name
        return _finish(fig, data, f"Specialist coverage by skill ({where}, {data.variants[0]})",
                       "Blank: no posts for that skill.")


def fig_time_to_deploy(data: RunData, mission: str | None = None) -> Figure:
    """Distribution of days from a post falling vacant to its filling, by category."""
    name = mission or "ALL"
    hist = data.table("deploy_times", ["variant", "mission", "category", "bin_start_days",
                                       "arrivals"], mission=name)
    with style():
        fig, axes = plt.subplots(1, 3, sharey=False)
        for ax, category in zip(axes, ("ipo", "fpu", "spt"), strict=True):
            for i, variant in enumerate(data.variants):
                rows = hist[(hist["variant"] == variant) & (hist["mission"] == name)
                            & (hist["category"] == category)]
                counts = rows.groupby("bin_start_days")["arrivals"].sum()
                total = counts.sum()
                if total == 0:
                    continue
                share = counts / total * 100
                ax.step(counts.index, share.to_numpy(), where="post", linewidth=2,
                        color=OKABE_ITO[i % len(OKABE_ITO)], label=variant)
            ax.set_title(CATEGORY_LABELS[category])
            ax.set_xlabel("days from vacancy to arrival (15-day bins; last bin 720+)")
            ax.set_ylabel("arrivals (%)")
        handles = [ax for ax in axes if ax.get_legend_handles_labels()[0]]
        if handles:
            handles[0].legend()
        where = "all missions" if name == "ALL" else name
        return _finish(fig, data, f"Time to deploy ({where})",
                       "Formed units and teams: one arrival per unit.")


HATCHES = ("", "//", "..", "xx", "\\\\", "++", "oo", "--")
"""Bar hatching per variant, so variants stay apart without relying on shade alone."""


def _variant_alpha(v: int, n: int) -> float:
    """Opacity of variant ``v`` of ``n``: from 1 down to 0.45, whatever the number of variants."""
    return 1.0 if n <= 1 else 1.0 - 0.55 * v / (n - 1)


def fig_pipeline_flow(data: RunData, mission: str | None = None) -> Figure:
    """Nominations, passed assessments and arrivals of individual officers per year."""
    name = mission or "ALL"
    flows = ["nominations", "passed", "arrivals"]
    sums = data.totals("monthly", ["variant", "year"], flows, mission=name, category="ipo")
    replications = float(data.manifest.get("replications") or 1)
    mean = pd.DataFrame({f: sums[f"{f}_sum"] / replications for f in flows})
    years = sorted({int(y) for y in mean.index.get_level_values("year")})
    stages = [("nominations", "nominated"), ("passed", "passed assessment"),
              ("arrivals", "arrived")]
    with style():
        fig, ax = plt.subplots()
        width = 0.8 / (len(stages) * len(data.variants))
        x = np.arange(len(years))
        k = 0
        for v, variant in enumerate(data.variants):
            for s, (column, label) in enumerate(stages):
                values = mean.loc[variant][column].reindex(years).to_numpy()
                ax.bar(x + (k - (len(stages) * len(data.variants) - 1) / 2) * width, values,
                       width, color=OKABE_ITO[s], alpha=_variant_alpha(v, len(data.variants)),
                       hatch=HATCHES[v % len(HATCHES)], edgecolor="white", linewidth=0.5,
                       label=label if len(data.variants) == 1 else f"{label} ({variant})")
                k += 1
        ax.set_xticks(x, [str(y) for y in years])
        ax.set_ylabel("individual officers per year (mean over replications)")
        ax.legend(ncol=len(data.variants), loc="upper right")
        where = "all missions" if name == "ALL" else name
        return _finish(fig, data, f"Individual-officer pipeline per year ({where})")


def fig_contributors(data: RunData, mission: str | None = None) -> Figure:
    """Top contributors' shares of deployed police, and concentration (HHI) over time."""
    sums = data.totals("contributors", ["date", "contributor"], ["deployed"],
                       variant=data.variants[0])
    replications = float(data.manifest.get("replications") or 1)
    mean = (sums["deployed_sum"] / replications).unstack("contributor").fillna(0)
    mean = mean.loc[:, mean.sum() > 0]
    top = list(mean.mean().sort_values(ascending=False).index[:7])
    others = mean.drop(columns=top).sum(axis=1)
    stacked = mean[top].assign(**{"remaining contributors": others})
    shares = stacked.div(stacked.sum(axis=1).replace(0, np.nan), axis=0) * 100
    with style():
        fig, (left, right) = plt.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
        colours = [*OKABE_ITO[: len(top)], "#BBBBBB"]
        left.stackplot(pd.to_datetime(shares.index), shares.T.to_numpy(),
                       labels=list(shares.columns), colors=colours, alpha=0.9)
        left.set_ylabel("share of police deployed (%)")
        left.set_ylim(0, 100)
        left.set_title("Top contributors")
        left.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=9)
        name = mission or "ALL"
        for i, variant in enumerate(data.variants):
            _fan(right, _monthly_bands(data, variant, name, "all", "hhi"),
                 OKABE_ITO[i % len(OKABE_ITO)], variant)
        _years(left, 2)
        _years(right, 2)
        right.set_title("Concentration (HHI)")
        right.set_ylabel("HHI (0 = dispersed, 1 = one contributor)")
        right.set_ylim(bottom=0)
        right.legend(loc="upper left")
        return _finish(fig, data, "Who contributes police", f"Shares: {data.variants[0]}.")


def fig_casework(data: RunData, mission: str | None = None) -> Figure:
    """Casework: backlog over time (fan over replications) and cases cleared per year (mean)."""
    name = mission or "ALL"
    replications = float(data.manifest.get("replications") or 1)
    with style():
        fig, (left, right) = plt.subplots(1, 2)
        yearly = []
        for i, variant in enumerate(data.variants):
            rows = data.table("cases", ["date", "backlog", "cleared"], variant=variant,
                              mission=name, area="all")
            if rows.empty:
                continue
            grouped = rows.groupby("date")["backlog"]
            bands = pd.DataFrame({f"p{q}": grouped.quantile(q / 100)
                                  for q in (5, 25, 50, 75, 95)}).reset_index()
            _fan(left, bands, OKABE_ITO[i % len(OKABE_ITO)], variant)
            per_year = rows.assign(year=pd.to_datetime(rows["date"]).dt.year) \
                .groupby("year")["cleared"].sum() / replications
            yearly.append((variant, per_year))
        if not yearly:
            raise ResultsError(f"{data.path}: the 'casework' figure needs a scenario with "
                               f"casework at {name}")
        width = 0.8 / len(yearly)
        for v, (variant, per_year) in enumerate(yearly):
            right.bar(per_year.index + (v - (len(yearly) - 1) / 2) * width, per_year.to_numpy(),
                      width, color=OKABE_ITO[v % len(OKABE_ITO)], label=variant)
        _years(left, 2)
        left.set_title("Cases waiting for a slot")
        left.set_ylabel("cases (median, 50% and 90% bands)")
        left.set_ylim(bottom=0)
        left.legend(loc="upper left")
        right.set_title("Cases cleared per year")
        right.set_ylabel("cases (mean over replications)")
        right.legend(loc="upper right")
        where = "all missions with casework" if name == "ALL" else name
        return _finish(fig, data, f"Transnational-crime casework ({where})",
                       "Crime areas summed.")


HEADLINE = [
    ("mean_deployed", "all", "police deployed\n(mean, officers)"),
    ("mean_vacancy_rate", "ipo", "IPO vacancy rate\n(mean, points)"),
    ("final_women_share", "ipo", "women's share, IPO\n(final, points)"),
    ("final_women_share", "fpu", "women's share, FPU\n(final, points)"),
    ("mean_specialist_coverage", "ipo", "specialist coverage\n(mean, points)"),
    ("median_time_to_deploy", "ipo", "days to deploy, IPO\n(median)"),
    ("unit_gap_days", "fpu", "FPU rotation gaps\n(unit-days)"),
    ("cases_cleared", "all", "cases cleared\n(whole run)"),
    ("case_backlog", "all", "case backlog\n(mean, cases)"),
]
"""Headline outcomes of the forest plot: (outcome, category, label)."""


def fig_differences(data: RunData, mission: str | None = None) -> Figure:
    """Forest plot: each variant's paired difference from the base, with its 95% CI."""
    comparison = data.summary("comparison")
    if comparison is None:
        raise ResultsError(f"{data.path}: the 'differences' figure needs a compare run")
    name = mission or "ALL"
    rows = comparison[(comparison["at"] == "horizon") & (comparison["mission"] == name)]
    others = [v for v in data.variants if v != "base"]
    panels = [(o, c, label) for o, c, label in HEADLINE
              if not rows[(rows["outcome"] == o) & (rows["category"] == c)].empty]
    rows_n, cols = _grid(len(panels))
    with style():
        fig, axes = plt.subplots(rows_n, cols, squeeze=False)
        for ax, (outcome, category, label) in zip(axes.flat, panels, strict=False):
            sel = rows[(rows["outcome"] == outcome) & (rows["category"] == category)]
            scale = 100 if "rate" in outcome or "share" in outcome or "coverage" in outcome \
                else 1
            for y, variant in enumerate(others):
                r = sel[sel["variant"] == variant]
                if r.empty:
                    continue
                mid = float(r["diff_mean"].iloc[0]) * scale
                low = float(r["diff_ci_low"].iloc[0]) * scale
                high = float(r["diff_ci_high"].iloc[0]) * scale
                colour = OKABE_ITO[(y + 1) % len(OKABE_ITO)]
                ax.errorbar(mid, y, xerr=[[mid - low], [high - mid]], fmt="o", color=colour,
                            capsize=4, markersize=7)
            ax.axvline(0, color="#000000", linewidth=1)
            ax.set_yticks(range(len(others)), others)
            ax.set_ylim(-0.7, len(others) - 0.3)
            ax.set_title(label, fontsize=11)
            ax.grid(axis="y", visible=False)
        for ax in list(axes.flat)[len(panels):]:
            ax.set_visible(False)
        where = "all missions" if name == "ALL" else name
        return _finish(fig, data, f"Difference from the base, paired over replications ({where})",
                       "Bars: 95% confidence intervals of the paired difference "
                       "(common random numbers).")


FIGURES: dict[str, Callable[[RunData, str | None], Figure]] = {
    "deployed": fig_deployed,
    "women_share": fig_women_share,
    "specialist_coverage": fig_specialist_coverage,
    "time_to_deploy": fig_time_to_deploy,
    "pipeline_flow": fig_pipeline_flow,
    "contributors": fig_contributors,
    "casework": fig_casework,
    "differences": fig_differences,
    "events": fig_events,
}
"""Every standard figure by its stable name."""


def available(data: RunData) -> list[str]:
    """Figures that apply to this run (some need a comparison, casework or events)."""
    has_events = any(s.get("events") for s in data.scenarios.values())
    return [name for name in FIGURES
            if (name != "differences" or data.summary("comparison") is not None)
            and (name != "casework" or data.has_cases())
            and (name != "events" or has_events)]


def save_figure(fig: Figure, stem: Path, formats: tuple[str, ...] = ("png",)) -> list[Path]:
    """Save ``fig`` as ``stem.<format>`` for each format (atomically) and close it."""
    written = []
    stem.parent.mkdir(parents=True, exist_ok=True)
    for fmt in formats:
        if fmt not in FORMATS:
            raise ResultsError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
        path = stem.with_suffix(f".{fmt}")
        tmp = path.with_name(f".{path.name}.tmp")
        metadata = {"Software": None} if fmt == "png" else {"Date": None} if fmt == "svg" \
            else {"CreationDate": None}
        fig.savefig(tmp, format=fmt, metadata=metadata)
        os.replace(tmp, path)
        written.append(path)
    plt.close(fig)
    return written


def make_all(run_dir: str | Path, formats: tuple[str, ...] = ("png",),
             out_dir: Path | None = None, metrics: list[str] | None = None,
             mission: str | None = None) -> list[Path]:
    """Draw the standard figures of a run folder; returns the files written.

    Args:
        run_dir: a run folder (``ppsim run`` or ``compare``).
        formats: any of png, svg, pdf.
        out_dir: where to write (default ``run_dir/plots``).
        metrics: figure names to draw (default: all that apply).
        mission: draw the figures for one mission instead of all missions.
    """
    data = RunData.open(run_dir)
    names = available(data)
    if metrics:
        unknown = [m for m in metrics if m not in FIGURES]
        if unknown:
            from sim.errors import unknown_message

            raise ResultsError(unknown_message("figure", unknown[0], list(FIGURES)))
        names = list(metrics)
    if mission is not None and mission not in ["ALL", *data.missions]:
        from sim.errors import unknown_message

        raise ResultsError(unknown_message("mission", mission, ["ALL", *data.missions]))
    target = Path(out_dir) if out_dir is not None else Path(run_dir) / "plots"
    suffix = f"_{mission}" if mission else ""
    written: list[Path] = []
    try:
        for name in names:
            written += save_figure(FIGURES[name](data, mission), target / f"{name}{suffix}",
                                   formats)
    except OSError as exc:
        raise StorageError(os_error_message(exc, "writing the figures: cannot write",
                                            then="rerun")) from None
    return written
