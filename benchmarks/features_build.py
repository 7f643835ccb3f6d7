"""Benchmark ``features:build`` on the real football data and on a 250,000-match demo world, and
compare the DuckDB builder with the straightforward pandas version on equal inputs.

For each data set: load it into a fresh temporary store with the pipeline (timed, informative),
run ``formline features:build`` as a subprocess (a cold process, what a user waits for), then
``build_features`` in-process twice on an identical copy of the store, timing its steps (load
from the store, compute, save snapshots): the first build and a rebuild at the same ``as_of``.
Then, on input frames read from the store exactly as the build reads them, time the DuckDB
builder's compute and ``benchmarks/pandas_reference.py`` side by side, compare their output
column by column, and report the ratio. The goal: 250,000 matches in 60 s or less on 2 cores, at
least 10 times faster than pandas. The figures go to the ``features_build`` section of
``docs/benchmarks.md``.

Usage: ``.venv/bin/python benchmarks/features_build.py [--quick]`` (see ``--help``).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pandas as pd

from _common import (
    DOCS,
    FOOTBALL_ODDS,
    StepTimer,
    compare_features,
    duckdb_steps,
    input_frames,
    machine,
    postgres_problem,
    postgres_store,
    sqlite_store,
    write_section,
)
from _features_report import Build, Ratio, render, verdict
from crosscheck_features import duckdb_features
from formline.matches.features import match_feature_set
from formline.matches.ingest import ingest_football_data
from formline.pipeline.features import build_features
from formline.pipeline.ingest import ingest_demo
from formline.store import Store
from pandas_reference import reference_features

REAL_AS_OF = datetime(2023, 7, 1)  # after the last shared season (2022-23): everything finished
DEMO_NOW = datetime(2025, 1, 15)  # mid-season: the last season has fixtures still to play
Ingest = Callable[[Store], None]
SHIFT = ", pandas shift variant"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def timed_build(store: Store, as_of: datetime) -> tuple[dict[str, float], float, int, pd.DataFrame]:
    """``build_features`` with seconds per step: (steps, total, rows written, features)."""
    timer = StepTimer()
    started = time.perf_counter()
    build = build_features(store, as_of, progress=timer)
    total = time.perf_counter() - started
    steps = {
        "load": timer.seconds["loading facts"],
        "compute": timer.seconds["computing features"],
        "save": timer.seconds["saving snapshots"],
    }
    return steps, total, build.written, build.frame


def load_average() -> str:
    """The 1-minute load average (other processes share the machine)."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def copy_store(source: Path, target: Path) -> None:
    """An identical copy of the SQLite store in ``source`` (the backup API, WAL included)."""
    target.mkdir()
    with (
        sqlite3.connect(source / "formline.db") as src,
        sqlite3.connect(target / "formline.db") as dst,
    ):
        src.backup(dst)


