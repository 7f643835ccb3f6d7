"""The shared US-sports files: every data row is in a game or is a reject, with the counts
found on the shared copy (printed), and the data README's known answers where it has them."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from us_files import messages, shared

from formline.matches.sources.us import UsFileRead, read_us_sports
from formline.matches.sources.us.frames import GAME_KEY, LINE_COLUMNS

pytestmark = pytest.mark.realdata


def _accounted(read: UsFileRead, rows_per_game: int = 1) -> None:
    """Every data line is in a game or has a reject, and the counts add up."""
    batch = read.batch
    print(read.describe())
    for message in messages(batch.rejects)[:20]:
        print("  ", message)
    first = batch.games["source_line"].to_numpy(dtype=np.int64)
    in_games = set(first.tolist())
    if rows_per_game == 2:
        in_games |= set((first + 1).tolist())
    every = set(range(2, read.rows + 2))  # no shared file has a record across lines
    assert len(in_games) == len(batch.games) * rows_per_game
    missing = every - in_games
    assert missing <= set(batch.rejects["source_line"].tolist())
    assert len(missing) == read.dropped
    assert len(batch.games) * rows_per_game + read.dropped == read.rows
    assert not batch.games.duplicated(GAME_KEY).any()
    lines = batch.lines
    assert not lines.duplicated([*GAME_KEY, "bookmaker", "market", "selection", "kind"]).any()
    assert (lines["price"].dropna() > 1).all()
    assert list(lines.columns) == list(LINE_COLUMNS)


def _one(*parts: str) -> UsFileRead:
    return _read(shared(*parts))


@functools.cache
def _read(path: Path) -> UsFileRead:
    """One shared file, read once per test process (the join test reuses the reads)."""
    (read,) = read_us_sports([path])
    return read


def test_spreadspoke() -> None:
    read = _one("nfl_spreadspoke", "spreadspoke_scores.csv")
    _accounted(read)
    games, lines = read.batch.games, read.batch.lines
    assert (read.rows, len(games), read.dropped) == (14164, 14164, 0)
    assert (games["status"] == "finished").sum() == 14150  # PROVENANCE.md: 14,150 with scores
    spreads = lines[(lines["market"] == "spread") & (lines["selection"] == "home")]
    totals = lines[(lines["market"] == "total") & (lines["selection"] == "over")]
    assert (len(spreads), len(totals)) == (11671, 11599)  # as PROVENANCE.md counts them
    raiders = games.loc[games["home_team"].str.contains("Raiders"), "home_team_canonical"]
    assert set(raiders) == {"Las Vegas Raiders"}


def test_spreadspoke_team_table_reads_no_games() -> None:
    read = _one("nfl_spreadspoke", "nfl_teams.csv")
    assert (read.layout, read.rows, len(read.batch.games)) == ("spreadspoke_teams", 0, 0)


@pytest.mark.parametrize(
    ("league", "rows", "games", "brier_games", "brier"),
    [
        ("nba", 18997, 18975, 16953, 0.2023),
        # data/README.md: 3,729 and 0.2105, counting the 2009 and 2010 Pro Bowls (AFC v NFC,
        # marked "Regular") that the reader rejects as exhibitions.
        ("nfl", 4512, 4499, 3727, 0.2104),
        ("nhl", 18669, 18649, 15624, 0.2382),
    ],
)
def test_oddsportal(league: str, rows: int, games: int, brier_games: int, brier: float) -> None:
    read = _one("us_odds_oddsportal", f"oddsportal_{league}.csv")
    _accounted(read)
    assert (read.rows, len(read.batch.games)) == (rows, games)
    # data/README.md: regular season and playoffs, both moneylines, no ties, normalised.
    lines = read.batch.lines
    wide = lines.pivot_table(index=GAME_KEY, columns="selection", values="price", aggfunc="first")
    played = read.batch.games.set_index(GAME_KEY).join(wide.dropna(), how="inner")
    played = played[played["season_type"].isin(["regular", "playoffs"])]
    played = played[played["home_score"] != played["away_score"]]
    home = (1 / played["home"]) / (1 / played["home"] + 1 / played["away"])
    won = (played["home_score"] > played["away_score"]).astype(float)
    assert len(played) == brier_games
    assert float(((home - won) ** 2).mean()) == pytest.approx(brier, abs=5e-5)


def test_nba_odds() -> None:
    read = _one("nba_odds", "nba_2008-2024.csv")
    _accounted(read)
    assert (read.rows, len(read.batch.games), len(read.batch.rejects)) == (19158, 19157, 2)
    assert set(read.batch.games["home_team_canonical"]) == set(
        read.batch.games["away_team_canonical"]
    )
    assert read.batch.games["home_team_canonical"].nunique() == 30


def test_mlb_sbr() -> None:
    read = _one("mlb_odds_sbr", "mlb_odds_2010_2019.csv")
    _accounted(read)
    # PROVENANCE.md: 19 tied finals (SBR errors or suspended games) are dropped.
    assert (read.rows, len(read.batch.games), read.dropped) == (22185, 22166, 19)
    assert (read.batch.games["game_number"] == 2).sum() > 200  # doubleheaders
    assert read.batch.games["home_team_canonical"].nunique() == 30


def test_nhl_sbr() -> None:
    read = _one("nhl_odds_sbr", "nhl_odds_rows.csv.gz")
    _accounted(read, rows_per_game=2)
    games = read.batch.games
    assert (read.rows, len(games), read.dropped) == (20708, 10352, 4)
    assert int(games["neutral"].sum()) == 130  # the 2020 bubble's N/N pairs
    assert games["home_team_canonical"].nunique() == 31  # no Seattle before 2021-22
    closing = read.batch.lines[
        (read.batch.lines["market"] == "moneyline") & (read.batch.lines["kind"] == "closing")
    ]
    wide = closing.pivot_table(index=GAME_KEY, columns="selection", values="price").dropna()
    overround = 1 / wide["home"] + 1 / wide["away"]
    assert 1.02 < float(overround.median()) < 1.05


@pytest.mark.parametrize(
    ("name", "rows", "first_season", "last_season"),
    [("nfl_elo.csv", 16541, "1920", "2019"), ("nba_elo.csv.gz", 69465, "1946-47", "2019-20")],
)
def test_fivethirtyeight(name: str, rows: int, first_season: str, last_season: str) -> None:
    read = _one("fivethirtyeight", name)
    _accounted(read)
    games, forecasts = read.batch.games, read.batch.forecasts
    assert (read.rows, len(games), len(forecasts)) == (rows, rows, rows)
    assert (games["season"].iloc[0], games["season"].iloc[-1]) == (first_season, last_season)
    assert forecasts["p_home_win"].between(0, 1).all()
    played = games["status"] == "finished"
    decided = played & (games["home_score"] != games["away_score"])
    merged = pd.merge(games[decided], forecasts, on=GAME_KEY)
    won = (merged["home_score"] > merged["away_score"]).astype(float)
    assert float(((merged["p_home_win"] - won) ** 2).mean()) < 0.25  # better than a coin


def _games(*parts: str) -> pd.DataFrame:
    return _one(*parts).batch.games


def test_the_sources_meet_through_the_franchise_names() -> None:
    """Games of two sources joined on the date and both canonical names: the franchise table
    covers every team of every league game in the shared files."""
    key = ["game_date", "home_team_canonical", "away_team_canonical"]

    def matched(a: pd.DataFrame, b: pd.DataFrame) -> int:
        return len(a.merge(b[key].drop_duplicates(), on=key))

    oddsportal_nba = _games("us_odds_oddsportal", "oddsportal_nba.csv")
    assert matched(oddsportal_nba, _games("nba_odds", "nba_2008-2024.csv")) == 17807
    spreadspoke = _games("nfl_spreadspoke", "spreadspoke_scores.csv")
    elo_nfl = _games("fivethirtyeight", "nfl_elo.csv")
    assert matched(spreadspoke[spreadspoke["season"] >= "1970"], elo_nfl) == 11909
    nhl = _games("nhl_odds_sbr", "nhl_odds_rows.csv.gz")
    assert matched(nhl, _games("us_odds_oddsportal", "oddsportal_nhl.csv")) == 10349
