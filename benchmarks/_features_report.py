"""The figures of ``benchmarks/features_build.py`` and their markdown section."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

import pandas as pd

from _common import group_summary, markdown_table

GOAL_SECONDS, GOAL_RATIO = 60.0, 10.0


@dataclass
class Build:
    """Timings of one data set in one store."""

    label: str
    matches: int = 0
    odds: int = 0
    ingest: float = 0.0
    cli: list[float] = field(default_factory=list)
    steps: dict[str, float] = field(default_factory=dict)
    total: float = 0.0
    written: int = 0
    rebuild_steps: dict[str, float] = field(default_factory=dict)
    rebuild_total: float = 0.0
    rebuild_written: int = 0
    fetch: dict[str, float] = field(default_factory=dict)
    duckdb_steps: dict[str, float] = field(default_factory=dict)


@dataclass
class Ratio:
    """DuckDB compute against the pandas reference on one set of input frames."""

    label: str
    matches: int
    duckdb_runs: list[float] = field(default_factory=list)
    pandas_runs: list[float] = field(default_factory=list)
    stages: dict[str, float] = field(default_factory=dict)  # of the last pandas run
    comparison: pd.DataFrame = field(default_factory=pd.DataFrame)
    reference: pd.DataFrame = field(default_factory=pd.DataFrame)
    built: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def duckdb(self) -> float:
        return statistics.median(self.duckdb_runs)

    @property
    def pandas(self) -> float:
        return statistics.median(self.pandas_runs)

    @property
    def agreeing(self) -> str:
        return f"{int((self.comparison['mismatches'] == 0).sum())}/{len(self.comparison)}"


def runs(values: list[float]) -> str:
    """``median (min-max, n runs)``, or the one value."""
    if len(values) == 1:
        return f"{values[0]:.1f}"
    return (
        f"{statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f}, {len(values)} runs)"
    )


def _split(steps: dict[str, float], total: float) -> str:
    return f"{total:.1f} ({steps['load']:.1f} / {steps['compute']:.1f} / {steps['save']:.1f})"


def _seconds(columns: dict[str, dict[str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(columns).map(lambda v: "" if pd.isna(v) else f"{v:.1f}")
    return frame.rename_axis("step").reset_index()


def mismatch_lines(comparison: pd.DataFrame) -> str:
    """One line per disagreeing feature with its first example."""
    bad = comparison[comparison["mismatches"] > 0]
    if bad.empty:
        return "every feature agrees."
    return "; ".join(
        f"`{r.feature}` differs in {r.mismatches} of {r.rows:,} rows (e.g. match {r.match_id}: "
        f"pandas {r.reference}, DuckDB {r.duckdb})"
        for r in bad.itertuples()
    )


def agreement(ratios: list[Ratio]) -> pd.DataFrame:
    """One row per feature group, one column per comparison."""
    columns = {}
    for r in ratios:
        summary = group_summary(r.comparison).set_index("group")
        columns[r.label] = [
            f"{g.agreeing}/{g.features} ({g.mismatching_cells})" for g in summary.itertuples()
        ]
        index = summary.index
    return pd.DataFrame(columns, index=index).rename_axis("group").reset_index()


def verdict(demo: Build, ratios: list[Ratio]) -> list[str]:
    """The two goals, checked against this run's figures."""
    cli = statistics.median(demo.cli) if demo.cli else demo.total
    speed = "met" if cli <= GOAL_SECONDS else "NOT met"
    if demo.cli and min(demo.cli) <= GOAL_SECONDS < max(demo.cli):
        speed += ", borderline"
    lines = [
        f"Goal 1, {demo.matches:,} demo matches in {GOAL_SECONDS:.0f} s or less on 2 cores: "
        f"**{speed}** (CLI `features:build` {runs(demo.cli) if demo.cli else 'not run'} s; "
        f"in-process {demo.total:.1f} s = load {demo.steps['load']:.1f} + compute "
        f"{demo.steps['compute']:.1f} + save {demo.steps['save']:.1f})."
    ]
    for r in ratios:
        if "variant" in r.label:
            continue
        ok = "met" if r.pandas / r.duckdb >= GOAL_RATIO else "NOT met"
        lines.append(
            f"Goal 2, at least {GOAL_RATIO:.0f}x faster than pandas, on {r.label}: **{ok}** "
            f"({r.pandas / r.duckdb:.1f}x on {r.matches:,} matches, ratio of medians)."
        )
    return lines


