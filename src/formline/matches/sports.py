"""The sports the matches domain knows, as data: how each is scored, whether it can be drawn,
what happens when it is level at full time, when its season starts and how its playoffs run.

Pure data and two small rules (the season a date belongs to, and the season label of a start
year); no pandas, so the API and the CLI can import it without the worker's stack.

Season labels
-------------
A season that crosses New Year is labelled by its two years (``"2022-23"``: football, the NBA,
the NHL); one inside a calendar year, or named by the year it starts in, by that year
(``"2019"``: the NFL, whose January and February playoff games belong to the season that
started the previous September, and MLB).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = [
    "SERVED_SPORTS",
    "SERVED_SPORTS_SQL",
    "SPORTS",
    "Sport",
    "season_label",
    "season_of",
    "sport",
]

#: The sports the matches domain's features, frames, models and read API serve today. US games
#: (formline.matches.us_ingest) are stored beside football but read by none of them yet.
SERVED_SPORTS = ("football",)
#: ``SERVED_SPORTS`` as a SQL list, for the domain's input queries.
SERVED_SPORTS_SQL = ", ".join(f"'{s}'" for s in SERVED_SPORTS)


@dataclass(frozen=True)
class Sport:
    """One sport's configuration.

    Attributes
    ----------
    name
        The key in :data:`SPORTS` (``"nfl"``), as stored in the frames' ``sport`` column.
    competition
        The competition code its league uses (``"NFL"``); football has many, so ``""``.
    scoring_unit
        What a score counts (``"goals"``, ``"points"``, ``"runs"``).
    draws_possible
        Whether a finished game can end level (the NFL's regular season can; the NBA, MLB and
        the NHL since the 2005-06 shoot-out cannot).
    overtime
        What happens to a game level at the end of regulation.
    season_start_month
        The month (1-12) from which a date belongs to the next season (see :func:`season_of`).
    split_season
        Whether the season label names two years (``"2022-23"``) or one (``"2019"``).
    playoff_format
        The postseason, as text (for reports and for the simulation's stated simplifications).
    elo
        Default parameters of :class:`formline.core.ratings.EloRatings` for the sport, a
        starting point to tune walk-forward; empty where no published set is known.
    """

    name: str
    competition: str
    scoring_unit: str
    draws_possible: bool
    overtime: str
    season_start_month: int
    split_season: bool
    playoff_format: str
    elo: Mapping[str, float | str | None] = field(default_factory=dict)


#: FiveThirtyEight's published NFL and NBA Elo: K 20, a home edge (65 and 100 points), its
#: margin-of-victory multipliers, new franchises at 1300 and regression between seasons towards
#: 1505 (a third in the NFL, a quarter in the NBA). Run over 538's own game files these
#: reproduce 538's pre-game probabilities (tests/matches/test_sport_elo.py).
_ELO_538 = {"k": 20.0, "mean_rating": 1505.0, "initial_rating": 1300.0, "promoted_penalty": 0.0}


SPORTS: dict[str, Sport] = {
    "football": Sport(
        name="football",
        competition="",
        scoring_unit="goals",
        draws_possible=True,
        overtime="none in league play: a level match is a draw",
        season_start_month=7,
        split_season=True,
        playoff_format="none in most leagues: the table decides (some have promotion play-offs)",
        elo={"k": 20.0, "home_advantage": 65.0, "mov": "log-goals"},
    ),
    "nfl": Sport(
        name="nfl",
        competition="NFL",
        scoring_unit="points",
        draws_possible=True,
        overtime="one 10-minute period (15 before 2017) in the regular season, then a tie; "
        "playoff games continue until someone scores",
        season_start_month=6,
        split_season=False,
        playoff_format="14 teams (12 before 2020), single elimination from the Wild Card round "
        "to the Super Bowl at a neutral site",
        elo={**_ELO_538, "home_advantage": 65.0, "season_regression": 1 / 3, "mov": "log-points"},
    ),
    "nba": Sport(
        name="nba",
        competition="NBA",
        scoring_unit="points",
        draws_possible=False,
        overtime="5-minute periods until the game is decided",
        season_start_month=9,
        split_season=True,
        playoff_format="16 teams (a play-in for seeds 7-10 since 2020-21), best-of-seven series",
        elo={**_ELO_538, "home_advantage": 100.0, "season_regression": 0.25, "mov": "power-points"},
    ),
    "mlb": Sport(
        name="mlb",
        competition="MLB",
        scoring_unit="runs",
        draws_possible=False,
        overtime="extra innings until the game is decided (a runner on second from 2020)",
        season_start_month=1,
        split_season=False,
        playoff_format="12 teams since 2022 (10 from 2012, 8 before), a wild-card round, then "
        "best-of-five and best-of-seven series",
    ),
    "nhl": Sport(
        name="nhl",
        competition="NHL",
        scoring_unit="goals",
        draws_possible=False,
        overtime="5-minute 3-on-3 sudden death then a shoot-out in the regular season "
        "(ties before 2005-06); playoff games continue in 20-minute periods",
        season_start_month=9,
        split_season=True,
        playoff_format="16 teams, best-of-seven series",
    ),
}


def sport(name: str) -> Sport:
    """The :class:`Sport` called ``name``; raises ``KeyError`` naming the known ones."""
    try:
        return SPORTS[name]
    except KeyError:
        raise KeyError(f"unknown sport {name!r}; known: {', '.join(SPORTS)}") from None


def season_label(sport_name: str, start_year: int) -> str:
    """The label of the season that starts in ``start_year`` (``"2019-20"`` or ``"2019"``)."""
    if SPORTS[sport_name].split_season:
        return f"{start_year}-{(start_year + 1) % 100:02d}"
    return str(start_year)


def season_of(sport_name: str, day: dt.date) -> str:
    """The season a game on ``day`` belongs to by the calendar alone: a date in or after the
    sport's ``season_start_month`` starts a season. Sources that state the season are read as
    stated; this is the fallback (seasons moved by a lockout or the 2020 pandemic break it:
    the NBA's 2019-20 finals were played in October 2020)."""
    start = SPORTS[sport_name].season_start_month
    return season_label(sport_name, day.year if day.month >= start else day.year - 1)
