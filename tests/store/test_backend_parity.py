"""The same batch written to SQLite and to PostgreSQL is stored identically, value for value:
the COPY path (PostgreSQL) and the ``executemany`` path (SQLite) agree."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pandas as pd
import pytest

from formline.matches.frames import SourceBatch
from formline.matches.store import upsert_batch
from formline.store.db import Store, open_store
from support import require_football_odds, stored_rows


@pytest.fixture
def both(sqlite_url: str, postgres_url: str) -> Iterator[tuple[Store, Store]]:
    stores = [open_store(url, migrate=False) for url in (sqlite_url, postgres_url)]
    for store in stores:
        store.migrate()
    try:
        yield stores[0], stores[1]
    finally:
        for store in stores:
            store.dispose()


def _tricky() -> SourceBatch:
    """Values that a text COPY must escape or round-trip exactly."""
    base = {"sport": "football", "competition": "X1", "season": "2022-23", "source": "test"}
    names = [("Tab\tTown", "Back\\slash"), ("New\nLine", "Quote \"'s"), ("Zürich", "N\\N")]
    match_rows = pd.DataFrame(
        [
            {
                **base,
                "competition_name": None if i else "Liga\tX",
                "kickoff_at": datetime(2022, 8, 5 + i, 19, 0, 0, 123456 * i),
                "home_team": home,
                "away_team": away,
                "status": "finished" if i < 2 else "scheduled",
                "home_goals": 2 if i < 2 else None,
                "away_goals": 0 if i < 2 else None,
                "home_xg": 0.1 + 0.2 if i == 0 else None,
                "away_xg": 1 / 3,
                "observed_at": datetime(2022, 8, 5 + i, 21) if i < 2 else None,
                "source_file": "a\\b.csv",
                "source_line": i + 2,
            }
            for i, (home, away) in enumerate(names)
        ]
    )
    odds_rows = pd.DataFrame(
        [
            {
                **base,
                "home_team": home,
                "away_team": away,
                "bookmaker": "book\\1",
                "market": "1x2",
                "selection": "home",
                "line": 0.0,
                "price": 1.1 + 0.2 * i + 1e-12,
                "kind": "opening",
                "captured_at": datetime(2022, 8, 4, 19, 0, 0, 1),
                "observed_at": datetime(2022, 8, 4, 19, 0, 0, 1),
            }
            for i, (home, away) in enumerate(names)
        ]
    )
    rejects = pd.DataFrame(
        [
            {
                "source": "test",
                "source_file": "a\\b.csv",
                "source_line": 9,
                "column": "",
                "reason": "truncated\trow",
                "raw": '{"Date": "\\\\N", "x": "line\\nbreak"}',
            }
        ]
    )
    return SourceBatch(matches=match_rows, odds=odds_rows, rejects=rejects)


def test_escaped_and_exact_values_are_stored_alike(both: tuple[Store, Store]) -> None:
    lite, postgres = both
    batch = _tricky()
    for store in both:
        upsert_batch(store, batch)
    stored = stored_rows(lite)
    assert stored == stored_rows(postgres)
    assert len(stored["matches"]) == 3 and len(stored["odds"]) == 3
    assert {r[2] for r in stored["matches"]} == {"Tab\tTown", "New\nLine", "Zürich"}
    assert stored["rejects"][0][-1] == '{"Date": "\\\\N", "x": "line\\nbreak"}'


@pytest.mark.realdata
@pytest.mark.slow
def test_real_files_are_stored_alike(both: tuple[Store, Store]) -> None:
    from formline.matches.sources.football_data import discover_files, read_football_data

    folder = require_football_odds() / "seasons"
    files = [f for f in discover_files([folder]) if f.name in {"E0_2223.csv", "SP1_0304.csv"}]
    assert len(files) == 2
    batch = SourceBatch.concat([read_football_data(path) for path in files])
    reports = [upsert_batch(store, batch) for store in both]
    assert reports[0] == reports[1]
    assert reports[0].odds.inserted > 1000
    lite, postgres = (stored_rows(store) for store in both)
    assert {k: len(v) for k, v in lite.items()} == {k: len(v) for k, v in postgres.items()}
    assert lite == postgres