def cli_build(folder: Path, as_of: datetime) -> float:
    """Wall time of ``formline features:build --as-of`` in a fresh process on the SQLite store
    in ``folder``."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["FORMLINE_HOME"] = str(folder)
    command = [sys.executable, "-m", "formline", "features:build", "--as-of", as_of.isoformat()]
    load = load_average()
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode:
        raise RuntimeError(f"features:build failed: {done.stderr.strip() or done.stdout.strip()}")
    log(f"  CLI {seconds:.1f}s (load average {load}): {' '.join(done.stdout.split())}")
    return seconds


def run_build(result: Build, store: Store, as_of: datetime) -> pd.DataFrame:
    """Fill ``result`` with a first build and a rebuild of ``store``; return the features."""
    result.steps, result.total, result.written, frame = timed_build(store, as_of)
    log(f"  build: {result.total:.1f}s {fmt_steps(result.steps)}, {result.written} rows written")
    again = timed_build(store, as_of)
    result.rebuild_steps, result.rebuild_total, result.rebuild_written = again[:3]
    log(f"  rebuild: {result.rebuild_total:.1f}s {fmt_steps(result.rebuild_steps)}")
    return frame


def sqlite_bench(
    label: str, ingest: Ingest, as_of: datetime, tmp: Path, repeat: int
) -> tuple[Build, pd.DataFrame, tuple[pd.DataFrame, pd.DataFrame]]:
    """Ingest into a fresh SQLite store; CLI builds and in-process builds on copies of it."""
    result = Build(label)
    first, second = tmp / f"{label}-ingested", tmp / f"{label}-inprocess"
    with sqlite_store(first) as store:
        started = time.perf_counter()
        ingest(store)
        result.ingest = time.perf_counter() - started
    log(f"{label}: ingested in {result.ingest:.1f}s")
    for i in range(repeat):  # each CLI run is a first build, on a fresh copy
        copy = tmp / f"{label}-cli{i}"
        copy_store(first, copy)
        result.cli.append(cli_build(copy, as_of))
        shutil.rmtree(copy)
    copy_store(first, second)
    with sqlite_store(second) as store:
        frame = run_build(result, store, as_of)
        inputs = input_frames(store, result.fetch)
    result.matches, result.odds = len(inputs[0]), len(inputs[1])
    result.duckdb_steps = duckdb_steps(*inputs, as_of)
    log(f"  fetch {fmt_steps(result.fetch)}; DuckDB steps {fmt_steps(result.duckdb_steps)}")
    return result, frame, inputs


def postgres_bench(label: str, ingest: Ingest, as_of: datetime) -> Build:
    """Ingest into a fresh PostgreSQL schema and build there (in-process)."""
    result = Build(label)
    with postgres_store() as store:
        started = time.perf_counter()
        ingest(store)
        result.ingest = time.perf_counter() - started
        log(f"{label}: ingested in {result.ingest:.1f}s")
        run_build(result, store, as_of)
        matches, odds = input_frames(store, result.fetch)
        result.matches, result.odds = len(matches), len(odds)
        log(f"  fetch {fmt_steps(result.fetch)}")
    return result


def compare(
    label: str,
    matches: pd.DataFrame,
    odds: pd.DataFrame,
    as_of: datetime,
    repeat: int,
    form: str = "rolling",
    pandas_repeat: int | None = None,
) -> Ratio:
    """Time DuckDB ``repeat`` times and pandas ``pandas_repeat`` times (default ``repeat``),
    alternately, on the same frames, and compare their output (``form``: the pandas
    reference's form variant)."""
    ratio = Ratio(label, len(matches))
    pandas_repeat = repeat if pandas_repeat is None else pandas_repeat
    for i in range(repeat):
        started = time.perf_counter()
        ratio.built = duckdb_features(matches, odds, as_of)
        ratio.duckdb_runs.append(time.perf_counter() - started)
        log(f"{label}: DuckDB {ratio.duckdb_runs[-1]:.1f}s on {len(matches)} matches (load "
            f"average {load_average()})")  # fmt: skip
        if i >= pandas_repeat:
            continue
        ratio.stages = {}
        started = time.perf_counter()
        ratio.reference = reference_features(matches, odds, as_of, None, ratio.stages, form)
        ratio.pandas_runs.append(time.perf_counter() - started)
        log(f"{label}: pandas {ratio.pandas_runs[-1]:.1f}s")
    log(f"{label}: median ratio {ratio.pandas / ratio.duckdb:.1f}x")
    ratio.comparison = compare_features(ratio.reference, ratio.built, match_feature_set().names)
    return ratio


def first_competitions(
    matches: pd.DataFrame, odds: pd.DataFrame, n: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The inputs of the first ``n`` competitions (the demo's leagues share no teams)."""
    keep = sorted(matches["competition_id"].unique())[:n]
    subset = matches[matches["competition_id"].isin(keep)].reset_index(drop=True)
    return subset, odds[odds["match_id"].isin(subset["match_id"])].reset_index(drop=True)


def fmt_steps(steps: dict[str, float]) -> str:
    return "(" + ", ".join(f"{k} {v:.1f}s" for k, v in steps.items()) + ")"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--leagues", type=int, help="demo leagues (default 22; quick 2)")
    parser.add_argument("--seasons", type=int, help="demo seasons (default 30; quick 4)")
    parser.add_argument("--pandas-leagues", type=int, help="demo leagues for pandas (default 2)")
    parser.add_argument(
        "--pandas-full", action=argparse.BooleanOptionalAction, default=None,
        help="also pandas on every demo match (default: yes unless --quick)",
    )  # fmt: skip
    parser.add_argument(
        "--postgres", choices=("auto", "skip", "real", "all"), default="auto",
        help="PostgreSQL runs: auto/real = real data if the server answers; all = demo too",
    )  # fmt: skip
    parser.add_argument(
        "--repeat",
        type=int,
        help="CLI builds and DuckDB/pandas runs per input (default 3; quick 1)",
    )
    parser.add_argument(
        "--write-docs", action=argparse.BooleanOptionalAction, default=None,
        help="write docs/benchmarks.md (default: yes unless --quick)",
    )  # fmt: skip
    args = parser.parse_args()
    leagues = args.leagues or (2 if args.quick else 22)
    seasons = args.seasons or (4 if args.quick else 30)
    pandas_leagues = args.pandas_leagues or (1 if args.quick else 2)
    repeat = args.repeat or (1 if args.quick else 3)
    pandas_full = (not args.quick) if args.pandas_full is None else args.pandas_full
    write_docs = (not args.quick) if args.write_docs is None else args.write_docs

    info = machine()
    load_at_start = load_average()
    print("\n".join(f"{k}: {v}" for k, v in info.items()), flush=True)
    builds: list[Build] = []
    ratios: list[Ratio] = []
    notes: list[str] = []
    seasons_dir = FOOTBALL_ODDS / "seasons"
    files = sorted(seasons_dir.glob("E0_*.csv" if args.quick else "*.csv"))
    real_label = f"real: football-data {'E0' if args.quick else '5 leagues'} 2003-2023, SQLite"

    def real_ingest(store: Store) -> None:
        ingest_football_data(store, files)

    def demo_ingest(store: Store) -> None:
        ingest_demo(store, now=DEMO_NOW, n_leagues=leagues, n_seasons=seasons)

    demo_label = f"demo {leagues} leagues x20 teams x{seasons} seasons, SQLite"
    with tempfile.TemporaryDirectory(prefix="formline-bench-") as folder:
        tmp = Path(folder)
        if files:
            build, _, inputs = sqlite_bench(real_label, real_ingest, REAL_AS_OF, tmp, repeat)
            builds.append(build)
            label = f"real data, all {build.matches:,} matches"
            ratios.append(compare(label, *inputs, REAL_AS_OF, repeat))
            ratios.append(compare(label + SHIFT, *inputs, REAL_AS_OF, 1, "shift"))
        else:
            notes.append(f"Real data skipped: no season files in {seasons_dir}.")
            log(notes[-1])
        demo, frame, inputs = sqlite_bench(demo_label, demo_ingest, DEMO_NOW, tmp, repeat)
        builds.append(demo)
        subset = first_competitions(*inputs, pandas_leagues)
        label = f"demo subset: first {pandas_leagues} leagues, all {seasons} seasons"
        ratios.append(compare(label, *subset, DEMO_NOW, repeat))
        ratios.append(compare(label + SHIFT, *subset, DEMO_NOW, 1, "shift"))
        # The leagues share no teams, so a subset's features equal the full build's rows.
        check = compare_features(
            ratios[-2].built,
            frame[frame["match_id"].isin(subset[0]["match_id"])],
            match_feature_set().names,
        )
        notes.append(
            f"Consistency: the DuckDB features of the demo subset equal those of the full "
            f"{demo.matches:,}-match build for the same matches on "
            f"{int((check['mismatches'] == 0).sum())}/{len(check)} features."
        )
        if pandas_full:
            label = f"demo, all {demo.matches:,} matches"
            ratios.append(compare(label, *inputs, DEMO_NOW, repeat, pandas_repeat=1))
        del frame, inputs, subset
    if args.postgres == "skip":
        notes.append("PostgreSQL skipped (--postgres skip).")
    elif problem := postgres_problem():
        notes.append(f"PostgreSQL skipped: the server did not answer ({problem}).")
    else:
        if files:
            builds.append(
                postgres_bench(real_label.replace("SQLite", "PostgreSQL"), real_ingest, REAL_AS_OF)
            )
        if args.postgres == "all":
            builds.append(
                postgres_bench(demo_label.replace("SQLite", "PostgreSQL"), demo_ingest, DEMO_NOW)
            )
        else:
            notes.append(
                "PostgreSQL: real data only; the 250k demo world was not loaded into PostgreSQL "
                "(`--postgres all` does)."
            )
    notes[:0] = verdict(demo, ratios)
    notes.append(
        f"The 2 cores were shared with other work (other test runs, the PostgreSQL server): 1-min "
        f"load average {load_at_start} at the start and {load_average()} at the end of the run."
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    notes.append(f"Peak memory of the benchmark process: {peak:.1f} GiB.")
    body = render(info, builds, ratios, notes, "".join(f" {a}" for a in sys.argv[1:]))
    print("\n" + body)
    if write_docs:
        write_section("features_build", body)
        log(f"wrote the features_build section of {DOCS}")


if __name__ == "__main__":
    main()
