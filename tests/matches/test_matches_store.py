"""The store on SQLite and PostgreSQL: migrations, idempotent upserts, corrections, atomicity."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest
from sqlalchemy import func, select

from formline.errors import DataError, StoreError
from formline.matches.frames import SourceBatch
from formline.matches.store import Counts, add_alias, delete_source, upsert_batch
from formline.matches.tables import matches, odds, team_aliases, teams
from formline.store.db import Store
from formline.store.tables import ingest_rejects


def _batch(source: str = "test", home_goals: int = 2, price: float = 2.1) -> SourceBatch:
    base = {
        "sport": "football",
        "competition": "E0",
        "competition_name": "Premier League",
        "season": "2022-23",
        "source": source,
    }
    match_rows = pd.DataFrame(
        [
            {
                **base,
                "kickoff_at": datetime(2022, 8, 5, 19, 0),
                "home_team": "Crystal Palace",
                "away_team": "Arsenal",
                "status": "finished",
                "home_goals": home_goals,
                "away_goals": 1,
                "home_shots": 10,
                "away_shots": 12,
                "observed_at": datetime(2022, 8, 5, 21, 0),
            },
            {
                **base,
                "kickoff_at": datetime(2022, 8, 6, 14, 0),
                "home_team": "Fulham",
                "away_team": "Liverpool",
                "status": "scheduled",
            },
        ]
    )
    odds_rows = pd.DataFrame(
        [
            {
                "sport": "football",
                "competition": "E0",
                "season": "2022-23",
                "home_team": "Crystal Palace",
                "away_team": "Arsenal",
                "bookmaker": "bet365",
                "market": "1x2",
                "selection": selection,
                "line": 0.0,
                "price": p,
                "kind": "opening",
                "captured_at": datetime(2022, 8, 4, 19, 0),
                "observed_at": datetime(2022, 8, 4, 19, 0),
            }
            for selection, p in (("home", price), ("draw", 3.4), ("away", 3.5))
        ]
    )
    rejects = pd.DataFrame(
        [
            {
                "source": source,
                "source_file": "E0.csv",
                "source_line": 7,
                "column": "Date",
                "reason": "unparseable date '31/02/22'",
                "raw": '{"Date": "31/02/22"}',
            }
        ]
    )
    return SourceBatch(matches=match_rows, odds=odds_rows, rejects=rejects)


def _count(store: Store, table: object) -> int:
    with store.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_migrated_store_is_at_head(store: Store) -> None:
    assert store.current_revision() == store.head_revision()


def test_loading_the_same_batch_twice_changes_nothing(store: Store) -> None:
    first = upsert_batch(store, _batch())
    assert first.matches == Counts(inserted=2)
    assert first.odds == Counts(inserted=3)
    assert first.rejects == Counts(inserted=1)
    assert first.teams == Counts(inserted=4)
    assert first.competitions == Counts(inserted=1)
    with store.connect() as conn:
        stamps = conn.execute(select(matches.c.id, matches.c.updated_at)).all()
    second = upsert_batch(store, _batch())
    # A rerun says what changed: nothing, and that every row was there already.
    assert second.matches == Counts(unchanged=2)
    assert second.odds == Counts(unchanged=3)
    assert second.rejects == Counts(unchanged=1)
    assert second.teams == Counts(unchanged=4)
    assert second.competitions == Counts(unchanged=1)
    assert not second.changed
    assert _count(store, matches) == 2
    assert _count(store, odds) == 3
    assert _count(store, ingest_rejects) == 1
    with store.connect() as conn:
        assert conn.execute(select(matches.c.id, matches.c.updated_at)).all() == stamps


def test_a_corrected_row_updates_in_place(store: Store) -> None:
    upsert_batch(store, _batch(home_goals=2, price=2.1))
    report = upsert_batch(store, _batch(home_goals=3, price=2.25))
    assert report.matches == Counts(updated=1, unchanged=1)
    assert report.odds == Counts(updated=1, unchanged=2)
    with store.connect() as conn:
        goals = conn.execute(
            select(matches.c.home_goals).where(matches.c.status == "finished")
        ).scalar_one()
        price = conn.execute(select(odds.c.price).where(odds.c.selection == "home")).scalar_one()
    assert goals == 3
    assert price == pytest.approx(2.25)


def test_timestamps_come_back_as_utc(store: Store) -> None:
    upsert_batch(store, _batch())
    with store.connect() as conn:
        kickoff, observed = conn.execute(
            select(matches.c.kickoff_at, matches.c.observed_at).where(
                matches.c.status == "finished"
            )
        ).one()
    assert kickoff == datetime(2022, 8, 5, 19, 0, tzinfo=UTC)
    assert observed == datetime(2022, 8, 5, 21, 0, tzinfo=UTC)


def test_a_failed_load_writes_nothing(store: Store) -> None:
    bad = _batch()
    bad.odds.loc[0, "price"] = 0.5  # violates the price > 1 check inside the transaction
    with pytest.raises(StoreError):
        upsert_batch(store, bad)
    assert _count(store, matches) == 0
    assert _count(store, teams) == 0


def test_delete_source_touches_nothing_else(store: Store) -> None:
    upsert_batch(store, _batch(source="football-data"))
    demo = _batch(source="demo")
    demo.matches["competition"] = "DEMO1"
    demo.matches["home_team"] = ["Demo A", "Demo B"]
    demo.matches["away_team"] = ["Demo C", "Demo D"]
    demo.odds["competition"] = "DEMO1"
    demo.odds["home_team"] = "Demo A"
    demo.odds["away_team"] = "Demo C"
    demo.rejects["source_file"] = "demo.csv"
    upsert_batch(store, demo)
    assert _count(store, matches) == 4
    assert delete_source(store, "demo") == 2
    assert _count(store, matches) == 2
    assert _count(store, odds) == 3
    assert _count(store, teams) == 4
    assert _count(store, ingest_rejects) == 1


def test_an_alias_maps_another_spelling_onto_the_same_team(store: Store) -> None:
    upsert_batch(store, _batch())
    add_alias(store, "football", "Man United", "Crystal Palace")
    renamed = _batch()
    renamed.matches.loc[0, "home_team"] = "Man United"
    renamed.odds["home_team"] = "Man United"
    report = upsert_batch(store, renamed)
    assert report.matches == Counts(unchanged=2) and report.teams.inserted == 0
    assert _count(store, team_aliases) == 5
    with pytest.raises(DataError):
        add_alias(store, "football", "Anything", "No Such Team")


def _odds_only(batch: SourceBatch) -> SourceBatch:
    return SourceBatch(matches=pd.DataFrame(), odds=batch.odds, rejects=pd.DataFrame())


def test_odds_of_stored_matches_resolve_against_the_store(store: Store) -> None:
    upsert_batch(store, _batch())
    # An odds-only update: its matches are not in the batch, only in the store.
    update = _odds_only(_batch(price=2.3))
    closing = update.odds.assign(kind="closing", price=[2.2, 3.3, 3.6])
    update.odds = pd.concat([update.odds, closing], ignore_index=True)
    report = upsert_batch(store, update, source="test")
    assert report.odds == Counts(inserted=3, updated=1, unchanged=2)
    assert report.odds_unmatched == 0
    assert report.matches == Counts()
    again = upsert_batch(store, update, source="test")
    assert again.odds == Counts(unchanged=6)
    assert _count(store, odds) == 6
    assert _count(store, matches) == 2
    with store.connect() as conn:
        prices = dict(
            conn.execute(select(odds.c.kind, odds.c.price).where(odds.c.selection == "home")).all()
        )
    assert prices == {"opening": pytest.approx(2.3), "closing": pytest.approx(2.2)}


def test_odds_of_a_match_the_store_lacks_are_counted_not_stored(store: Store) -> None:
    upsert_batch(store, _batch())
    stray = _odds_only(_batch())
    stray.odds["away_team"] = "Nobody FC"
    report = upsert_batch(store, stray, source="test")
    assert report.odds == Counts()
    assert report.odds_unmatched == 3
    assert _count(store, odds) == 3


def test_a_results_update_keeps_the_stored_odds(store: Store) -> None:
    upsert_batch(store, _batch())
    # The scheduled match is played: a batch with its result and no odds.
    played = _batch()
    played.matches = played.matches.iloc[[1]].assign(
        status="finished", home_goals=1, away_goals=1, observed_at=datetime(2022, 8, 6, 16)
    )
    played.odds = played.odds.iloc[0:0]
    played.rejects = played.rejects.iloc[0:0]
    report = upsert_batch(store, played)
    assert report.matches == Counts(updated=1)
    assert _count(store, matches) == 2
    assert _count(store, odds) == 3
    assert _count(store, ingest_rejects) == 1


def test_a_key_repeated_in_one_batch_is_one_row(store: Store) -> None:
    twice = _batch()
    twice.matches = pd.concat([twice.matches, twice.matches.iloc[[0]]], ignore_index=True)
    twice.odds = pd.concat([twice.odds, twice.odds.iloc[[0]].assign(price=2.4)], ignore_index=True)
    report = upsert_batch(store, twice)
    assert report.matches == Counts(inserted=2)
    assert report.odds == Counts(inserted=3)
    with store.connect() as conn:
        price = conn.execute(select(odds.c.price).where(odds.c.selection == "home")).scalar_one()
    assert price == pytest.approx(2.4)  # the last row of a key wins
