"""The frames every racing source returns and the racing writer accepts.

A source (a Hong Kong CSV layout, the demo world, a feed) produces a :class:`RaceBatch`: races,
runners, odds, dividends and rejects as DataFrames with exactly these columns. Timestamps are
timezone-naive UTC (``datetime64[us]``); names and ids are the source's own spelling.

Natural keys
------------
* race: ``(venue, race_date, race_number)``: a venue runs one race of each number a day
  (``race_date`` is the local calendar day, ``YYYY-MM-DD``).
* horse, jockey, trainer: ``(entity_source, <entity>_key)``, the source's id or name; the store
  keeps them as aliases of its own entities.
* runner: race key + horse; odds: runner key + ``(market, kind)``; dividend: race key +
  ``(pool, combination)``; reject: ``(source_file, source_line, column)``.

What is known when (``observed_at``)
------------------------------------
* ``card_observed_at`` (races, runners): the race card, before the race.
* ``result_observed_at`` (races, runners): results and in-race facts (finishing order, margins,
  running positions, sectional and finish times), when the race ends. NaT for a race not run yet.
* odds ``observed_at``: final odds at the off, opening odds when the source took them.
* dividends ``observed_at``: when the race ends.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

# The vocabulary lives in a module without pandas (the schema and the read API import it); it
# is re-exported here, where the sources have always found it.
from formline.races.vocabulary import N_CALLS as N_CALLS
from formline.races.vocabulary import N_RACE_SECTIONS as N_RACE_SECTIONS
from formline.races.vocabulary import ODDS_KINDS as ODDS_KINDS
from formline.races.vocabulary import ODDS_MARKETS as ODDS_MARKETS
from formline.races.vocabulary import RUNNER_STATUSES as RUNNER_STATUSES
from formline.races.vocabulary import SURFACES as SURFACES

# The rejects' columns are those of the shared CSV reader, re-exported here.
from formline.sources.cells import REJECT_COLUMNS as REJECT_COLUMNS

_RACE_KEY: dict[str, str] = {"venue": "string", "race_date": "string", "race_number": "Int64"}

RACE_COLUMNS: dict[str, str] = {
    **_RACE_KEY,
    "venue_name": "string",
    "country": "string",
    "timezone": "string",
    "start_at": "datetime64[us]",
    "name": "string",
    "distance": "Int64",  # metres
    "surface": "string",  # one of SURFACES
    "course": "string",  # the course or rail ("A", "C+3"); NA for the all-weather track
    "going": "string",
    "race_class": "string",  # "1".."5", "G" (group) ...
    "rating_band": "string",  # "60-40", "90+" ...
    "prize": "Float64",  # the stake, in the venue's currency
    "field_size": "Int64",  # runners that started
    "source_race_id": "string",
    "card_observed_at": "datetime64[us]",
    **{f"leader_section_time_{i}": "Float64" for i in range(1, N_RACE_SECTIONS + 1)},
    "result_observed_at": "datetime64[us]",
    "source": "string",
    "source_file": "string",
    "source_line": "Int64",
}

#: The race card's facts of a runner (known at ``card_observed_at``).
RUNNER_CARD_COLUMNS: dict[str, str] = {
    "saddle_number": "Int64",
    "draw": "Int64",
    "carried_weight": "Float64",  # lb
    "declared_weight": "Float64",  # the horse's body weight, lb
    "rating": "Int64",
    "gear": "string",
    "horse_age": "Int64",
}

#: The result and in-race facts of a runner (known at ``result_observed_at``).
RUNNER_RESULT_COLUMNS: dict[str, str] = {
    "status": "string",  # one of RUNNER_STATUSES
    "result_code": "string",  # the source's own code ("1", "4 DH", "WV-A", "PU")
    "finish_position": "Int64",
    "dead_heat": "boolean",
    "lengths_behind": "Float64",  # behind the winner
    **{f"position_{i}": "Int64" for i in range(1, N_CALLS + 1)},
    **{f"behind_{i}": "Float64" for i in range(1, N_CALLS + 1)},
    **{f"section_time_{i}": "Float64" for i in range(1, N_CALLS + 1)},
    "finish_time": "Float64",  # seconds
}

RUNNER_COLUMNS: dict[str, str] = {
    **_RACE_KEY,
    "entity_source": "string",  # whose ids or names the horse, jockey and trainer keys are
    "horse_key": "string",
    "horse_name": "string",
    "horse_country": "string",
    "horse_sex": "string",
    "jockey_key": "string",
    "jockey_name": "string",
    "trainer_key": "string",
    "trainer_name": "string",
    **RUNNER_CARD_COLUMNS,
    "card_observed_at": "datetime64[us]",
    **RUNNER_RESULT_COLUMNS,
    "result_observed_at": "datetime64[us]",
    "source": "string",
    "source_file": "string",
    "source_line": "Int64",
}

ODDS_COLUMNS: dict[str, str] = {
    **_RACE_KEY,
    "entity_source": "string",
    "horse_key": "string",
    "market": "string",  # one of ODDS_MARKETS
    "kind": "string",  # one of ODDS_KINDS
    "value": "float64",  # decimal odds (a return per unit staked, stake included)
    "captured_at": "datetime64[us]",
    "observed_at": "datetime64[us]",
    "source": "string",
}

DIVIDEND_COLUMNS: dict[str, str] = {
    **_RACE_KEY,
    "pool": "string",  # "win", "place", ...
    "combination": "string",  # saddle numbers, comma-separated ("8", "3,11")
    "dividend": "float64",  # per 10 units staked (the Hong Kong convention)
    "observed_at": "datetime64[us]",
    "source": "string",
}


RACE_KEY = list(_RACE_KEY)


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


@dataclass
class RaceBatch:
    """What one read of a source produced."""

    races: pd.DataFrame = field(default_factory=lambda: empty_frame(RACE_COLUMNS))
    runners: pd.DataFrame = field(default_factory=lambda: empty_frame(RUNNER_COLUMNS))
    odds: pd.DataFrame = field(default_factory=lambda: empty_frame(ODDS_COLUMNS))
    dividends: pd.DataFrame = field(default_factory=lambda: empty_frame(DIVIDEND_COLUMNS))
    rejects: pd.DataFrame = field(default_factory=lambda: empty_frame(REJECT_COLUMNS))

    def conformed(self) -> RaceBatch:
        """The same batch with every frame cast to its declared columns and dtypes."""
        return RaceBatch(
            conform(self.races, RACE_COLUMNS),
            conform(self.runners, RUNNER_COLUMNS),
            conform(self.odds, ODDS_COLUMNS),
            conform(self.dividends, DIVIDEND_COLUMNS),
            conform(self.rejects, REJECT_COLUMNS),
        )

    @staticmethod
    def concat(batches: list[RaceBatch]) -> RaceBatch:
        """Several batches stacked into one."""
        if not batches:
            return RaceBatch()
        names = ("races", "runners", "odds", "dividends", "rejects")
        stacked = {n: pd.concat([getattr(b, n) for b in batches], ignore_index=True) for n in names}
        return RaceBatch(**stacked)


def describe_reject(row: Mapping[Any, Any] | pd.Series) -> str:
    """One reject as ``file:line: column: reason`` (``file:line: reason`` for a whole row)."""
    where = f"{row['source_file']}:{row['source_line']}"
    column = row["column"]
    return f"{where}: {column}: {row['reason']}" if column else f"{where}: {row['reason']}"
