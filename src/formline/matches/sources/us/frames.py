"""The frames every US-sports source reader returns: games, lines, reference forecasts, rejects.

A reader (one per file layout, see :mod:`formline.matches.sources.us`) produces a
:class:`UsBatch` whose frames have exactly these columns. Timestamps are timezone-naive UTC
(``datetime64[us]``); team names are the source's own spelling, with the canonical franchise
name beside them (:func:`formline.matches.team_aliases.canonical_team`).

Natural keys
------------
* game: :data:`GAME_KEY`, ``(sport, competition, season, game_date, home_team, away_team,
  game_number)``. ``game_date`` is the calendar day the source dates the game (``YYYY-MM-DD``;
  none of the shared files gives a start time, so ``start_at`` is NaT); ``game_number`` is 1,
  or 2 for a second game of the same teams on the same day in the same file (a doubleheader),
  numbered in the file's order. On a neutral site (``neutral`` true) ``home_team`` is the side
  each reader's module names (the source's first-listed team, or SBR's second row).
* line: game key + ``(bookmaker, market, selection, kind)``; ``line`` is the handicap or total
  it was priced at (the selection's own handicap for a spread: -3.5 gives 3.5 points).
* forecast: game key + ``forecaster``.
* reject: ``(source_file, source_line, column)``, as for football
  (:data:`formline.matches.frames.REJECT_COLUMNS`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from formline.matches.frames import REJECT_COLUMNS, conform, empty_frame

__all__ = [
    "FORECAST_COLUMNS",
    "GAME_COLUMNS",
    "GAME_KEY",
    "LINE_COLUMNS",
    "LINE_KINDS",
    "MARKETS",
    "REJECT_COLUMNS",
    "SEASON_TYPES",
    "SELECTIONS",
    "UsBatch",
    "describe_reject",
]

#: ``moneyline`` is two-way; ``spread`` is the point spread (run line, puck line).
MARKETS = ("moneyline", "spread", "total")
SELECTIONS = {"moneyline": ("home", "away"), "spread": ("home", "away"), "total": ("over", "under")}
LINE_KINDS = ("opening", "closing")
#: ``play_in``: games that decide playoff places or seeds (the NBA play-in, the NHL's 2020
#: round robin); ``playoff`` is true for ``playoffs`` only.
SEASON_TYPES = ("preseason", "regular", "play_in", "playoffs")

_GAME_KEY: dict[str, str] = {
    "sport": "string",  # a key of formline.matches.sports.SPORTS
    "competition": "string",  # "NFL", "NBA", "MLB", "NHL"
    "season": "string",  # "2019" (NFL, MLB) or "2019-20" (NBA, NHL)
    "game_date": "string",  # YYYY-MM-DD, the day the source dates the game
    "home_team": "string",
    "away_team": "string",
    "game_number": "Int64",
}
GAME_KEY = list(_GAME_KEY)
_ORIGIN: dict[str, str] = {
    "source": "string",
    "source_file": "string",
    "source_line": "Int64",  # the game's (first) line; the header is line 1
}

GAME_COLUMNS: dict[str, str] = {
    **_GAME_KEY,
    "season_type": "string",  # one of SEASON_TYPES; NA where the source does not say
    "start_at": "datetime64[us]",  # UTC; NaT where the source gives no time
    "home_team_canonical": "string",
    "away_team_canonical": "string",
    "status": "string",  # "finished" (both scores) or "scheduled"
    "home_score": "Int64",  # final, overtime and shoot-out included
    "away_score": "Int64",
    "neutral": "boolean",  # NA where the source does not say
    "playoff": "boolean",  # NA where the source does not say
    **_ORIGIN,
}

LINE_COLUMNS: dict[str, str] = {
    **_GAME_KEY,
    "bookmaker": "string",  # "market_avg" (OddsPortal's average), "sbr", "spreadspoke"
    "market": "string",  # one of MARKETS
    "selection": "string",  # one of SELECTIONS[market]
    "kind": "string",  # one of LINE_KINDS
    "line": "Float64",  # the selection's handicap (spread) or the total; NA for a moneyline
    "price": "Float64",  # decimal odds (> 1); NA where the source gives a line without a price
    "american": "Float64",  # the source's American odds, as given
    "captured_at": "datetime64[us]",  # UTC; NaT where unknown (every shared file)
    **_ORIGIN,
}

FORECAST_COLUMNS: dict[str, str] = {
    **_GAME_KEY,
    "forecaster": "string",  # "fivethirtyeight_elo"
    "p_home_win": "float64",  # the forecaster's probability that the home side wins
    "elo_home_pre": "float64",
    "elo_away_pre": "float64",
    "elo_home_post": "Float64",  # NA for a game not played when the file was written
    "elo_away_post": "Float64",
    **_ORIGIN,
}


@dataclass
class UsBatch:
    """What one read of a US-sports file produced."""

    games: pd.DataFrame = field(default_factory=lambda: empty_frame(GAME_COLUMNS))
    lines: pd.DataFrame = field(default_factory=lambda: empty_frame(LINE_COLUMNS))
    forecasts: pd.DataFrame = field(default_factory=lambda: empty_frame(FORECAST_COLUMNS))
    rejects: pd.DataFrame = field(default_factory=lambda: empty_frame(REJECT_COLUMNS))

    def conformed(self) -> UsBatch:
        """The same batch with every frame cast to its declared columns and dtypes."""
        return UsBatch(
            conform(self.games, GAME_COLUMNS),
            conform(self.lines, LINE_COLUMNS),
            conform(self.forecasts, FORECAST_COLUMNS),
            conform(self.rejects, REJECT_COLUMNS),
        )

    @staticmethod
    def concat(batches: list[UsBatch]) -> UsBatch:
        """Several batches stacked into one."""
        if not batches:
            return UsBatch()
        names = ("games", "lines", "forecasts", "rejects")
        stacked = {n: pd.concat([getattr(b, n) for b in batches], ignore_index=True) for n in names}
        return UsBatch(**stacked)


def describe_reject(row: Mapping[Any, Any] | pd.Series) -> str:
    """One reject as ``file:line: column: reason`` (``file:line: reason`` for a whole row)."""
    where = f"{row['source_file']}:{row['source_line']}"
    column = row["column"]
    return f"{where}: {column}: {row['reason']}" if column else f"{where}: {row['reason']}"
