"""What the US-sports readers share: American odds, sports, franchise names, the frames."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from formline.matches.sources.us import UsBatch, american_to_decimal
from formline.matches.sources.us.frames import (
    FORECAST_COLUMNS,
    GAME_COLUMNS,
    LINE_COLUMNS,
    REJECT_COLUMNS,
)
from formline.matches.sports import SPORTS, season_label, season_of, sport
from formline.matches.team_aliases import FRANCHISES, canonical_team


def test_american_odds_known_answers() -> None:
    got = american_to_decimal(np.array([-150.0, 130.0, 100.0, -100.0, -110.0, 250.0, np.nan]))
    assert got[:6] == pytest.approx([1.6667, 2.30, 2.0, 2.0, 1.9091, 3.5], abs=1e-4)
    assert np.isnan(got[6])


def test_every_sport_is_configured() -> None:
    assert set(SPORTS) == {"football", "nfl", "nba", "mlb", "nhl"}
    assert [SPORTS[s].competition for s in ("nfl", "nba", "mlb", "nhl")] == [
        "NFL",
        "NBA",
        "MLB",
        "NHL",
    ]
    assert SPORTS["football"].draws_possible and SPORTS["nfl"].draws_possible
    assert not any(SPORTS[s].draws_possible for s in ("nba", "mlb", "nhl"))
    assert (SPORTS["mlb"].scoring_unit, SPORTS["nhl"].scoring_unit) == ("runs", "goals")
    with pytest.raises(KeyError, match="unknown sport 'cricket'"):
        sport("cricket")


def test_season_labels_follow_each_calendar() -> None:
    assert season_of("nfl", dt.date(2020, 2, 2)) == "2019"  # Super Bowl LIV
    assert season_of("nfl", dt.date(2019, 9, 5)) == "2019"
    assert season_of("nba", dt.date(2019, 10, 22)) == "2019-20"
    assert season_of("nba", dt.date(2020, 6, 1)) == "2019-20"
    assert season_of("mlb", dt.date(2019, 10, 30)) == "2019"
    assert season_of("football", dt.date(2023, 1, 2)) == "2022-23"
    assert season_label("nhl", 1999) == "1999-00"


@pytest.mark.parametrize(
    ("sport_name", "names", "canonical"),
    [
        ("nfl", ("Oakland Raiders", "Los Angeles Raiders", "LVR", "OAK"), "Las Vegas Raiders"),
        (
            "nfl",
            ("Washington Redskins", "Washington Football Team", "WAS", "WSH"),
            "Washington Commanders",
        ),
        ("nfl", ("San Diego Chargers",), "Los Angeles Chargers"),
        ("nfl", ("St. Louis Rams",), "Los Angeles Rams"),
        ("nba", ("Seattle SuperSonics", "okc", "OKC", "SEA"), "Oklahoma City Thunder"),
        ("nba", ("New Jersey Nets", "bkn", "BRK"), "Brooklyn Nets"),
        ("nba", ("gs", "GSW"), "Golden State Warriors"),
        ("mlb", ("SFO",), "San Francisco Giants"),
        ("nhl", ("Arizona Coyotes", "Phoenix", "Arizonas"), "Utah Mammoth"),
        ("nhl", ("NYRangers",), "New York Rangers"),
        ("nhl", ("Atlanta Thrashers", "Winnipeg"), "Winnipeg Jets"),
    ],
)
def test_franchise_names_meet(sport_name: str, names: tuple[str, ...], canonical: str) -> None:
    assert {canonical_team(sport_name, n) for n in names} == {canonical}
    assert canonical_team(sport_name, canonical) == canonical


def test_an_unknown_name_is_its_own_canonical_name_and_sports_do_not_mix() -> None:
    assert canonical_team("nfl", "New York") == "New York"
    assert canonical_team("nhl", "Washington") == "Washington Capitals"
    assert canonical_team("nba", "WAS") == "Washington Wizards"
    assert canonical_team("mlb", "WAS") == "Washington Nationals"
    assert canonical_team("football", "Arsenal") == "Arsenal"


def test_each_league_has_its_franchises() -> None:
    assert {s: len(f) for s, f in FRANCHISES.items()} == {
        "nfl": 32,
        "nba": 30,
        "mlb": 30,
        "nhl": 32,
    }


def test_an_empty_batch_has_the_declared_frames() -> None:
    batch = UsBatch().conformed()
    for frame, columns in (
        (batch.games, GAME_COLUMNS),
        (batch.lines, LINE_COLUMNS),
        (batch.forecasts, FORECAST_COLUMNS),
        (batch.rejects, REJECT_COLUMNS),
    ):
        assert list(frame.columns) == list(columns)
        assert {k: str(v) for k, v in frame.dtypes.items()} == columns


def test_sports_and_aliases_import_without_pandas() -> None:
    import subprocess
    import sys

    code = (
        "import sys, formline.matches.sports, formline.matches.team_aliases; "
        "print(sorted({'pandas', 'numpy'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
