"""Standard figures of a run folder, for briefings and papers.

Each figure is a pure function of the run's tables (:class:`RunData`) returning a matplotlib
:class:`~matplotlib.figure.Figure`; :func:`make_all` draws them all into ``plots/``. One style
for all: a colour-blind-safe palette (Okabe–Ito), slide-sized (16:9) canvases, titles and axis
units, and a caption naming the scenario, variants, replications, seed and ppsim version.
When the scenario carries published figures (``observed``), they are drawn over the simulated
bands (the historical check).

Figures (names are stable; ``ppsim plot --metric NAME`` draws one):

- ``deployed``: deployed against authorized officers, IPO and FPU apart, one panel per mission
  and the total (bands when one variant is drawn);
- ``women_share``: women's share of individual officers and formed units against the targets;
- ``specialist_coverage``: heatmaps of specialist coverage by skill and year, one per variant;
- ``time_to_deploy``: distribution of days from vacancy to deployment, by category;
- ``pipeline_flow``: nominations, passed assessments and arrivals per year;
- ``contributors``: top contributors' shares per variant and the concentration (HHI);
- ``casework``: (runs with casework) cases waiting for a slot over time, and cases cleared per
  year, by variant;
- ``differences``: (compare runs) paired differences from the base with 95% CIs, the better
  side of zero marked from :data:`sim.outputs.catalog.OUTCOMES`;
- ``events``: (runs with events) events as shaded bands over the deployed fan charts.
"""

from __future__ import annotations

import json
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
METRIC_LABELS = {"deployed": "deployed (officers)", "women_share": "women's share (%)"}
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
        table: pd.DataFrame = pa.Table.from_batches(parts).select(columns).to_pandas()
        return table

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

    def caption(self, bands: bool = False) -> str:
        """Provenance line printed under every figure (naming the bands only where drawn)."""
        reps = self.manifest.get("replications", "?")
        seed = self.manifest.get("seed", "?")
        version = self.manifest.get("ppsim_version", "")
        variants = ", ".join(self.variants)
        text = (f"Scenario '{self.name}' · {variants} · {reps} replications · seed {seed} · "
                f"ppsim {version} simulation.")
        return text + (" Lines: median; bands: 50% and 90% of replications." if bands else "")


def _finish(fig: Figure, data: RunData, title: str, note: str = "",
            bands: bool = False, xlabel: str = "", right: float = 1.0) -> Figure:
    """Title, caption (and one x label shared by all panels, above the caption), laid out.

    ``right`` < 1 keeps a margin for a legend placed outside the panels.
    """
    fig.suptitle(title, x=0.01, ha="left")
    text = data.caption(bands) + (f" {note}" if note else "")
    fig.text(0.01, 0.01, text, fontsize=9, color="#444444", ha="left", va="bottom", wrap=True)
    if xlabel:
        fig.text(0.5, 0.045, xlabel, fontsize=11, ha="center", va="bottom")
    fig.tight_layout(rect=(0, 0.08 if xlabel else 0.04, right, 0.97))
    return fig


def _series(bands: pd.DataFrame, variant: str, mission: str, category: str,
            metric: str) -> pd.DataFrame:
    rows = bands[(bands["variant"] == variant) & (bands["mission"] == mission)
                 & (bands["category"] == category) & (bands["metric"] == metric)]
    return rows.sort_values("date")


def _fan(ax: Any, rows: pd.DataFrame, colour: str, label: str, scale: float = 1.0,
         bands: bool = True, linestyle: str = "-") -> None:
    """Median line with (unless ``bands`` is false) 50% and 90% bands."""
    dates = pd.to_datetime(rows["date"])
    if bands:
        ax.fill_between(dates, rows["p5"] * scale, rows["p95"] * scale, color=colour,
                        alpha=0.15, linewidth=0)
        ax.fill_between(dates, rows["p25"] * scale, rows["p75"] * scale, color=colour,
                        alpha=0.3, linewidth=0)
    ax.plot(dates, rows["p50"] * scale, color=colour, linewidth=2, label=label,
            linestyle=linestyle)


