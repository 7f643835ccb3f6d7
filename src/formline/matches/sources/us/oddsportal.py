"""Read OddsPortal result files (``oddsportal_{nba,nfl,nhl}.csv``): scores and the average
bookmaker moneylines.

Conventions
-----------
* ``date`` is ``dd Mon yyyy`` in OddsPortal's time zone (an evening US game may be dated the
  next day; the date is kept as given).
* ``team_1`` is home (``neutral`` = 0) or the first-listed side on a neutral site (``neutral``
  = 1); ``points_1``/``points_2`` are finals, overtime and shoot-out included.
* The sport is the file name's (``oddsportal_nhl.csv``), else the league in the rows'
  ``game_url``; the season is the one in ``game_url`` (``/nba-2021-2022/`` is 2021-22, the
  NFL's ``/nfl-2021-2022/`` the 2021 season), else the date's by the sport's calendar.
* ``season_type``: Regular, Play Offs, Pre-season are regular, playoffs and preseason games;
  the NBA's "Promotion - Play Offs" (the play-in) and the NHL's 2020 "Placement Group" (the
  round robin for seeds) are ``play_in``. All-star games are not league games: each is a
  reject, whether marked "All Stars" or found by its teams (neither side a franchise of
  :mod:`formline.matches.team_aliases`: the 2009 and 2010 Pro Bowls and the 2009 NHL all-star
  game are marked "Regular").
* ``moneyline_1``/``moneyline_2`` are the average American moneylines across OddsPortal's
  bookmakers (``-`` or empty when there were none): ``moneyline`` lines of bookmaker
  ``market_avg``, taken as closing (the average OddsPortal shows after the game).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path

import numpy as np

from formline.errors import SourceError
from formline.matches.sources.text_table import ReadLimits
from formline.matches.sources.us.common import Cells, LineSpec, UsFileRead, games_frame, lines_frame
from formline.matches.sources.us.frames import UsBatch
from formline.matches.sports import SPORTS, season_of
from formline.matches.team_aliases import FRANCHISES, canonical_team

SOURCE = "oddsportal"
LAYOUT = "oddsportal"
COLUMNS = (
    "date",
    "season_type",
    "neutral",
    "team_1",
    "team_2",
    "points_1",
    "points_2",
    "moneyline_1",
    "moneyline_2",
    "game_url",
)
SEASON_TYPES = {
    "Regular": "regular",
    "Play Offs": "playoffs",
    "Pre-season": "preseason",
    "Promotion - Play Offs": "play_in",
    "Placement Group": "play_in",
}
_EXHIBITIONS = ("All Stars",)
_URL = re.compile(r"/(nba|nfl|nhl)(?:-(\d{4})(?:-(\d{4}))?)?/")


def _sport(path: Path, urls: list[str]) -> str:
    """The file's sport: its name's, else the league most of its game URLs name."""
    for name in ("nba", "nfl", "nhl"):
        if re.search(rf"(^|[^a-z]){name}([^a-z]|$)", path.name.lower()):
            return name
    found = Counter(m.group(1) for url in urls if (m := _URL.search(url)))
    if not found:
        raise SourceError(
            f"{path}: an OddsPortal file, but neither its name nor its game_url "
            "says which league (nba, nfl, nhl)"
        )
    return found.most_common(1)[0][0]


def read_oddsportal(path: Path, limits: ReadLimits | None = None) -> UsFileRead:
    """Read one OddsPortal file (see the module for its conventions).

    Raises
    ------
    SourceError
        If the file cannot be read, lacks a column of :data:`COLUMNS`, its league cannot be
        told, or it passes ``limits``.
    """
    cells = Cells(path, "an OddsPortal results file", COLUMNS, SOURCE, limits or ReadLimits())
    urls = cells.text("game_url")
    sport = _sport(path, list(urls))
    date = cells.dates("date", "%d %b %Y")
    home = cells.required("team_1", "home team")
    away = cells.required("team_2", "away team")
    home_score, away_score = cells.scores("points_1", "points_2", sport)
    neutral = cells.flags("neutral", ("1",), ("0",))
    kind = cells.text("season_type")
    season_type = np.array([SEASON_TYPES.get(k, "") for k in kind], dtype=object)
    exhibition = np.isin(kind, _EXHIBITIONS)
    cells.log.add(
        exhibition, "season_type", "an all-star game ('{}'), not a league game", kind, fatal=True
    )
    known = set(FRANCHISES[sport])
    sides = [
        (canonical_team(sport, h), canonical_team(sport, a))
        for h, a in zip(home, away, strict=True)
    ]
    foreign = ~exhibition & np.array(
        [h not in known and a not in known for h, a in sides], dtype=bool
    )
    foreign &= (home != "") & (away != "")
    template = (
        f"neither '{{}}' nor '{{}}' is an {sport.upper()} team: an exhibition, not a league game"
    )
    cells.log.add(foreign, "team_1", template, home, away, fatal=True)
    unknown = (season_type == "") & ~exhibition
    cells.log.add(unknown, "season_type", "unknown season type '{}'", kind, fatal=True)
    seasons = np.empty(cells.n, dtype=object)
    wrong = np.zeros(cells.n, dtype=bool)
    for i, (url, day) in enumerate(zip(urls, date, strict=True)):
        found = _URL.search(url)
        if found and found.group(1) != sport:
            wrong[i] = True
        if found and found.group(2):
            start = int(found.group(2))
            split = SPORTS[sport].split_season
            seasons[i] = f"{start}-{(start + 1) % 100:02d}" if split else str(start)
        else:
            seasons[i] = season_of(sport, dt.date.fromisoformat(day)) if day else ""
    cells.log.add(wrong, "game_url", f"not a {sport.upper()} game: '{{}}'", urls, fatal=True)
    ml_home, ml_away = cells.american("moneyline_1"), cells.american("moneyline_2")
    cells.check_rejects()
    keep = ~cells.log.dropped
    games = games_frame(
        cells,
        sport,
        {
            "season": seasons,
            "game_date": date,
            "home_team": home,
            "away_team": away,
            "home_score": home_score,
            "away_score": away_score,
            "season_type": season_type,
            "neutral": neutral,
            "playoff": season_type == "playoffs",
        },
    )
    specs = [
        LineSpec("moneyline", "home", "closing", american=ml_home[keep]),
        LineSpec("moneyline", "away", "closing", american=ml_away[keep]),
    ]
    batch = UsBatch(games, lines_frame(games, "market_avg", specs), rejects=cells.log.frame())
    return UsFileRead(path, LAYOUT, cells.n, int(cells.log.dropped.sum()), batch.conformed())