def render(
    info: dict[str, str], builds: list[Build], ratios: list[Ratio], notes: list[str], args: str
) -> str:
    """The ``features_build`` section of ``docs/benchmarks.md``."""
    build_rows = pd.DataFrame(
        [
            {
                "data set": b.label,
                "matches": f"{b.matches:,}",
                "odds rows read": f"{b.odds:,}",
                "ingest s": f"{b.ingest:.1f}",
                "CLI features:build s": runs(b.cli) if b.cli else "",
                "build s (load / compute / save)": _split(b.steps, b.total),
                "rows written": f"{b.written:,}",
                "rebuild s (load / compute / save)": _split(b.rebuild_steps, b.rebuild_total),
            }
            for b in builds
        ]
    )
    where = {
        b.label: {f"fetch {k} (store rows to Arrow)": v for k, v in b.fetch.items()}
        | {f"DuckDB: {k}": v for k, v in b.duckdb_steps.items()}
        for b in builds
    }
    ratio_rows = pd.DataFrame(
        [
            {
                "inputs (identical frames for both)": r.label,
                "matches": f"{r.matches:,}",
                "DuckDB compute s": runs(r.duckdb_runs),
                "pandas s": runs(r.pandas_runs),
                "pandas / DuckDB": f"{r.pandas / r.duckdb:.1f}x",
                "features agreeing": r.agreeing,
            }
            for r in ratios
        ]
    )
    parts = [
        "## Feature build (`features:build`)",
        f"Written by `benchmarks/features_build.py{args}` on {info['date']}. Wall-clock seconds "
        "of one run on a shared, noisy machine: compare ratios within a run, not across runs.",
        "### Machine",
        markdown_table(pd.DataFrame({"": list(info), "value": list(info.values())})),
        "### features:build",
        "Each data set is loaded into a fresh store by the pipeline (*ingest*, informative only). "
        "*CLI* is `formline features:build --as-of ...` in a fresh process on a fresh copy of "
        "that store (a first build, everything included: imports, numba cache, load, compute, "
        "save), repeated: median (min-max). *build* is "
        "`build_features` in-process on an identical copy of the store, split into load from the "
        "store, compute (DuckDB) and save snapshots; *rebuild* runs it again at the same `as_of` "
        "(finished matches' snapshots are unchanged).",
        markdown_table(build_rows),
        "Where the time goes (seconds; fetch = `formline.engine.fetch_arrow` per input table; "
        "DuckDB steps replay `build_match_features` step by step, the final join not included):",
        markdown_table(_seconds(where)),
        "### DuckDB builder against the straightforward pandas version",
        "Both run in memory on the same input frames (read from the store as `features:build` "
        "reads them). DuckDB time is `create_input_tables` + `build_match_features`; pandas time "
        "is `benchmarks/pandas_reference.py` (Python Elo/pi loop, `groupby().rolling().apply()` "
        "for form, `merge_asof` for team state, per-match lookups for rest days, head-to-head, "
        "tables (one table per distinct cutoff) and market prices). Outputs are compared column "
        "by column (NaN = NaN, tolerance 1e-6). The two run alternately, repeated: median "
        "(min-max); the ratio is of the medians. On all 250k demo matches pandas runs once. Rows "
        "marked *shift variant* (one run) swap the pandas form step's `rolling().apply()` for a "
        "vectorised weighted sum of `groupby().shift()` columns, to show how much of the gap "
        "that one step is; the goal is judged on the straightforward version.",
        markdown_table(ratio_rows),
        "pandas seconds by stage (last run):",
        markdown_table(_seconds({r.label: r.stages for r in ratios})),
        "### Cross-check by feature group",
        "Features in full agreement / features in the group (cells that differ), per input:",
        markdown_table(agreement(ratios)),
        *(f"**{r.label}**: " + mismatch_lines(r.comparison) for r in ratios),
        "### Verdict and notes",
        "\n".join(f"- {n}" for n in notes),
    ]
    return "\n\n".join(parts)
