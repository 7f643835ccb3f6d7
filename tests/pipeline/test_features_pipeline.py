"""The feature steps through the store, on SQLite and PostgreSQL: snapshots, export, leakage."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pandas.testing as pdt
from sqlalchemy import func, select, text

from formline.matches.features import FEATURE_SET_VERSION
from formline.pipeline.features import build_features, compute_features, export_features
from formline.pipeline.ingest import ingest_demo
from formline.store.db import Store
from formline.store.features import load_feature_snapshot
from formline.store.tables import feature_builds, feature_snapshots

DEMO_NOW = datetime(2025, 11, 6)


def _small_demo(store: Store) -> None:
    ingest_demo(store, seed=5, now=DEMO_NOW, n_leagues=1, n_teams=8, n_seasons=2)


def _count(store: Store, table: object) -> int:
    with store.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_build_stores_one_snapshot_per_match_and_cutoff(store: Store) -> None:
    _small_demo(store)
    first = build_features(store, DEMO_NOW)
    assert first.written == len(first.frame) == 112
    again = build_features(store, DEMO_NOW)
    assert again.written == 0  # same facts, same cutoffs: nothing new
    later = build_features(store, datetime(2025, 11, 7))
    scheduled = int((first.frame["cutoff_at"] == pd.Timestamp(DEMO_NOW)).sum())
    assert scheduled > 0
    assert later.written == scheduled  # only matches still to play get a new as_of row
    assert _count(store, feature_snapshots) == 112 + scheduled
    assert _count(store, feature_builds) == 3

    match_id = int(first.frame["match_id"].iloc[-1])
    stored = load_feature_snapshot(store, match_id, DEMO_NOW, FEATURE_SET_VERSION)
    assert stored is not None
    expected = first.frame.set_index("match_id").loc[match_id, "home_elo"]
    assert stored["home_elo"] == expected


def test_features_through_the_store_ignore_facts_observed_at_or_after_as_of(
    store: Store,
) -> None:
    _small_demo(store)
    as_of = datetime(2025, 3, 1)
    before = compute_features(store, as_of).frame
    with store.begin() as conn:
        cut = {"t": as_of if store.dialect == "postgresql" else as_of.isoformat(sep=" ")}
        changed = conn.execute(
            text("UPDATE matches SET home_goals = home_goals + 3 WHERE observed_at >= :t"), cut
        ).rowcount
        conn.execute(text("DELETE FROM odds WHERE observed_at >= :t"), cut)
    assert changed > 0
    after = compute_features(store, as_of).frame
    pdt.assert_frame_equal(before, after)
    # Positive control: a later build sees the rewrite.
    assert not compute_features(store, DEMO_NOW).frame.equals(before)


def test_export_writes_names_and_features(store: Store, tmp_path: Path) -> None:
    _small_demo(store)
    out = tmp_path / "features.parquet"
    rows = export_features(store, DEMO_NOW, out)
    frame = pd.read_parquet(out)
    assert rows == len(frame) == 112
    assert frame["home_team"].notna().all()
    assert frame["competition"].eq("DEMO1").all()
    assert frame["kickoff_at"].is_monotonic_increasing
