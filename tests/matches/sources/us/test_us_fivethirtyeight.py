"""FiveThirtyEight's Elo files: games and the reference forecasts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from us_files import messages, write
from us_rows import ELO_NBA as NBA
from us_rows import ELO_NFL as NFL

from formline.errors import SourceError
from formline.matches.sources.us.fivethirtyeight import read_fivethirtyeight


def test_nfl_games_and_forecasts(tmp_path: Path) -> None:
    rows = [
        "2020-02-02,2019,True,KC,SF,1683.2,1669.5,0.5197,0.4803,1700.1,1652.6,31,20",
        "2019-09-05,2019,False,CHI,GB,1585.0,1540.0,0.6,0.45,1570.0,1555.0,3,10",
    ]
    read = read_fivethirtyeight(write(tmp_path / "nfl_elo.csv", NFL, rows))
    games, forecasts = read.batch.games, read.batch.forecasts
    assert (read.rows, read.dropped, len(games)) == (2, 0, 2)
    sb = games.iloc[0]
    assert (sb["sport"], sb["season"], sb["game_date"], sb["home_team"], sb["neutral"]) == (
        "nfl",
        "2019",
        "2020-02-02",
        "KC",
        True,
    )
    assert sb["home_team_canonical"] == "Kansas City Chiefs" and pd.isna(sb["playoff"])
    assert len(forecasts) == 1  # the second row's probabilities do not add up: no forecast
    f = forecasts.iloc[0]
    assert (f["forecaster"], f["home_team"], f["game_date"]) == (
        "fivethirtyeight_elo",
        "KC",
        "2020-02-02",
    )
    assert (f["p_home_win"], f["elo_home_pre"], f["elo_away_pre"]) == (0.5197, 1683.2, 1669.5)
    assert (f["elo_home_post"], f["elo_away_post"]) == (1700.1, 1652.6)
    assert messages(read.batch.rejects) == [
        "nfl_elo.csv:3: elo_prob2: elo_prob1 0.600000 and elo_prob2 0.450000 do not add up to 1"
    ]


def test_nba_seasons_playoffs_and_unplayed_games(tmp_path: Path) -> None:
    rows = [
        "2020-08-13,2020,True,,BRK,POR,1500.0,1550.0,0.43,0.57,,,,",
        "1947-04-22,1947,False,True,PHW,CHS,1400.0,1450.0,0.5,0.5,1410.0,1440.0,83.0,80.0",
        "1950-01-01,1950,False,False,SEA,OKC,1500.0,1500.0,1.5,-0.5,1500.0,1500.0,90.0,90.0",
    ]
    read = read_fivethirtyeight(write(tmp_path / "nba_elo.csv.gz", NBA, rows, gz=True))
    games, forecasts = read.batch.games, read.batch.forecasts
    assert games["season"].tolist() == ["2019-20", "1946-47"]
    assert games["status"].tolist() == ["scheduled", "finished"]
    assert games["playoff"].tolist()[1] is True and pd.isna(games["playoff"].iloc[0])
    assert games["home_team_canonical"].tolist() == ["Brooklyn Nets", "PHW"]
    assert forecasts["p_home_win"].tolist() == [0.43, 0.5]
    assert pd.isna(forecasts["elo_home_post"].iloc[0])
    assert messages(read.batch.rejects) == [
        "nba_elo.csv.gz:4: score2: tied final score 90-90: NBA games have no draws",
        "nba_elo.csv.gz:4: elo_prob1: probability '1.5' is outside [0, 1]",
    ]
    assert (read.rows, read.dropped) == (3, 1)


def test_a_file_that_names_no_league_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "elo.csv", NFL, [])
    with pytest.raises(SourceError, match=r"elo\.csv: a FiveThirtyEight Elo file"):
        read_fivethirtyeight(path)
