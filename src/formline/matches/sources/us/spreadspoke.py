"""Read spreadspoke's NFL file (``spreadspoke_scores.csv``): scores, closing spread and total.

Conventions
-----------
* ``schedule_date`` is m/d/yyyy; ``schedule_season`` the season's start year (a January
  playoff game belongs to the season before); ``schedule_playoff`` and ``stadium_neutral``
  are TRUE/FALSE. ``team_home`` is home (also on a neutral site).
* The spread is the favourite's (``team_favorite_id``, a spreadspoke team code, or ``PICK``),
  as negative points (``spread_favorite``); it becomes a ``spread`` line for each side, the
  favourite's negative, and a ``total`` line for over and under from ``over_under_line``. Both
  are closing lines without prices (``price`` NA), from bookmaker ``spreadspoke``, captured at
  a time the file does not give.
* The favourite's code is matched to a side through the franchises of
  :mod:`formline.matches.team_aliases` (the file's codes ``LVR``/``LV`` are the Raiders all
  along, ``NJY`` the Jets, ``WAS`` Washington); a code that is neither side's is a reject of
  the spread alone.
* Rows without scores are games not yet played (the file's last fixtures).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from formline.matches.sources.text_table import ReadLimits
from formline.matches.sources.us.common import Cells, LineSpec, UsFileRead, games_frame, lines_frame
from formline.matches.sources.us.frames import UsBatch
from formline.matches.team_aliases import canonical_team

SOURCE = "spreadspoke"
LAYOUT = "spreadspoke_scores"
COLUMNS = (
    "schedule_date",
    "schedule_season",
    "schedule_playoff",
    "team_home",
    "score_home",
    "score_away",
    "team_away",
    "team_favorite_id",
    "spread_favorite",
    "over_under_line",
)
#: spreadspoke's team table (``nfl_teams.csv``): names to codes, no games. Its codes are also
#: in the franchise table, which knows the ones it lacks (``LVR``), so it is not needed to read
#: the scores; :func:`read_us_sports` recognises it and reads no games from it.
TEAMS_LAYOUT = "spreadspoke_teams"
TEAMS_COLUMNS = ("team_name", "team_name_short", "team_id")


def read_spreadspoke(path: Path, limits: ReadLimits | None = None) -> UsFileRead:
    """Read ``spreadspoke_scores.csv`` (see the module for its conventions).

    Raises
    ------
    SourceError
        If the file cannot be read, lacks a column of :data:`COLUMNS`, or passes ``limits``.
    """
    cells = Cells(path, "a spreadspoke NFL scores file", COLUMNS, SOURCE, limits or ReadLimits())
    date = cells.dates("schedule_date", "%m/%d/%Y")
    season = cells.numbers("schedule_season", "season", fatal=True)
    bad = np.isfinite(season) & ((season < 1900) | (season != np.floor(season)))
    cells.log.add(
        bad, "schedule_season", "not a season: '{}'", cells.text("schedule_season"), fatal=True
    )
    cells.log.add(
        ~np.isfinite(season) & (cells.text("schedule_season") == ""),
        "schedule_season",
        "missing season",
        fatal=True,
    )
    home = cells.required("team_home", "home team")
    away = cells.required("team_away", "away team")
    home_score, away_score = cells.scores("score_home", "score_away", "nfl")
    playoff = cells.flags("schedule_playoff", ("TRUE",), ("FALSE",))
    neutral = cells.flags("stadium_neutral", ("TRUE",), ("FALSE",))
    spread = cells.line("spread_favorite", "spread", -60.0, 0.0)
    total = cells.line("over_under_line", "total", 1.0, 150.0)
    favourite = cells.text("team_favorite_id")
    pick = favourite == "PICK"
    fav = np.array([canonical_team("nfl", f) for f in favourite], dtype=object)
    home_fav = fav == np.array([canonical_team("nfl", t) for t in home], dtype=object)
    away_fav = fav == np.array([canonical_team("nfl", t) for t in away], dtype=object)
    unknown = (favourite != "") & ~pick & ~home_fav & ~away_fav & np.isfinite(spread)
    cells.log.add(
        unknown, "team_favorite_id", "favourite '{}' is neither team", favourite, fatal=False
    )
    orphan = np.isfinite(spread) & (favourite == "")
    cells.log.add(orphan, "team_favorite_id", "a spread without a favourite", fatal=False)
    home_line = np.select([pick, home_fav, away_fav], [np.zeros(cells.n), spread, -spread], np.nan)
    home_line = np.where(np.isfinite(spread) | pick, home_line, np.nan)
    cells.check_rejects()
    keep = ~cells.log.dropped
    labels = np.array(["" if not np.isfinite(s) else f"{s:.0f}" for s in season], dtype=object)
    games = games_frame(
        cells,
        "nfl",
        {
            "season": labels,
            "game_date": date,
            "home_team": home,
            "away_team": away,
            "home_score": home_score,
            "away_score": away_score,
            "season_type": np.where(playoff == True, "playoffs", "regular"),  # noqa: E712
            "neutral": neutral,
            "playoff": playoff,
        },
    )
    h = home_line[keep]
    specs = [
        LineSpec("spread", "home", "closing", line=h),
        LineSpec("spread", "away", "closing", line=0.0 - h),
        LineSpec("total", "over", "closing", line=total[keep]),
        LineSpec("total", "under", "closing", line=total[keep]),
    ]
    batch = UsBatch(games, lines_frame(games, SOURCE, specs), rejects=cells.log.frame())
    return UsFileRead(path, LAYOUT, cells.n, int(cells.log.dropped.sum()), batch.conformed())
