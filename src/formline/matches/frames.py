"""The frames every match source returns, and the store accepts.

A source (a CSV parser, the demo world, a feed) produces three DataFrames with exactly these
columns; the store upserts them by natural key. Timestamps are timezone-naive UTC
(``datetime64[us]``). Team names are the source's own spelling.

Natural keys
------------
* match: ``(sport, competition, season, home_team, away_team, fixture_key)``: a football
  league season has one fixture per ordered pair (``fixture_key`` is ``""``, NA is read as
  ``""``), so a postponed match keeps its identity when its kickoff moves; US teams meet at the
  same home several times a season, so a US game's ``fixture_key`` is ``YYYY-MM-DD#n``.
* odds: match key + ``(bookmaker, market, selection, line, kind)``.
* reject: ``(source_file, source_line, column)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

# The rejects' columns are those of the shared CSV reader (the raw row as the source had it,
# a JSON object of column -> text), re-exported here.
from formline.sources.cells import REJECT_COLUMNS as REJECT_COLUMNS

SPORT_FOOTBALL = "football"

MATCH_STATUSES = ("scheduled", "finished", "postponed", "cancelled")
MARKETS = ("1x2", "over_under", "asian_handicap")
#: The US sports' markets (see formline.matches.sources.us.frames): two-way moneyline, point
#: spread (run line, puck line) and total.
US_MARKETS = ("moneyline", "spread", "total")
SELECTIONS = {
    "1x2": ("home", "draw", "away"),
    "over_under": ("over", "under"),
    "asian_handicap": ("home", "away"),
}
ODDS_KINDS = ("opening", "closing")

#: Per-side statistics, each stored as ``home_<stat>`` and ``away_<stat>``.
SIDE_STATS = (
    "shots",
    "shots_on_target",
    "corners",
    "fouls",
    "yellow_cards",
    "red_cards",
)

MATCH_COLUMNS: dict[str, str] = {
    "sport": "string",
    "competition": "string",  # source code, e.g. "E0"
    "competition_name": "string",  # human name, e.g. "Premier League"; may be NA
    "country": "string",  # may be NA
    "season": "string",  # "2022-23"
    "fixture_key": "string",  # "" in football; "YYYY-MM-DD#n" for a US game (see tables.py)
    "kickoff_at": "datetime64[us]",  # UTC
    "home_team": "string",
    "away_team": "string",
    "status": "string",  # one of MATCH_STATUSES
    "home_goals": "Int64",
    "away_goals": "Int64",
    "home_ht_goals": "Int64",
    "away_ht_goals": "Int64",
    **{f"{side}_{stat}": "Int64" for stat in SIDE_STATS for side in ("home", "away")},
    "home_xg": "Float64",
    "away_xg": "Float64",
    "observed_at": "datetime64[us]",  # when the result became known (UTC); NaT if none yet
    "source": "string",  # "football-data", "demo", ...
    "source_file": "string",  # may be NA
    "source_line": "Int64",  # 1-based line in source_file (header is line 1); may be NA
}

ODDS_COLUMNS: dict[str, str] = {
    "sport": "string",
    "competition": "string",
    "season": "string",
    "fixture_key": "string",  # as the match's
    "home_team": "string",
    "away_team": "string",
    "bookmaker": "string",  # "bet365", "pinnacle", "market_max", "market_avg", "demo_book", ...
    "market": "string",  # one of MARKETS
    "selection": "string",  # one of SELECTIONS[market]
    "line": "float64",  # 0.0 for 1x2; 2.5 for over/under 2.5; the home handicap for AH
    "price": "float64",  # decimal odds, > 1
    "kind": "string",  # one of ODDS_KINDS
    "captured_at": "datetime64[us]",  # when the price was taken (UTC)
    "observed_at": "datetime64[us]",  # when formline may consider it known (UTC)
    "source": "string",  # the loader of this row; NA: the load's source (one per load)
}


def empty_frame(columns: dict[str, str]) -> pd.DataFrame:
    """An empty DataFrame with the given columns and dtypes."""
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in columns.items()})


def conform(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """Select and order ``columns`` from ``frame`` and cast them to their dtypes.

    Missing optional columns are added as all-NA. Raises ``KeyError`` for unknown extra columns
    only if they collide; extra columns are dropped.
    """
    out = {}
    for name, dtype in columns.items():
        if name in frame.columns:
            out[name] = frame[name].astype(dtype)  # type: ignore[call-overload]
        else:
            out[name] = pd.Series(pd.NA, index=frame.index).astype(dtype)  # type: ignore[call-overload]
    return pd.DataFrame(out, index=frame.index).reset_index(drop=True)


@dataclass
class SourceBatch:
    """What one load of a source produced: matches, their odds, and the rows it rejected."""

    matches: pd.DataFrame = field(default_factory=lambda: empty_frame(MATCH_COLUMNS))
    odds: pd.DataFrame = field(default_factory=lambda: empty_frame(ODDS_COLUMNS))
    rejects: pd.DataFrame = field(default_factory=lambda: empty_frame(REJECT_COLUMNS))

    def conformed(self) -> SourceBatch:
        """The same batch with every frame cast to its declared columns and dtypes."""
        return SourceBatch(
            matches=conform(self.matches, MATCH_COLUMNS),
            odds=conform(self.odds, ODDS_COLUMNS),
            rejects=conform(self.rejects, REJECT_COLUMNS),
        )

    @staticmethod
    def concat(batches: list[SourceBatch]) -> SourceBatch:
        """Stack several batches into one."""
        if not batches:
            return SourceBatch()
        return SourceBatch(
            matches=pd.concat([b.matches for b in batches], ignore_index=True),
            odds=pd.concat([b.odds for b in batches], ignore_index=True),
            rejects=pd.concat([b.rejects for b in batches], ignore_index=True),
        )
