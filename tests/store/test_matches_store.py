"""The store on SQLite and PostgreSQL: migrations, idempotent upserts, corrections, atomicity."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest
from sqlalchemy import func, select

from formline.errors import DataError, StoreError
from formline.matches.frames import SourceBatch
from formline.store.db import Store
from formline.store.matches import add_alias, delete_source, upsert_batch
from formline.store.tables import ingest_rejects, matches, odds, team_aliases, teams


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
    assert (first.matches_new, first.odds_new, first.rejects, first.teams_new) == (2, 3, 1, 4)
    with store.connect() as conn:
        stamps = conn.execute(select(matches.c.id, matches.c.updated_at)).all()
    second = upsert_batch(store, _batch())
    assert second.matches_new == second.matches_changed == 0
    assert second.odds_new == second.odds_changed == 0
    assert _count(store, matches) == 2
    assert _count(store, odds) == 3
    assert _count(store, ingest_rejects) == 1
    with store.connect() as conn:
        assert conn.execute(select(matches.c.id, matches.c.updated_at)).all() == stamps


def test_a_corrected_row_updates_in_place(store: Store) -> None:
    upsert_batch(store, _batch(home_goals=2, price=2.1))
    report = upsert_batch(store, _batch(home_goals=3, price=2.25))
    assert (report.matches_new, report.matches_changed) == (0, 1)
    assert (report.odds_new, report.odds_changed) == (0, 1)
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
    assert report.matches_new == 0 and report.teams_new == 0
    assert _count(store, team_aliases) == 5
    with pytest.raises(DataError):
        add_alias(store, "football", "Anything", "No Such Team")
