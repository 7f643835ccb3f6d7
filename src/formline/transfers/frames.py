"""The frames the transfer sources return and the transfer writer accepts.

A source reads its files into *sightings* (:data:`SIGHTING_COLUMNS`): one row per row of a file,
a move as one covered club's file lists it, in or out. :mod:`formline.transfers.identity` turns
the sightings of every source into a :class:`TransferBatch`: leagues, clubs with their aliases,
the league each covered club played in per season, players and transfers, with exactly these
columns. Timestamps are timezone-naive UTC (``datetime64[us]``).

Natural keys (text, built by :mod:`formline.transfers.identity`)
----------------------------------------------------------------
* league: its Transfermarkt code (``GB1``); club: its normalised name; club alias: the
  normalised spelling; club season: club key + season.
* player: ``"<normalised name>|<birth year>"`` (``"<normalised name>|?"`` when the rows give no
  age and the name is not unique).
* transfer: ``"<player>|<season>|<window>|<from>|<to>"`` (a club key, or the counterparty's
  status such as ``retired``): a move between two covered clubs, listed in both clubs' files and
  by both sources, is one transfer.
* reject: ``(source_file, source_line, column)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

# The rejects' columns are those of the shared CSV reader, re-exported here.
from formline.sources.cells import REJECT_COLUMNS as REJECT_COLUMNS

WINDOWS = ("summer", "winter")
MOVEMENTS = ("in", "out")
#: How a player's identity was settled (see :mod:`formline.transfers.identity`).
IDENTITIES = ("resolved", "ambiguous", "unresolved")

#: One row of a source file: a move as one covered club lists it.
SIGHTING_COLUMNS: dict[str, str] = {
    "source": "string",
    "source_file": "string",
    "source_line": "Int64",
    "club": "string",  # the covered club whose file lists the move
    "league": "string",  # its league's code (LEAGUES)
    "club_country": "string",
    "counter_club": "string",  # the other side, as spelt (a club, or "Retired", "Without Club")
    "counter_country": "string",
    "player_name": "string",
    "age": "Int64",  # at the move
    "position": "string",
    "nationality": "string",
    "movement": "string",  # one of MOVEMENTS, seen from ``club``
    "transfer_window": "string",  # one of WINDOWS
    "season": "Int64",  # the season's first year (2019 = 2019/20)
    "fee_eur": "Float64",  # NA unknown, 0 a known zero (free, most loans)
    "market_value_eur": "Float64",
    "is_loan": "boolean",  # the move starts a loan
    "loan_return": "boolean",  # the move ends a loan
    "moved_on": "datetime64[us]",  # the day of the move, where the source gives it
}

LEAGUE_COLUMNS: dict[str, str] = {
    "key": "string",
    "name": "string",
    "country": "string",
    "tier": "Int64",  # 1 = a country's top division
}

CLUB_COLUMNS: dict[str, str] = {
    "key": "string",
    "name": "string",  # the covered club's own spelling, else the most frequent one
    "country": "string",
    "league_key": "string",  # the league of its latest covered season; NA if never covered
}

CLUB_ALIAS_COLUMNS: dict[str, str] = {
    "alias": "string",  # a normalised spelling
    "name": "string",  # one raw spelling of it
    "club_key": "string",
    "rule": "string",  # "name" (same normalised name) or "paired" (see identity)
}

CLUB_SEASON_COLUMNS: dict[str, str] = {
    "club_key": "string",
    "season": "Int64",
    "league_key": "string",
}

PLAYER_COLUMNS: dict[str, str] = {
    "key": "string",
    "name": "string",
    "birth_year": "Int64",  # season minus age, the cluster's smallest (true year within 1)
    "position": "string",  # the latest given (not as of a time: use the transfer's)
    "nationality": "string",
    "identity": "string",  # one of IDENTITIES
}

TRANSFER_COLUMNS: dict[str, str] = {
    "key": "string",
    "player_key": "string",
    "from_club_key": "string",  # NA when the player came from no club
    "to_club_key": "string",
    "from_status": "string",  # "without club", "unknown", "career break", ... or NA
    "to_status": "string",  # "retired", "without club", ... or NA
    "season": "Int64",
    "transfer_window": "string",
    "age": "Int64",
    "position": "string",  # as the row gives it at the move
    "fee_eur": "Float64",
    "market_value_eur": "Float64",
    "is_loan": "boolean",
    "loan_return": "boolean",
    "moved_on": "datetime64[us]",
    "observed_at": "datetime64[us]",
    "sightings": "Int64",  # how many source rows list the move
    "source": "string",  # of the row the values come from first
    "source_file": "string",
    "source_line": "Int64",
}


def empty_frame(columns: dict[str, str]) -> pd.DataFrame:
    """An empty DataFrame with ``columns`` (name -> dtype)."""
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in columns.items()})


def conform(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """``columns`` of ``frame`` in order, cast to their dtypes; missing ones all-NA, extras
    dropped."""
    out = {}
    for name, dtype in columns.items():
        if name in frame.columns:
            out[name] = frame[name].astype(dtype)  # type: ignore[call-overload]
        else:
            out[name] = pd.Series(pd.NA, index=frame.index).astype(dtype)  # type: ignore[call-overload]
    return pd.DataFrame(out, index=frame.index).reset_index(drop=True)


_FRAMES = {
    "leagues": LEAGUE_COLUMNS,
    "clubs": CLUB_COLUMNS,
    "club_aliases": CLUB_ALIAS_COLUMNS,
    "club_seasons": CLUB_SEASON_COLUMNS,
    "players": PLAYER_COLUMNS,
    "transfers": TRANSFER_COLUMNS,
    "rejects": REJECT_COLUMNS,
}


@dataclass
class TransferBatch:
    """What identity resolution made of the sightings: every entity and move, and the rejects."""

    leagues: pd.DataFrame = field(default_factory=lambda: empty_frame(LEAGUE_COLUMNS))
    clubs: pd.DataFrame = field(default_factory=lambda: empty_frame(CLUB_COLUMNS))
    club_aliases: pd.DataFrame = field(default_factory=lambda: empty_frame(CLUB_ALIAS_COLUMNS))
    club_seasons: pd.DataFrame = field(default_factory=lambda: empty_frame(CLUB_SEASON_COLUMNS))
    players: pd.DataFrame = field(default_factory=lambda: empty_frame(PLAYER_COLUMNS))
    transfers: pd.DataFrame = field(default_factory=lambda: empty_frame(TRANSFER_COLUMNS))
    rejects: pd.DataFrame = field(default_factory=lambda: empty_frame(REJECT_COLUMNS))

    def conformed(self) -> TransferBatch:
        """The same batch with every frame cast to its declared columns and dtypes."""
        return TransferBatch(**{n: conform(getattr(self, n), c) for n, c in _FRAMES.items()})

    @staticmethod
    def frame_columns() -> dict[str, dict[str, str]]:
        """Each frame's name and its columns."""
        return dict(_FRAMES)


def describe_reject(row: Mapping[Any, Any] | pd.Series) -> str:
    """One reject as ``file:line: column: reason`` (``file:line: reason`` for a whole row)."""
    where = f"{row['source_file']}:{row['source_line']}"
    column = row["column"]
    return f"{where}: {column}: {row['reason']}" if column else f"{where}: {row['reason']}"
