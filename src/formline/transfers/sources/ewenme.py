"""Read the ``transfers_ewenme`` layout (ewenme/transfers, Transfermarkt-derived): one CSV per
league (``premier-league.csv`` ...), one row per move a covered club made, in or out.

Conventions
-----------
* ``club_name`` is the covered club, ``club_involved_name`` the other side as Transfermarkt
  spells it on the list (often short: "Man City"), or a status ("Retired", "Without Club").
* ``year`` is the season's first year; ``transfer_period`` Summer or Winter.
* ``age`` "NA" is unknown (kept empty, not a reject).
* Fees: ``fee_cleaned`` (EUR millions; "NA" unknown, 0 a free transfer) where given, else the
  amount in ``fee`` ("Loan fee:€500Th."). ``fee`` also says whether the move starts a loan
  ("loan transfer", "Loan fee:...") or ends one ("End of loanJun 30, 2019", whose date is the
  day of the move).
* ``league_name`` is one of :data:`~formline.transfers.sources.leagues.LEAGUE_CODES`; the club's
  country is ``country``. The file has no market values and no nationalities.
* A row without club, player, counter-club, a known movement, window, league or a year is
  rejected whole; a bad age or fee cell is rejected alone and left empty.
"""

from __future__ import annotations

import re
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
from formline.transfers.sources.leagues import LEAGUE_CODES
from formline.transfers.sources.read import SourceRead

SOURCE = "transfermarkt-ewenme"
_REQUIRED = (
    "club_name",
    "player_name",
    "age",
    "position",
    "club_involved_name",
    "fee",
    "transfer_movement",
    "transfer_period",
    "fee_cleaned",
    "league_name",
    "year",
)
_NOT_DATA = ("league-meta.csv",)
_AMOUNT = re.compile(r"€\s*([0-9]+(?:\.[0-9]+)?)\s*(m|Th\.?|k)?", re.IGNORECASE)
_SCALE = {"": 1.0, "m": 1e6, "th": 1e3, "th.": 1e3, "k": 1e3}
_END_OF_LOAN = re.compile(r"^end of loan\s*(.*)$", re.IGNORECASE)


def ewenme_files(paths: Sequence[Path]) -> list[Path]:
    """The league files under ``paths`` (folders are searched for ``*.csv``)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.glob("*.csv") if p.name not in _NOT_DATA)
        elif path.is_file():
            found.append(path)
        else:
            raise SourceError(f"{path}: no such file or folder")
    return found


def _fees(fee: np.ndarray, cleaned: np.ndarray, rejects: RejectLog) -> tuple[np.ndarray, ...]:
    """EUR fees, loan starts, loan ends and the day of the move, from the two fee columns."""
    millions, bad = numbers(cleaned, ("NA",))
    rejects.add(bad, "fee_cleaned", "not a number: '{}'", cleaned, fatal=False)
    lowered = np.array([f.casefold() for f in fee], dtype=object)
    ends = [_END_OF_LOAN.match(f) for f in fee]
    loan_return = np.array([m is not None for m in ends])
    is_loan = np.array([f.startswith(("loan transfer", "loan fee")) for f in lowered])
    amounts = np.full(len(fee), np.nan)
    for i, text in enumerate(fee):
        match = _AMOUNT.search(text) if "€" in text else None
        if match:
            amounts[i] = float(match.group(1)) * _SCALE[(match.group(2) or "").casefold()]
    fee_eur = np.where(np.isfinite(millions), millions * 1e6, amounts)
    fee_eur = np.where(lowered == "free transfer", 0.0, fee_eur)
    dates = pd.to_datetime(
        pd.Series([m.group(1) if m else "" for m in ends], dtype=object),
        format="%b %d, %Y",
        errors="coerce",
    )
    undated = loan_return & dates.isna().to_numpy()
    rejects.add(undated & (fee != "End of loan"), "fee", "no date in '{}'", fee, fatal=False)
    return fee_eur, is_loan, loan_return, dates.to_numpy(dtype="datetime64[us]")


def read_ewenme_file(path: Path, limits: Limits | None = None) -> SourceRead:
    """Read one ewenme league file into sightings and rejects.

    Raises
    ------
    SourceError
        If the file is unreadable, not of this layout, or past an ingest bound.
    """
    limits = limits or ReadLimits()
    table = CsvTable.read(
        path,
        what="an ewenme transfers file",
        required=_REQUIRED,
        limits=limits,
        rules=TRANSFER_CSV,
    )
    rejects = RejectLog(table, SOURCE)
    for column in ("club_name", "player_name", "club_involved_name"):
        required_text(rejects, table.text(column), column)
    movement = one_of(rejects, table.text("transfer_movement"), "transfer_movement", _MOVES)
    window = one_of(rejects, table.text("transfer_period"), "transfer_period", _WINDOWS)
    league = one_of(rejects, table.text("league_name"), "league_name", LEAGUE_CODES)
    year = whole_in_range(rejects, table.text("year"), "year", 1900, 2100, fatal=True)
    rejects.add(~np.isfinite(year) & ~rejects.dropped, "year", "missing", fatal=True)
    age = whole_in_range(rejects, table.text("age"), "age", 12, 60, fatal=False)
    fee, is_loan, loan_return, moved_on = _fees(
        table.text("fee"), table.text("fee_cleaned"), rejects
    )
    rejects.check(limits)
    frame = pd.DataFrame(
        {
            "source": SOURCE,
            "source_file": str(path),
            "source_line": table.lines,
            "club": table.text("club_name"),
            "league": league,
            "counter_club": table.text("club_involved_name"),
            "club_country": table.text("country"),
            "player_name": table.text("player_name"),
            "age": age,
            "position": table.text("position"),
            "movement": movement,
            "transfer_window": window,
            "season": year,
            "fee_eur": fee,
            "is_loan": is_loan,
            "loan_return": loan_return,
            "moved_on": moved_on,
        }
    )
    kept = frame.loc[~rejects.dropped].replace({"": pd.NA})
    return SourceRead(
        conform(kept, SIGHTING_COLUMNS), rejects.frame(), rows={str(path): len(table)}
    )


_MOVES = {"in": "in", "out": "out"}
_WINDOWS = {"summer": "summer", "winter": "winter"}


def read_ewenme(paths: Sequence[Path], limits: Limits | None = None) -> SourceRead:
    """Read every ewenme league file under ``paths``.

    Raises
    ------
    SourceError
        If a path is missing or a file unreadable or past a bound (nothing is read then).
    """
    return SourceRead.concat([read_ewenme_file(p, limits) for p in ewenme_files(paths)])
