"""Read the ``transfers_emordonez`` layout (emordonez/transfermarkt-transfers): the stacked
``transfers_all.csv.gz`` (or any of its per-league CSVs), one row per move a covered club made.

Conventions
-----------
* ``club`` is the covered club, ``dealing_club`` the other side (or a status such as
  "Retired"), ``dealing_country`` its country; the club's country is its league's.
* ``season`` is the season's first year; ``window`` summer or winter; ``age`` "31.0".
* ``fee`` and ``market_value`` are EUR (empty unknown; a fee of 0 is a known zero, e.g. a free
  transfer or a loan without fee); the market value is Transfermarkt's estimate at the move.
* ``loan_status``: "free loan" and "loan with fee" start a loan, "end of loan" ends one
  (``is_loan`` is true for all three; here only the first two are ``is_loan``).
* The file gives no day of the move. A row without club, player, counter-club, a known
  movement, window, league or season is rejected whole; a bad age, fee or market value cell is
  rejected alone and left empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from formline.errors import SourceError
from formline.sources.cells import CsvTable, Limits, ReadLimits, RejectLog
from formline.transfers.frames import SIGHTING_COLUMNS, conform
from formline.transfers.sources.cells import (
    TRANSFER_CSV,
    numbers,
    one_of,
    required_text,
    whole_in_range,
)
from formline.transfers.sources.leagues import LEAGUE_CODES, LEAGUES
from formline.transfers.sources.read import SourceRead

SOURCE = "transfermarkt-emordonez"
_REQUIRED = (
    "club",
    "name",
    "age",
    "position",
    "market_value",
    "dealing_club",
    "fee",
    "movement",
    "window",
    "league",
    "season",
)
_MOVES = {"in": "in", "out": "out"}
_WINDOWS = {"summer": "summer", "winter": "winter"}
_LOAN_STARTS = ("free loan", "loan with fee")


def emordonez_files(paths: Sequence[Path]) -> list[Path]:
    """The files under ``paths`` (folders are searched for ``*.csv.gz`` and ``*.csv``)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted([*path.glob("*.csv.gz"), *path.glob("*.csv")])
        elif path.is_file():
            found.append(path)
        else:
            raise SourceError(f"{path}: no such file or folder")
    return found


def _euros(rejects: RejectLog, text: np.ndarray, column: str) -> np.ndarray:
    value, bad = numbers(text)
    rejects.add(bad, column, "not a number: '{}'", text, fatal=False)
    negative = np.isfinite(value) & (value < 0)
    rejects.add(negative, column, "'{}' is below 0", text, fatal=False)
    return np.where(negative, np.nan, value)


def read_emordonez_file(path: Path, limits: Limits | None = None) -> SourceRead:
    """Read one emordonez file into sightings and rejects.

    Raises
    ------
    SourceError
        If the file is unreadable, not of this layout, or past an ingest bound.
    """
    limits = limits or ReadLimits()
    table = CsvTable.read(
        path,
        what="an emordonez transfers file",
        required=_REQUIRED,
        limits=limits,
        rules=TRANSFER_CSV,
    )
    rejects = RejectLog(table, SOURCE)
    for column in ("club", "name", "dealing_club"):
        required_text(rejects, table.text(column), column)
    movement = one_of(rejects, table.text("movement"), "movement", _MOVES)
    window = one_of(rejects, table.text("window"), "window", _WINDOWS)
    league = one_of(rejects, table.text("league"), "league", LEAGUE_CODES)
    season = whole_in_range(rejects, table.text("season"), "season", 1900, 2100, fatal=True)
    rejects.add(~np.isfinite(season) & ~rejects.dropped, "season", "missing", fatal=True)
    age = whole_in_range(rejects, table.text("age"), "age", 12, 60, fatal=False)
    fee = _euros(rejects, table.text("fee"), "fee")
    market_value = _euros(rejects, table.text("market_value"), "market_value")
    status = np.array([s.casefold() for s in table.text("loan_status")], dtype=object)
    rejects.check(limits)
    frame = pd.DataFrame(
        {
            "source": SOURCE,
            "source_file": str(path),
            "source_line": table.lines,
            "club": table.text("club"),
            "league": league,
            "club_country": [LEAGUES[c][1] if c in LEAGUES else "" for c in league],
            "counter_club": table.text("dealing_club"),
            "counter_country": table.text("dealing_country"),
            "player_name": table.text("name"),
            "age": age,
            "position": table.text("position"),
            "nationality": table.text("nationality"),
            "movement": movement,
            "transfer_window": window,
            "season": season,
            "fee_eur": fee,
            "market_value_eur": market_value,
            "is_loan": np.isin(status, _LOAN_STARTS),
            "loan_return": status == "end of loan",
        }
    )
    kept = frame.loc[~rejects.dropped].replace({"": pd.NA})
    return SourceRead(
        conform(kept, SIGHTING_COLUMNS), rejects.frame(), rows={str(path): len(table)}
    )


def read_emordonez(paths: Sequence[Path], limits: Limits | None = None) -> SourceRead:
    """Read every emordonez file under ``paths``.

    Raises
    ------
    SourceError
        If a path is missing or a file unreadable or past a bound (nothing is read then).
    """
    return SourceRead.concat([read_emordonez_file(p, limits) for p in emordonez_files(paths)])
