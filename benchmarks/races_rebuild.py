"""``dataset:rebuild``: seconds per phase, on SQLite and PostgreSQL, for

* the demo world (seed 42) tiled to 1,000,000 runners (as in ``races_features.py``), handed to
  the rebuild already in DuckDB (its ``extract`` phase then only counts; every later phase,
  the shadow write into the store, the checks on it and the swap, runs in full), built twice so
  the second publish keeps a previous build; and
* the shared Hong Kong data (``horse_racing_hk_gdaley``) ingested into the store and rebuilt
  from it, extraction included.

Prints the figures and writes them, with the machine, to ``docs/benchmarks.md`` (unless
``--no-docs``). Usage::

    python benchmarks/races_rebuild.py [--runners 1000000] [--threads 2] [--no-postgres]
        [--no-real] [--no-docs]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from _common import (
    REPO_ROOT,
    markdown_table,
    postgres_problem,
    postgres_store,
    publish,
    sqlite_store,
)
from formline.engine import compute_session
from formline.races.demo import generate_race_world
from formline.races.features import create_input_tables
from formline.races.features.inputs import input_frames
from formline.races.ingest import ingest_hkjc
from formline.races.rebuild import PHASES, RebuildResult, rebuild_dataset
from formline.store import Store
from races_features import NOW, tiled

GDALEY = REPO_ROOT.parent / "shared" / "data" / "horse_racing_hk_gdaley"
GOAL_SECONDS = 60.0


def runner_info(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The rows of ``RUNNER_INFO`` for the tiled frames (ids made into the source's names)."""
    races = frames["races"][["race_id", "venue_id", "start_at"]]
    runners = frames["runners"].merge(races, on="race_id").sort_values(["race_id", "runner_id"])
    results = frames["runner_results"][["runner_id", "status", "finish_position", "observed_at"]]
    runners = runners.merge(results, on="runner_id", how="left", suffixes=("", "_result"))
    return pd.DataFrame(
        {
            "runner_id": runners["runner_id"].to_numpy(),
            "race_id": runners["race_id"].to_numpy(),
            "source_race_id": runners["race_id"].astype(str).to_numpy(),
            "venue": ("V" + runners["venue_id"].astype(str)).to_numpy(),
            "race_date": runners["start_at"].dt.strftime("%Y-%m-%d").to_numpy(),
            "race_number": 1,
            "start_at": runners["start_at"].to_numpy(),
            "saddle_number": runners.groupby("race_id").cumcount().to_numpy() + 1,
            "horse": ("H" + runners["horse_id"].astype(str)).to_numpy(),
            "horse_name": None,
            "status": runners["status"].to_numpy(),
            "finish_position": runners["finish_position"].to_numpy(),
            "result_observed_at": runners["observed_at_result"].to_numpy(),
        }
    )


def loaded_session(frames: dict[str, pd.DataFrame], threads: int) -> duckdb.DuckDBPyConnection:
    """A DuckDB session holding the rebuild's inputs, made from ``frames``."""
    con = compute_session(threads)
    create_input_tables(con, frames)
    con.register("_info", runner_info(frames))
    con.execute("CREATE TABLE runner_info AS SELECT * FROM _info")
    con.unregister("_info")
    return con


def row(label: str, backend: str, result: RebuildResult, total: float) -> dict[str, object]:
    """One table row: the run, its runners, seconds per phase and in all."""
    seconds = {p.phase: round(p.seconds, 2) for p in result.phases}
    return {
        "run": label,
        "store": backend,
        "runners": result.rows,
        **{phase: seconds.get(phase, "") for phase in PHASES[:-1]},
        "total s": round(total, 2),
    }


def timed(call: Callable[[], RebuildResult]) -> tuple[RebuildResult, float]:
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def stores(
    folder: Path, with_postgres: bool
) -> Iterator[tuple[str, AbstractContextManager[Store]]]:
    """(backend, store context) for SQLite and, when asked and reachable, PostgreSQL."""
    yield "sqlite", sqlite_store(folder)
    problem = postgres_problem() if with_postgres else "not asked"
    if problem is None:
        yield "postgresql", postgres_store()
    else:
        print(f"PostgreSQL skipped: {problem}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runners", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-real", action="store_true")
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args()

    base = input_frames(generate_race_world(seed=42, now=NOW).batch)
    big = tiled(base, args.runners)
    as_of = big["races"]["start_at"].max().to_pydatetime()
    # Warm numba's cache on a small world (a compile is not the rebuild's cost).
    with tempfile.TemporaryDirectory() as warm, sqlite_store(Path(warm)) as store:
        rebuild_dataset(store, NOW, con=loaded_session(base, args.threads))

    rows = []
    for backend, context in stores(Path(tempfile.mkdtemp()), not args.no_postgres):
        with context as store:
            for attempt in ("first build", "second build (keeps the previous)"):
                started = time.perf_counter()
                con = loaded_session(big, args.threads)
                loading = time.perf_counter() - started
                result, total = timed(lambda con=con: rebuild_dataset(store, as_of, con=con))
                con.close()
                rows.append(row(f"demo x{args.runners:,}: {attempt}", backend, result, total))
                print(f"{backend} {attempt}: into DuckDB {loading:.1f} s, rebuild {total:.1f} s")

    if not args.no_real and GDALEY.exists():
        for backend, context in stores(Path(tempfile.mkdtemp()), not args.no_postgres):
            with context as store:
                started = time.perf_counter()
                ingest_hkjc(store, [GDALEY])
                print(f"{backend}: gdaley ingested in {time.perf_counter() - started:.1f} s")
                real_as_of = datetime(2030, 1, 1)
                for attempt in ("first build", "second build (keeps the previous)"):
                    result, total = timed(lambda: rebuild_dataset(store, real_as_of))  # noqa: B023
                    rows.append(row(f"gdaley: {attempt}", backend, result, total))

    table = pd.DataFrame(rows)
    note = (
        f"Goal: the demo world at {args.runners:,} runners in <= {GOAL_SECONDS:g} s "
        f"(DuckDB threads: {args.threads}); extract on the tiled runs only counts the frames "
        "already in DuckDB (loading them is not included); the gdaley runs read from the store."
    )
    publish(
        "Racing dataset rebuild (dataset:rebuild)",
        [markdown_table(table), note],
        write_docs=not args.no_docs,
    )


if __name__ == "__main__":
    main()
