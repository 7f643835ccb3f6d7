"""Cross-check the DuckDB feature builder against the pandas reference, column by column.

Two small inputs: a demo world (1 league, 10 teams, 3 seasons, the last one in progress, so
scheduled fixtures are covered) and, when ``../shared/data/football_odds`` is there, the real
Premier League (E0) seasons. Both go through a temporary embedded store and are read back
exactly as ``features:build`` reads them. Prints, per feature, the rows where the two disagree
(NaN equals NaN, tolerance 1e-6) with the first such match, then a summary per feature group.

Usage: ``.venv/bin/python benchmarks/crosscheck_features.py``
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import datetime
from pathlib import Path

import pandas as pd

from _common import FOOTBALL_ODDS, compare_features, group_summary, input_frames, sqlite_store
from formline.engine import compute_session
from formline.matches.features import build_match_features, create_input_tables, match_feature_set
from formline.matches.ingest import ingest_football_data
from formline.pipeline.ingest import ingest_demo
from pandas_reference import reference_features

DEMO_NOW = datetime(2025, 1, 15)
REAL_AS_OF = datetime(2023, 7, 1)


def duckdb_features(matches: pd.DataFrame, odds: pd.DataFrame, as_of: datetime) -> pd.DataFrame:
    """The DuckDB builder's output on in-memory input frames."""
    con = compute_session()
    try:
        create_input_tables(con, matches, odds)
        return build_match_features(con, as_of)
    finally:
        con.close()


def crosscheck(matches: pd.DataFrame, odds: pd.DataFrame, as_of: datetime) -> pd.DataFrame:
    """Per-feature agreement of the two implementations on the same inputs."""
    reference = reference_features(matches, odds, as_of)
    built = duckdb_features(matches, odds, as_of)
    if not reference["cutoff_at"].equals(built["cutoff_at"]):
        raise AssertionError("the two implementations disagree on cutoffs")
    return compare_features(reference, built, match_feature_set().names)


def demo_inputs() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The small demo world's input frames, via a temporary store."""
    with tempfile.TemporaryDirectory() as folder, sqlite_store(Path(folder)) as store:
        ingest_demo(store, now=DEMO_NOW, n_leagues=1, n_teams=10, n_seasons=3)
        return input_frames(store)


def real_inputs(pattern: str = "E0_*.csv") -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """The real football-data files matching ``pattern``, via a temporary store (or None)."""
    files = sorted((FOOTBALL_ODDS / "seasons").glob(pattern))
    if not files:
        return None
    with tempfile.TemporaryDirectory() as folder, sqlite_store(Path(folder)) as store:
        ingest_football_data(store, files)
        return input_frames(store)


def report(name: str, comparison: pd.DataFrame) -> None:
    """Print the disagreeing features and the per-group summary."""
    bad = comparison[comparison["mismatches"] > 0]
    print(f"\n== {name}: {int(comparison['rows'].iloc[0])} matches, {len(comparison)} features")
    if bad.empty:
        print("every feature agrees")
    else:
        print(bad.to_string(index=False))
    print(group_summary(comparison).to_string(index=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real-pattern", default="E0_*.csv", help="season files to check")
    args = parser.parse_args()
    pd.set_option("display.width", 160)
    report("demo world 1x10x3", crosscheck(*demo_inputs(), DEMO_NOW))
    real = real_inputs(args.real_pattern)
    if real is None:
        print(f"\nreal data skipped: nothing matches {args.real_pattern} in {FOOTBALL_ODDS}")
    else:
        report(f"real data {args.real_pattern}", crosscheck(*real, REAL_AS_OF))


if __name__ == "__main__":
    main()
