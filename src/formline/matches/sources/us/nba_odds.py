"""Read the SBR-derived NBA file (``nba_2008-2024.csv``): scores, closing spread, total and
moneylines.

Conventions
-----------
* ``season`` is the season's end year (2008 is 2007-08); ``dates`` is m/d/yyyy.
* ``home`` and ``away`` are SBR's lower-case short codes (``gs``, ``ny``, ``utah``), kept as
  spelled; :mod:`formline.matches.team_aliases` maps them to franchises.
* ``regular``/``playoffs`` (TRUE/FALSE): a playoff game is ``playoffs``, a regular one
  ``regular``, and a game that is neither (the 2020 seeding play-in and the play-in tournament
  from 2021) ``play_in``; both TRUE is a reject.
* ``spread`` is the favourite's (``whos_favored``: home or away) points as a positive number: a
  ``spread`` line for each side, the favourite's negative. ``total`` gives ``total`` lines for
  over and under. Neither has a price. ``moneyline_home``/``moneyline_away`` are American
  moneylines. All are SBR's closing lines (bookmaker ``sbr``), captured at a time the file does
  not give. The second-half lines (``h2_spread``, ``h2_total``) and quarter scores are not read.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from formline.matches.sources.text_table import ReadLimits
from formline.matches.sources.us.common import (
    Cells,
    LineSpec,
    UsFileRead,
    games_frame,
    lines_frame,
    season_labels,
)
from formline.matches.sources.us.frames import UsBatch

SOURCE = "sbr_nba"
LAYOUT = "nba_odds"
COLUMNS = (
    "season",
    "dates",
    "regular",
    "playoffs",
    "away",
    "home",
    "score_away",
    "score_home",
    "whos_favored",
    "spread",
    "total",
    "moneyline_away",
    "moneyline_home",
)


def read_nba_odds(path: Path, limits: ReadLimits | None = None) -> UsFileRead:
    """Read the NBA odds file (see the module for its conventions).

    Raises
    ------
    SourceError
        If the file cannot be read, lacks a column of :data:`COLUMNS`, or passes ``limits``.
    """
    cells = Cells(path, "an NBA odds file", COLUMNS, SOURCE, limits or ReadLimits())
    end = cells.numbers("season", "season", fatal=True)
    bad = np.isfinite(end) & ((end < 1947) | (end != np.floor(end)))
    cells.log.add(bad, "season", "not a season: '{}'", cells.text("season"), fatal=True)
    cells.log.add(cells.text("season") == "", "season", "missing season", fatal=True)
    date = cells.dates("dates", "%m/%d/%Y")
    home = cells.required("home", "home team")
    away = cells.required("away", "away team")
    home_score, away_score = cells.scores("score_home", "score_away", "nba")
    regular = cells.flags("regular", ("TRUE",), ("FALSE",))
    playoffs = cells.flags("playoffs", ("TRUE",), ("FALSE",))
    both = (regular == True) & (playoffs == True)  # noqa: E712
    cells.log.add(both, "playoffs", "both a regular-season and a playoff game", fatal=True)
    season_type = np.select(
        [playoffs == True, regular == True],  # noqa: E712
        ["playoffs", "regular"],
        "play_in",
    ).astype(object)
    favoured = cells.text("whos_favored")
    odd = ~np.isin(favoured, ["home", "away", ""])
    cells.log.add(odd, "whos_favored", "not home or away: '{}'", favoured, fatal=False)
    spread = cells.line("spread", "spread", 0.0, 60.0)
    home_line = np.select([favoured == "home", favoured == "away"], [-spread, spread], np.nan)
    lost = np.isfinite(spread) & ~np.isin(favoured, ["home", "away"])
    cells.log.add(lost & ~odd, "whos_favored", "a spread without a favourite", fatal=False)
    total = cells.line("total", "total", 50.0, 400.0)
    ml_home, ml_away = cells.american("moneyline_home"), cells.american("moneyline_away")
    cells.check_rejects()
    keep = ~cells.log.dropped
    games = games_frame(
        cells,
        "nba",
        {
            "season": season_labels("nba", end - 1),
            "game_date": date,
            "home_team": home,
            "away_team": away,
            "home_score": home_score,
            "away_score": away_score,
            "season_type": season_type,
            "playoff": season_type == "playoffs",
        },
    )
    h = home_line[keep]
    specs = [
        LineSpec("moneyline", "home", "closing", american=ml_home[keep]),
        LineSpec("moneyline", "away", "closing", american=ml_away[keep]),
        LineSpec("spread", "home", "closing", line=h),
        LineSpec("spread", "away", "closing", line=0.0 - h),
        LineSpec("total", "over", "closing", line=total[keep]),
        LineSpec("total", "under", "closing", line=total[keep]),
    ]
    batch = UsBatch(games, lines_frame(games, "sbr", specs), rejects=cells.log.frame())
    return UsFileRead(path, LAYOUT, cells.n, int(cells.log.dropped.sum()), batch.conformed())