def _years(ax: Any, step: int = 1) -> None:
    """Year ticks (every ``step`` years) on a date axis."""
    ax.xaxis.set_major_locator(mdates.YearLocator(base=step))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))


def _officers_panel(ax: Any, name: str, single: bool) -> None:
    """Title, zero floor, year ticks and label of a mission's panel of officers deployed."""
    ax.set_title("All missions" if name == "ALL" else name)
    ax.set_ylim(bottom=0)
    _years(ax, 1 if single else 3)
    ax.set_ylabel("officers")


def _hide_unused(axes: Any, used: int) -> None:
    """Hide the axes of a grid beyond the first ``used`` (the grid is rounded up)."""
    for ax in list(axes.flat)[used:]:
        ax.set_visible(False)


def _observation_ticks(ax: Any, dates: pd.Series, most: int = 8) -> None:
    """Ticks at the observations' own dates, labelled by their year (and month if they differ).

    Year ticks at 1 January would put a figure of 31 December under the next year's label.
    """
    unique = pd.Series(sorted(dates.unique()))
    if unique.empty:
        return
    shown = unique.iloc[::max(1, -(-len(unique) // most))]
    one_month = unique.dt.month.nunique() == 1
    ax.set_xticks(list(shown))
    crowded = len(shown) > 5 or not one_month
    ax.set_xticklabels([d.strftime("%Y" if one_month else "%b %Y") for d in shown],
                       rotation=45 if crowded else 0, ha="right" if crowded else "center")
    if one_month:
        ax.set_xlabel(f"{unique.iloc[0].strftime('%B')} of each year", fontsize=9)


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


CATEGORY_STYLES = (("ipo", "-"), ("fpu", "--"))
"""Deployed figure: individual officers solid, formed units dashed."""


def fig_deployed(data: RunData, mission: str | None = None) -> Figure:
    """Fan charts of deployed against authorized officers per mission, IPO and FPU apart.

    Colour is the variant, line style the category (IPO solid, FPU dashed); the black steps are
    the authorized strengths. Bands are drawn for one variant only (they would hide each other).
    """
    panels = [mission] if mission else ["ALL", *data.missions]
    rows, cols = _grid(len(panels))
    bands = len(data.variants) == 1
    with style():
        fig, axes = plt.subplots(rows, cols, squeeze=False, sharex=True)
        observed = False
        for ax, name in zip(axes.flat, panels, strict=False):
            for category, line in CATEGORY_STYLES:
                auth = _series(data.bands, data.variants[0], name, category, "authorized")
                if auth.empty or not (auth["p50"].fillna(0) > 0).any():
                    continue
                short = catalog.CATEGORY_SHORT[category]
                for i, variant in enumerate(data.variants):
                    _fan(ax, _series(data.bands, variant, name, category, "deployed"),
                         OKABE_ITO[i % len(OKABE_ITO)], f"{variant}, {short}", bands=bands,
                         linestyle=line)
                ax.step(pd.to_datetime(auth["date"]), auth["p50"], where="post",
                        color="#000000", linestyle=line, linewidth=1.0,
                        label=f"authorized, {short}")
            observed |= _overlay_observed(ax, data, name, "all", "deployed")
            _officers_panel(ax, name, single=len(panels) == 1)
        _hide_unused(axes, len(panels))
        fig.legend(handles=_deployed_key(data.variants, observed), loc="center right",
                   fontsize=9)
        notes = ["Solid: individual officers (IPO); dashed: formed police units (FPU)."]
        if observed:
            notes.append("Diamonds: published figures (all police).")
        return _finish(fig, data, "Police deployed against authorized strength",
                       " ".join(notes), bands=bands, right=0.84)


def _deployed_key(variants: list[str], observed: bool) -> list[Any]:
    """The deployed figure's legend: a colour per variant, then the line styles."""
    from matplotlib.lines import Line2D

    key: list[Any] = [Line2D([0], [0], color=OKABE_ITO[i % len(OKABE_ITO)], linewidth=2,
                             label=variant) for i, variant in enumerate(variants)]
    key += [Line2D([0], [0], color="#777777", linewidth=2, label="IPO deployed"),
            Line2D([0], [0], color="#777777", linewidth=2, linestyle="--",
                   label="FPU deployed"),
            Line2D([0], [0], color="#000000", linewidth=1, label="authorized")]
    if observed:
        key.append(Line2D([0], [0], color="#000000", marker="D", linestyle="",
                          label="published figure"))
    return key


EVENT_COLOURS = {"budget_cut": "#D55E00", "budget_ceiling": "#F0E442",
                 "entry_constraint": "#CC79A7", "rehat": "#009E73",
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
        if kind in ("budget_cut", "budget_ceiling"):
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
            _officers_panel(ax, name, single=len(panels) == 1)
        _hide_unused(axes, len(panels))
        axes.flat[0].legend(loc="lower left")
        return _finish(fig, data, "Events and police deployed",
                       "Shaded: when each event acts (in any variant that has it).", bands=True)


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
                       "Diamonds: published figures." if observed else "", bands=True)


def _coverage_grid(data: RunData, variant: str, name: str) -> pd.DataFrame:
    """Mean coverage over replications by skill (rows) and year (columns) of one variant."""
    sums = data.totals("skills", ["skill", "year"], ["coverage"], variant=variant, mission=name)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = sums["coverage_sum"] / sums["coverage_count"].where(sums["coverage_count"] > 0)
    grid = mean.unstack("year")
    order = [s for s in data.scenario.get("skills", []) if s in grid.index]
    return grid.reindex(order or list(grid.index))


def fig_specialist_coverage(data: RunData, mission: str | None = None) -> Figure:
    """Heatmaps of specialist coverage (deployed / posts) by skill and year, one per variant."""
    name = mission or "ALL"
    grids = [_coverage_grid(data, variant, name) for variant in data.variants]
    rows, cols = _grid(len(grids))
    annotate = len(grids) <= 2
    with style():
        fig, axes = plt.subplots(rows, cols, squeeze=False, sharey=True)
        image = None
        for ax, variant, grid in zip(axes.flat, data.variants, grids, strict=False):
            values = np.ma.masked_invalid(grid.to_numpy(dtype=float) * 100)
            image = ax.imshow(values, aspect="auto", cmap="cividis", vmin=0, vmax=100)
            step = max(1, math.ceil(grid.shape[1] / (12 if cols == 1 else 5)))
            ax.set_xticks(range(0, grid.shape[1], step),
                          [str(y) for y in grid.columns][::step])
            ax.set_yticks(range(grid.shape[0]), [s.replace("_", " ") for s in grid.index])
            ax.grid(False)
            ax.set_title(variant if len(grids) > 1 else "")
            if annotate:
                for (i, j), value in np.ndenumerate(values.filled(np.nan)):
                    if not np.isnan(value):
                        ax.text(j, i, f"{value:.0f}", ha="center", va="center", fontsize=10,
                                color="white" if value < 60 else "black")
        _hide_unused(axes, len(grids))
        for ax in axes[-1]:
            ax.set_xlabel("year")
        where = "all missions" if name == "ALL" else name
        fig = _finish(fig, data, f"Specialist coverage by skill ({where})",
                      "Blank: no posts for that skill.")
        if image is not None:  # after the layout: a colour bar shared by every panel
            fig.subplots_adjust(right=0.86)
            bar = fig.colorbar(image, cax=fig.add_axes((0.89, 0.15, 0.02, 0.7)))
            bar.set_label("coverage (% of specialist posts filled)")
        return fig


def fig_time_to_deploy(data: RunData, mission: str | None = None) -> Figure:
    """Distribution of days from a post falling vacant to its filling, by category.

    One panel per category with arrivals (no empty panels), one shared axis label.
    """
    name = mission or "ALL"
    # Summed batch by batch: memory does not grow with replications (the rows do).
    sums = data.totals("deploy_times", ["variant", "category", "bin_start_days"], ["arrivals"],
                       mission=name)["arrivals_sum"]

    present_pairs = {(variant, category) for variant, category, _ in sums.index}

    def counts_of(variant: str, category: str) -> pd.Series:
        """Arrivals by bin (days) of one variant and category, summed over replications."""
        if (variant, category) not in present_pairs:
            return pd.Series(dtype=float)
        counts: pd.Series = sums.loc[(variant, category)]
        return counts

    present = [c for c in ("ipo", "fpu", "spt")
               if sum(counts_of(v, c).sum() for v in data.variants) > 0]
    with style():
        fig, axes = plt.subplots(1, max(len(present), 1), squeeze=False)
        for ax, category in zip(axes.flat, present, strict=False):
            for i, variant in enumerate(data.variants):
                counts = counts_of(variant, category)
                if counts.sum() == 0:
                    continue
                ax.step(counts.index, (counts / counts.sum() * 100).to_numpy(), where="post",
                        linewidth=2, color=OKABE_ITO[i % len(OKABE_ITO)], label=variant)
            ax.set_title(CATEGORY_LABELS[category])
            ax.set_xlim(left=0)
        if not present:
            axes.flat[0].text(0.5, 0.5, "no arrivals in this run", ha="center", va="center",
                              transform=axes.flat[0].transAxes)
        axes.flat[0].set_ylabel("arrivals (% of the category's arrivals)")
        if present:
            axes.flat[0].legend(loc="upper right")
        where = "all missions" if name == "ALL" else name
        return _finish(fig, data, f"Time to deploy ({where})",
                       "Formed units and teams: one arrival per unit.",
                       xlabel="days from vacancy to arrival (15-day bins; the last bin is 720 "
                       "days and more)")


MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
"""Marker per variant, so variants stay apart without relying on colour alone."""


def fig_pipeline_flow(data: RunData, mission: str | None = None) -> Figure:
    """Nominations, passed assessments and arrivals of individual officers per year.

    One panel per stage, one line per variant (colour and marker), so any number of variants
    stays readable.
    """
    name = mission or "ALL"
    flows = ["nominations", "passed", "arrivals"]
    sums = data.totals("monthly", ["variant", "year"], flows, mission=name, category="ipo")
    replications = float(data.manifest.get("replications") or 1)
    mean = pd.DataFrame({f: sums[f"{f}_sum"] / replications for f in flows})
    years = sorted({int(y) for y in mean.index.get_level_values("year")})
    stages = [("nominations", "Nominated"), ("passed", "Passed assessment"),
              ("arrivals", "Arrived")]
    with style():
        fig, axes = plt.subplots(1, len(stages), sharey=True, squeeze=False)
        for ax, (column, title) in zip(axes.flat, stages, strict=True):
            for v, variant in enumerate(data.variants):
                if variant not in mean.index.get_level_values("variant"):
                    continue
                values = mean.loc[variant][column].reindex(years).to_numpy()
                ax.plot(years, values, color=OKABE_ITO[v % len(OKABE_ITO)],
                        marker=MARKERS[v % len(MARKERS)], linewidth=2, label=variant)
            ax.set_title(title)
            ax.set_xticks(years, [str(y) for y in years],
                          rotation=0 if len(years) <= 6 else 45)
            ax.set_ylim(bottom=0)
        axes.flat[0].set_ylabel("individual officers per year (mean over replications)")
        axes.flat[0].legend(loc="lower left", fontsize=9)
        where = "all missions" if name == "ALL" else name
        return _finish(fig, data, f"Individual-officer pipeline per year ({where})")


def _contributor_shares(data: RunData, variant: str) -> pd.DataFrame:
    """Mean deployed police per date (rows) and contributor (columns) of one variant."""
    sums = data.totals("contributors", ["date", "contributor"], ["deployed"], variant=variant)
    replications = float(data.manifest.get("replications") or 1)
    mean = (sums["deployed_sum"] / replications).unstack("contributor").fillna(0)
    return mean.loc[:, mean.sum() > 0]


def fig_contributors(data: RunData, mission: str | None = None) -> Figure:
    """Top contributors' shares of deployed police per variant, and concentration (HHI).

    The top seven contributors are those of the first variant (the base), in the same colours
    in every panel; the rest are grouped.
    """
    means = {variant: _contributor_shares(data, variant) for variant in data.variants}
    first = means[data.variants[0]]
    top = list(first.mean().sort_values(ascending=False).index[:7])
    panels = len(data.variants) + 1
    rows, cols = _grid(panels)
    with style():
        fig, axes = plt.subplots(rows, cols, squeeze=False)
        colours = [*OKABE_ITO[: len(top)], "#BBBBBB"]
        for ax, variant in zip(axes.flat, data.variants, strict=False):
            mean = means[variant]
            others = mean.drop(columns=[c for c in top if c in mean]).sum(axis=1)
            stacked = mean.reindex(columns=top, fill_value=0).assign(
                **{"remaining contributors": others})
            shares = stacked.div(stacked.sum(axis=1).replace(0, np.nan), axis=0) * 100
            ax.stackplot(pd.to_datetime(shares.index), shares.T.to_numpy(),
                         labels=list(shares.columns), colors=colours, alpha=0.9)
            ax.set_ylim(0, 100)
            ax.set_title(variant, fontsize=10)
            _years(ax, 3)
        axes.flat[0].set_ylabel("share of police deployed (%)")
        right = axes.flat[panels - 1]
        name = mission or "ALL"
        for i, variant in enumerate(data.variants):
            _fan(right, _monthly_bands(data, variant, name, "all", "hhi"),
                 OKABE_ITO[i % len(OKABE_ITO)], variant)
        _years(right, 3)
        right.set_title("Concentration (HHI)", fontsize=10)
        right.set_ylabel("HHI (0 dispersed … 1 one contributor)", fontsize=9)
        right.set_ylim(bottom=0)
        if panels < rows * cols:  # room in the empty panel beside it
            right.legend(loc="center left", bbox_to_anchor=(1.05, 0.5), fontsize=9)
        else:
            right.legend(loc="upper left", fontsize=8)
        _hide_unused(axes, panels)
        handles, labels = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="upper right", fontsize=9, ncol=min(len(labels), 4))
        return _finish(fig, data, "Who contributes police: top contributors' shares by variant",
                       "Shares: mean over replications; HHI bands over replications.",
                       bands=True)


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


def forest_label(outcome: str, category: str) -> str:
    """A panel label from the catalog: what, for which category, in which unit."""
    import textwrap

    entry = catalog.outcome(outcome)
    unit = "points" if entry.is_share else entry.unit
    return textwrap.fill(f"{entry.label}, {catalog.CATEGORY_SHORT[category]} ({unit})", 24)


def fig_differences(data: RunData, mission: str | None = None) -> Figure:
    """Forest plot: each variant's paired difference from the base, with its 95% CI."""
    comparison = data.summary("comparison")
    if comparison is None:
        raise ResultsError(f"{data.path}: the 'differences' figure needs a compare run")
    name = mission or "ALL"
    rows = comparison[(comparison["at"] == "horizon") & (comparison["mission"] == name)]
    others = [v for v in data.variants if v != "base"]
    panels = [(o, c, forest_label(o, c)) for o, c in catalog.FOREST
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
            ax.set_title(label, fontsize=10)
            better = catalog.outcome(outcome).better
            if better != "neither":  # which side of zero is an improvement, from the catalog
                ax.set_xlabel("better →" if better == "higher" else "← better", fontsize=10,
                              loc="right" if better == "higher" else "left",
                              color="#006644")
            ax.grid(axis="y", visible=False)
        _hide_unused(axes, len(panels))
        where = "all missions" if name == "ALL" else name
        return _finish(fig, data, f"Difference from the base, paired over replications ({where})",
                       "Bars: 95% confidence intervals of the paired difference "
                       "(common random numbers); 'better' marks the side of zero that is an "
                       "improvement.")


def _series_panels(frame: pd.DataFrame, pad: float
                   ) -> tuple[Figure, Any, list[tuple[Any, pd.DataFrame, float, pd.Series]]]:
    """A figure with one titled panel per (mission, category, metric) of ``frame``.

    Returns the figure, its axes and per panel ``(axis, rows by date, scale, dates)``: shares
    are scaled to percent. Unused axes of the grid are hidden. ``pad`` is the extra height
    (inches) left for titles and captions.
    """
    series = frame[["mission", "category", "metric"]].drop_duplicates().to_numpy().tolist()
    rows, cols = _grid(max(len(series), 1))
    fig, axes = plt.subplots(rows, cols, squeeze=False,
                             figsize=(max(12.8, 4.3 * cols + 1), max(7.2, 3.4 * rows + pad)))
    panels = []
    for ax, (mission, category, metric) in zip(axes.flat, series, strict=False):
        part = frame[(frame["mission"] == mission) & (frame["category"] == category)
                     & (frame["metric"] == metric)].sort_values("date")
        ax.set_title(f"{mission} · {CATEGORY_LABELS.get(category, category)}", fontsize=11)
        ax.set_ylabel(METRIC_LABELS.get(metric, metric))
        scale = 100.0 if metric == "women_share" else 1.0
        panels.append((ax, part, scale, pd.to_datetime(part["date"])))
    _hide_unused(axes, len(series))
    return fig, axes, panels


def fig_validation(data: RunData, mission: str | None = None) -> Figure:
    """Observed figures against the simulated median and 90% band at their dates, per series.

    One panel per (mission, category, metric) of ``summary/validation``; a dashed line marks
    the end of the calibration window (``calibration.until``), after which the check is out of
    sample.
    """
    matched = data.summary("validation")
    if matched is None or matched.empty:
        raise ResultsError(f"{data.path}: no summary/validation (the scenario has no observed "
                           "figures)")
    if mission is not None:
        matched = matched[matched["mission"] == mission]
    until = (data.scenario.get("calibration") or {}).get("until")
    with style():
        fig, axes, panels = _series_panels(matched, pad=1.2)
        for ax, part, scale, dates in panels:
            ax.vlines(dates, part["sim_p5"] * scale, part["sim_p95"] * scale,
                      color=OKABE_ITO[0], alpha=0.35, linewidth=7, label="simulated 90%")
            ax.plot(dates, part["sim_median"] * scale, color=OKABE_ITO[0], marker="o", ms=4,
                    linewidth=1, label="simulated median")
            inside = part["inside_90"].astype(bool).to_numpy()
            ax.scatter(dates[inside], part["observed"][inside] * scale, marker="D", s=30,
                       color="#000000", zorder=5, label="observed, inside band")
            ax.scatter(dates[~inside], part["observed"][~inside] * scale, marker="D", s=30,
                       facecolor="white", edgecolor=OKABE_ITO[3], zorder=5,
                       label="observed, outside band")
            if until:
                ax.axvline(pd.Timestamp(f"{until}-01") + pd.offsets.MonthEnd(1),
                           color="#666666", linestyle="--", linewidth=1)
            _observation_ticks(ax, dates)
        axes.flat[0].legend(loc="best", fontsize=8)
        inside_n = int(matched["inside_90"].sum())
        note = (f"Observed inside the simulated 90% band: {inside_n} of {len(matched)}. "
                + (f"Dashed line: end of the calibration window ({until}); later figures are "
                   "out of sample." if until else "No calibration window recorded."))
        return _finish(fig, data, "Observed vs simulated", note)


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
    "validation": fig_validation,
}
"""Every standard figure by its stable name."""


def available(data: RunData) -> list[str]:
    """Figures that apply to this run (some need a comparison, casework, events or observations)."""
    has_events = any(s.get("events") for s in data.scenarios.values())
    return [name for name in FIGURES
            if (name != "differences" or data.summary("comparison") is not None)
            and (name != "casework" or data.has_cases())
            and (name != "events" or has_events)
            and (name != "validation" or data.summary("validation") is not None)]


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
    failed: list[str] = []
    for name in names:
        try:
            written += save_figure(FIGURES[name](data, mission), target / f"{name}{suffix}",
                                   formats)
        except OSError as exc:
            raise StorageError(os_error_message(exc, "writing the figures: cannot write",
                                                then="rerun")) from None
        except Exception as exc:
            failed.append(f"{name} ({type(exc).__name__}: {exc})")
    if failed:
        raise ResultsError(f"{run_dir}: could not draw {len(failed)} of {len(names)} figures "
                           f"(the other {len(names) - len(failed)} are in {target}): "
                           + "; ".join(failed))
    return written


def fig_calibration(overlay: pd.DataFrame, title: str, note: str = "") -> Figure:
    """Observed monthly series against the simulated median and 90% band, one panel a series.

    Args:
        overlay: ``calibration/overlay`` (or ``summary/validation_monthly``): ``mission``,
            ``category``, ``metric``, ``date``, ``observed``, ``sim_p5``, ``sim_p50``,
            ``sim_p95``.
        title: the figure's title.
        note: a caption (window used for calibration, replications).
    """
    with style():
        fig, axes, panels = _series_panels(overlay, pad=1.0)
        for ax, part, scale, dates in panels:
            ax.fill_between(dates, part["sim_p5"] * scale, part["sim_p95"] * scale,
                            color=OKABE_ITO[0], alpha=0.2, linewidth=0, label="simulated 90%")
            ax.plot(dates, part["sim_p50"] * scale, color=OKABE_ITO[0], linewidth=1.8,
                    label="simulated median")
            ax.plot(dates, part["observed"] * scale, color="#000000", linewidth=1.2,
                    label="observed (UN record)")
            _years(ax, step=2)
        axes.flat[0].legend(loc="best", fontsize=9)
        fig.suptitle(title, x=0.01, ha="left")
        if note:
            fig.text(0.01, 0.01, note, fontsize=9, color="#444444", ha="left", va="bottom",
                     wrap=True)
        fig.tight_layout(rect=(0, 0.04, 1, 0.96))
    return fig


def draw_calibration(run_dir: str | Path, formats: tuple[str, ...] = ("png",)) -> list[Path]:
    """Draw ``plots/calibration`` of a calibration run folder (finished or partial)."""
    root = Path(run_dir)
    overlay = pd.read_parquet(root / "calibration" / "overlay.parquet")
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    fitted = ", ".join(f"{k.rsplit('.', 1)[-1]} = {v:.4g}" for k, v in manifest["fitted"].items())
    note = (f"Fitted on the record to {manifest['until']} ({manifest['method']}, "
            f"{manifest['evaluations']} evaluations × {manifest['replications']} replications, "
            f"seed {manifest['seed']}): {fitted}; loss {manifest['loss']:.4g}.")
    fig = fig_calibration(overlay, f"Calibration of '{manifest['scenario']['name']}': observed "
                          "vs simulated", note)
    return save_figure(fig, root / "plots" / "calibration", formats)
