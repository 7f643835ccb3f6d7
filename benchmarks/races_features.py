"""Racing features: the DuckDB builder on the demo world scaled to 1,000,000 runners, and
against the straightforward pandas version of the same features (tests/races/features/
race_reference.py) on a smaller scale, where both are timed on the same frames and compared.

The demo world (seed 42) is tiled: copy k has its own venues, horses, jockeys and trainers and
runs ``k`` world-spans later, so histories, ratings and strike rates grow over one long
timeline as in a real archive. Usage::

    python benchmarks/races_features.py [--runners 1000000] [--pandas-runners 100000]
        [--threads 2] [--no-docs]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from _common import markdown_table, publish
from formline.engine import compute_session
from formline.races.demo import generate_race_world
from formline.races.features import RACE_FEATURES, build_race_features, create_input_tables
from formline.races.features.inputs import input_frames

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "races" / "features"))
from race_reference import reference_features

GOAL_SECONDS, GOAL_RATIO = 60.0, 10.0
NOW = datetime(2025, 6, 1)
_IDS = {
    "races": ("race_id", "venue_id"),
    "runners": ("runner_id", "race_id", "horse_id", "jockey_id", "trainer_id"),
    "runner_results": ("runner_id",),
    "race_odds": ("runner_id",),
}


def tiled(base: dict[str, pd.DataFrame], runners: int) -> dict[str, pd.DataFrame]:
    """Copies of ``base`` (disjoint ids, each a world-span later) up to ``runners`` runners."""
    copies = -(-runners // len(base["runners"]))
    races = base["races"]
    span = races["start_at"].max() - races["start_at"].min() + pd.Timedelta(days=7)
    top = {
        c: max(int(pd.to_numeric(f[c]).max()) for f in base.values() if c in f)
        for c in ("race_id", "venue_id", "runner_id", "horse_id", "jockey_id", "trainer_id")
    }
    out: dict[str, list[pd.DataFrame]] = {name: [] for name in base}
    for k in range(copies):
        for name, frame in base.items():
            part = frame.copy()
            for column in _IDS[name]:
                part[column] = part[column] + k * top[column]
            for column in ("start_at", "observed_at"):
                if column in part:
                    part[column] = part[column] + k * span
            out[name].append(part)
    frames = {name: pd.concat(parts, ignore_index=True) for name, parts in out.items()}
    keep = frames["runners"]["runner_id"].nsmallest(runners)
    if len(keep) < len(frames["runners"]):
        # Cut whole races, so the last race is not a partial field.
        last_race = frames["runners"].loc[keep.index, "race_id"].max()
        frames["runners"] = frames["runners"][frames["runners"]["race_id"] <= last_race]
        frames["races"] = frames["races"][frames["races"]["race_id"] <= last_race]
        ids = set(frames["runners"]["runner_id"])
        for name in ("runner_results", "race_odds"):
            frames[name] = frames[name][frames[name]["runner_id"].isin(ids)]
    return frames


def duckdb_run(
    frames: dict[str, pd.DataFrame], as_of: datetime, threads: int
) -> tuple[float, pd.DataFrame]:
    """Seconds to load the frames into DuckDB and build, and the features."""
    started = time.perf_counter()
    con = compute_session(threads)
    create_input_tables(con, frames)
    features = build_race_features(con, as_of)
    return time.perf_counter() - started, features


def agreement(built: pd.DataFrame, reference: pd.DataFrame) -> tuple[int, int]:
    """(features agreeing on every runner, cells disagreeing)."""
    assert (built["runner_id"].to_numpy() == reference["runner_id"].to_numpy()).all()
    agreeing, bad_cells = 0, 0
    for name in RACE_FEATURES.names:
        x, y = built[name].to_numpy(), reference[name].to_numpy()
        same = (np.isnan(x) & np.isnan(y)) | np.isclose(x, y, rtol=1e-9, atol=1e-12)
        agreeing += bool(same.all())
        bad_cells += int((~same).sum())
    return agreeing, bad_cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runners", type=int, default=1_000_000)
    parser.add_argument("--pandas-runners", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args()

    world = generate_race_world(seed=42, now=NOW)
    base = input_frames(world.batch)
    # Warm numba's cache (a compile is not the builder's cost).
    duckdb_run(base, NOW, args.threads)

    small = tiled(base, args.pandas_runners)
    as_of_small = small["races"]["start_at"].max().to_pydatetime()
    duck_small, built = duckdb_run(small, as_of_small, args.threads)
    started = time.perf_counter()
    reference = reference_features(small, as_of_small)
    pandas_small = time.perf_counter() - started
    agreeing, bad_cells = agreement(built, reference)

    big = tiled(base, args.runners)
    as_of_big = big["races"]["start_at"].max().to_pydatetime()
    duck_big, features = duckdb_run(big, as_of_big, args.threads)

    rows = pd.DataFrame(
        [
            {
                "run": "DuckDB builder",
                "runners": len(features),
                "races": int(features["race_id"].nunique()),
                "seconds": round(duck_big, 2),
                "goal": f"<= {GOAL_SECONDS:g} s",
                "met": "yes" if duck_big <= GOAL_SECONDS else "no",
            },
            {
                "run": "DuckDB builder (pandas scale)",
                "runners": len(built),
                "races": int(built["race_id"].nunique()),
                "seconds": round(duck_small, 2),
                "goal": "",
                "met": "",
            },
            {
                "run": "pandas reference",
                "runners": len(reference),
                "races": int(reference["race_id"].nunique()),
                "seconds": round(pandas_small, 2),
                "goal": "",
                "met": "",
            },
        ]
    )
    ratio = pandas_small / duck_small
    blocks = [
        "## Racing features (`benchmarks/races_features.py`)",
        "The racing feature builder (`formline.races.features.build_race_features`: "
        f"{len(RACE_FEATURES)} features, every runner at its race's off) on the seeded demo world "
        "tiled to the runner counts below (copies with their own venues and entities, one after "
        "another in time); seconds include loading the frames into DuckDB. The pandas reference "
        "is the straightforward pandas version the tests compare with.",
        markdown_table(rows),
        f"pandas / DuckDB on {len(built):,} runners: **{ratio:.1f}x** (goal {GOAL_RATIO:g}x); "
        f"features agreeing on every runner: {agreeing}/{len(RACE_FEATURES)} "
        f"({bad_cells} cells differ beyond rtol 1e-9). DuckDB threads: {args.threads}.",
        "The pandas reference is vectorised (groupby, cumulative sums, rolling windows and "
        "strict `merge_asof`, a Python loop only for the rating), not a per-race loop, which "
        "is why the ratio is far from the goal: DuckDB's set-based plan and this pandas plan do "
        "about the same work, and on a loaded 2-core machine DuckDB's second thread buys "
        "little.",
        "The machine was shared with other helpers' test runs and builds while this ran (a "
        "load average well above its 2 cores), so absolute seconds are pessimistic and noisy; "
        "the ratio is from one run of both on the same frames, back to back.",
    ]
    publish("races_features", blocks, write_docs=not args.no_docs)


if __name__ == "__main__":
    main()
