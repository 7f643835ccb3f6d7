"""The feature steps through the store, on SQLite and PostgreSQL: snapshots, export, leakage."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest
from sqlalchemy import func, select, text

from formline.errors import ConfigError
from formline.matches.features import FEATURE_SET_VERSION, match_feature_set
from formline.matches.features.compute import EXPORT_ID_COLUMNS, EXPORT_TARGET_COLUMNS
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
    stored = load_feature_snapshot(store, match_id, DEMO_NOW, FEATURE_SET_VERSION, domain="matches")
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
    export = export_features(store, DEMO_NOW, out)
    frame = pd.read_parquet(out)
    assert export.rows == len(frame) == 112
    assert list(frame.columns[:6]) == EXPORT_ID_COLUMNS
    assert "home_goals" not in frame  # results only with_targets
    assert frame["home_team"].notna().all()
    assert frame["competition"].eq("DEMO1").all()
    assert set(frame["season"]) == {"2024-25", "2025-26"}
    assert str(frame["kickoff_at"].dt.tz) == "UTC"  # an instant, not a wall-clock time
    assert frame["kickoff_at"].is_monotonic_increasing
    assert export.empty_features == []  # the demo source fills every input, xG included


def _results(store: Store) -> pd.DataFrame:
    with store.connect() as conn:
        rows = conn.execute(
            text("SELECT id, kickoff_at, home_goals, away_goals, observed_at FROM matches")
        ).all()
    frame = pd.DataFrame(rows, columns=["match_id", "kickoff_at", "goals_h", "goals_a", "seen_at"])
    for column in ("kickoff_at", "seen_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame.set_index("match_id")


def test_export_with_targets_gives_only_the_results_known_at_as_of(
    store: Store, tmp_path: Path
) -> None:
    _small_demo(store)
    # An hour into match 41 (kickoff 14:00, result observed at 16:00): it has kicked off, but
    # its result was not known yet.
    as_of = datetime(2025, 4, 5, 15, 0)
    out = tmp_path / "features.csv"
    export_features(store, as_of, out, with_targets=True)
    frame = pd.read_csv(out).set_index("match_id")
    assert list(frame.columns[:8]) == [*EXPORT_ID_COLUMNS[1:], *EXPORT_TARGET_COLUMNS]
    assert frame["kickoff_at"].str.endswith("+00:00").all()
    truth = _results(store).loc[frame.index]
    assert (pd.to_datetime(frame["kickoff_at"]) == truth["kickoff_at"]).all()

    known = truth["seen_at"] < pd.Timestamp(as_of, tz="UTC")
    assert 0 < known.sum() < len(frame)
    assert not known[41] and truth.loc[41, "kickoff_at"] < pd.Timestamp(as_of, tz="UTC")
    assert frame.loc[~known, EXPORT_TARGET_COLUMNS].isna().all().all()
    assert (frame.loc[known, "home_goals"] == truth.loc[known, "goals_h"]).all()
    assert (frame.loc[known, "away_goals"] == truth.loc[known, "goals_a"]).all()
    margin = frame.loc[known, "home_goals"] - frame.loc[known, "away_goals"]
    expected = np.select([margin > 0, margin == 0], ["home", "draw"], "away")
    assert (frame.loc[known, "outcome"] == expected).all()
    assert set(frame.loc[known, "outcome"]) == {"home", "draw", "away"}


def test_export_names_the_features_the_stored_data_cannot_feed(
    store: Store, tmp_path: Path
) -> None:
    _small_demo(store)
    with store.begin() as conn:  # as a football-data store: no source fills xG
        conn.execute(text("UPDATE matches SET home_xg = NULL, away_xg = NULL"))
    out = tmp_path / "features.parquet"
    export = export_features(store, DEMO_NOW, out)
    xg = [c for c in match_feature_set().names if "xg" in c]
    assert xg and export.empty_features == xg
    frame = pd.read_parquet(out)
    assert frame[xg].isna().all().all()  # kept, so every export has the feature set's columns
    assert frame.drop(columns=xg).filter(like="_for").notna().any().all()


def test_export_refuses_an_unwritable_path_naming_it(store: Store, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    out = tmp_path / "a-file" / "features.csv"
    with pytest.raises(ConfigError, match=f"{out}.*a-file is not a folder"):
        export_features(store, DEMO_NOW, out)


def _copy_book(store: Store, source: str, target: str, factor: float) -> int:
    """Copy one stored bookmaker's odds as another book, prices scaled by ``factor``."""
    from sqlalchemy import insert, literal

    from formline.matches.tables import odds

    names = [c.name for c in odds.columns if c.name != "id"]
    columns = [
        literal(target).label(n)
        if n == "bookmaker"
        else (odds.c.price * factor).label(n)
        if n == "price"
        else odds.c[n]
        for n in names
    ]
    with store.begin() as conn:
        query = select(*columns).where(odds.c.bookmaker == source)
        conn.execute(insert(odds).from_select(names, query))
        count = select(func.count()).select_from(odds).where(odds.c.bookmaker == target)
        return int(conn.execute(count).scalar_one())


def test_a_bookmaker_outside_the_allow_list_does_not_change_features(store: Store) -> None:
    _small_demo(store)
    as_of = datetime(2025, 3, 1)
    before = compute_features(store, as_of).frame
    assert _copy_book(store, "demo_book", "william_hill", 1.07) > 0
    pdt.assert_frame_equal(before, compute_features(store, as_of).frame)
    # Positive control: the same prices under a book the features read do change them.
    assert _copy_book(store, "demo_book", "market_avg", 1.07) > 0
    after = compute_features(store, as_of).frame
    assert not after["market_bookmakers"].equals(before["market_bookmakers"])
