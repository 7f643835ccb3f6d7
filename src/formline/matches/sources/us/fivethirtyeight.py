"""Read FiveThirtyEight's Elo files (``nfl_elo.csv``, ``nba_elo.csv.gz``): games with scores,
and 538's pre-game forecast of each as a reference forecaster.

Conventions
-----------
* The sport is the file name's (``nfl_elo``, ``nba_elo``); a file named neither is refused.
* ``date`` is yyyy-mm-dd. ``season`` is 538's: the NFL season's start year (2019 holds the
  Super Bowl of February 2020), the NBA season's end year (2020 is 2019-20).
* ``team1`` is home (or the first-listed side on a ``neutral`` site), ``team2`` away; teams are
  538's codes, kept as spelled (``GSW``, ``WSH``; also the codes of defunct early franchises).
* ``playoff`` (NBA only): True, False or empty (not stated: NA). The NFL copy has no playoff
  column, so its games' ``playoff`` is NA.
* Scores may be missing (games not played when the file was written): those games are
  ``scheduled`` and their forecasts have no post-game ratings.
* Forecasts (``forecaster`` = ``fivethirtyeight_elo``): ``elo_prob1`` is the home side's win
  probability, ``elo1_pre``/``elo2_pre`` the pre-game ratings, ``elo*_post`` the ratings after
  it. A row whose probability is missing or outside [0, 1], or whose ``elo_prob1`` and
  ``elo_prob2`` do not add up to 1, keeps its game and loses its forecast (a reject).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from formline.errors import SourceError
from formline.matches.sources.text_table import ReadLimits
from formline.matches.sources.us.common import Cells, UsFileRead, games_frame, season_labels
from formline.matches.sources.us.frames import GAME_KEY, UsBatch

SOURCE = "fivethirtyeight"
LAYOUT = "fivethirtyeight_elo"
FORECASTER = "fivethirtyeight_elo"
COLUMNS = (
    "date",
    "season",
    "neutral",
    "team1",
    "team2",
    "elo1_pre",
    "elo2_pre",
    "elo_prob1",
    "elo_prob2",
    "score1",
    "score2",
)


def _sport(path: Path) -> str:
    for name in ("nfl", "nba"):
        if re.search(rf"(^|[^a-z]){name}([^a-z]|$)", path.name.lower()):
            return name
    raise SourceError(
        f"{path}: a FiveThirtyEight Elo file, but its name does not say the league "
        "(nfl_elo or nba_elo)"
    )


def read_fivethirtyeight(path: Path, limits: ReadLimits | None = None) -> UsFileRead:
    """Read one FiveThirtyEight Elo file (see the module for its conventions).

    Raises
    ------
    SourceError
        If the file cannot be read, lacks a column of :data:`COLUMNS`, its league cannot be
        told from its name, or it passes ``limits``.
    """
    sport = _sport(path)
    cells = Cells(path, "a FiveThirtyEight Elo file", COLUMNS, SOURCE, limits or ReadLimits())
    date = cells.dates("date", "%Y-%m-%d")
    season = cells.numbers("season", "season", fatal=True)
    cells.log.add(cells.text("season") == "", "season", "missing season", fatal=True)
    home = cells.required("team1", "home team")
    away = cells.required("team2", "away team")
    home_score, away_score = cells.scores("score1", "score2", sport)
    neutral = cells.flags("neutral", ("True", "TRUE", "1"), ("False", "FALSE", "0"))
    playoff = cells.flags("playoff", ("True", "TRUE", "1"), ("False", "FALSE", "0"))
    elo = {
        name: cells.numbers(name, "rating", fatal=False)
        for name in ("elo1_pre", "elo2_pre", "elo1_post", "elo2_post")
    }
    p1 = cells.numbers("elo_prob1", "probability", fatal=False)
    p2 = cells.numbers("elo_prob2", "probability", fatal=False)
    outside = np.isfinite(p1) & ((p1 < 0) | (p1 > 1))
    cells.log.add(outside, "elo_prob1", "probability '{}' is outside [0, 1]", p1, fatal=False)
    apart = np.isfinite(p1) & np.isfinite(p2) & ~outside & (np.abs(p1 + p2 - 1) > 1e-6)
    template = "elo_prob1 {:.6f} and elo_prob2 {:.6f} do not add up to 1"
    cells.log.add(apart, "elo_prob2", template, p1, p2, fatal=False)
    missing = ~np.isfinite(p1) & (cells.text("elo_prob1") == "")
    cells.log.add(missing, "elo_prob1", "missing probability", fatal=False)
    unrated = ~np.isfinite(elo["elo1_pre"]) | ~np.isfinite(elo["elo2_pre"])
    forecast = np.isfinite(p1) & ~outside & ~apart & ~unrated
    cells.check_rejects()
    keep = ~cells.log.dropped
    start = season if sport == "nfl" else season - 1
    games = games_frame(
        cells,
        sport,
        {
            "season": season_labels(sport, start),
            "game_date": date,
            "home_team": home,
            "away_team": away,
            "home_score": home_score,
            "away_score": away_score,
            "neutral": neutral,
            "playoff": playoff,
        },
    )
    has = forecast[keep]
    forecasts = games.loc[has, [*GAME_KEY, "source", "source_file", "source_line"]].copy()
    forecasts["forecaster"] = FORECASTER
    forecasts["p_home_win"] = p1[keep][has]
    for side, number in (("home", "1"), ("away", "2")):
        forecasts[f"elo_{side}_pre"] = elo[f"elo{number}_pre"][keep][has]
        post = elo[f"elo{number}_post"][keep][has]
        forecasts[f"elo_{side}_post"] = pd.array(post, dtype="Float64")
    batch = UsBatch(games, forecasts=forecasts, rejects=cells.log.frame())
    return UsFileRead(path, LAYOUT, cells.n, int(cells.log.dropped.sum()), batch.conformed())
