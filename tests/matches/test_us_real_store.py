"""The shared US-sports files into a store: every row of every file is in a stored match or
is a kept reject, every line and every forecast is stored, with the counts printed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import text

from formline.matches.us_ingest import ingest_us_sports
from formline.store.db import open_store
from support import SHARED_DATA

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

#: Every shared US file (the 538 folder also holds football SPI: only its Elo files).
US_PATHS = (
    "nfl_spreadspoke",
    "us_odds_oddsportal",
    "nba_odds",
    "mlb_odds_sbr",
    "nhl_odds_sbr",
    "fivethirtyeight/nfl_elo.csv",
    "fivethirtyeight/nba_elo.csv.gz",
)


def test_every_shared_us_row_is_stored_or_a_reject(tmp_path: Path) -> None:
    paths = [SHARED_DATA / p for p in US_PATHS]
    if not all(p.exists() for p in paths):
        pytest.skip(f"the shared US-sports files are not all in {SHARED_DATA}")
    store = open_store(f"sqlite:///{tmp_path / 'formline.db'}")
    started = time.perf_counter()
    result = ingest_us_sports(store, paths)
    seconds = time.perf_counter() - started
    for read in result.reads:
        print(read.describe())
        # every data row is a game's (two per SBR NHL game) or was dropped with a reject
        per_game = 2 if read.layout == "nhl_odds_sbr" else 1
        assert len(read.batch.games) * per_game + read.dropped == read.rows
    print(*result.notes, sep="\n")
    tables = result.report.tables
    print({name: counts.inserted for name, counts in tables.items()}, f"{seconds:.1f}s")
    with store.connect() as conn:

        def count(sql: str) -> int:
            return int(conn.execute(text(sql)).scalar_one())

        n_rejects = sum(len(r.batch.rejects) for r in result.reads)
        assert count("SELECT count(*) FROM ingest_rejects") == n_rejects == len(result.rejects)
        n_lines = sum(len(r.batch.lines) for r in result.reads)
        assert count("SELECT count(*) FROM odds") == n_lines == tables["odds"].inserted
        assert result.report.odds_unmatched == 0
        n_forecasts = sum(len(r.batch.forecasts) for r in result.reads)
        assert count("SELECT count(*) FROM reference_forecasts") == n_forecasts
        # a game is one match; a match holds at most one game of each file
        n_matches = count("SELECT count(*) FROM matches")
        assert n_matches == tables["matches"].inserted
        assert max(len(r.batch.games) for r in result.reads) <= n_matches < result.games
        codes = conn.execute(text("SELECT sport, code FROM competitions ORDER BY 1")).all()
        assert [tuple(c) for c in codes] == [
            ("mlb", "MLB"),
            ("nba", "NBA"),
            ("nfl", "NFL"),
            ("nhl", "NHL"),
        ]
    store.dispose()
