"""How the transfer files are read (:data:`TRANSFER_CSV`, by the shared
:class:`~formline.sources.cells.CsvTable`), and the parsers of their text cells.

The transfer files are UTF-8 (with or without BOM), every cell stripped; a record whose field
count differs from the header's is a reject, shown as stripped. The ingest bounds and their
messages are the shared reader's.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from formline.sources.cells import CsvRules, RejectLog

Bools = npt.NDArray[np.bool_]
Texts = npt.NDArray[np.object_]

#: How the transfer files are read.
TRANSFER_CSV = CsvRules(
    encodings=("utf-8",),
    strip="always",
    blank_names=None,
    widths="exact",
    keep_raw=False,
    binary="a CSV file",
)


def numbers(text: Texts, unknown: tuple[str, ...] = ()) -> tuple[npt.NDArray[np.float64], Bools]:
    """Text cells as floats, and which cells are given but not numbers. Empty cells and the
    source's ``unknown`` markers (``"NA"``) are NaN and not bad."""
    blank = (text == "") | np.isin(text, list(unknown))
    parsed = pd.to_numeric(pd.Series(np.where(blank, "nan", text)), errors="coerce")
    value = parsed.to_numpy(dtype=float)
    return value, ~blank & ~np.isfinite(value)


def whole_in_range(
    rejects: RejectLog, text: Texts, column: str, low: float, high: float, *, fatal: bool
) -> npt.NDArray[np.float64]:
    """Whole numbers in ``[low, high]`` ("7" or "7.0"; "NA" and "" unknown); a bad cell is NaN
    and a reject."""
    value, bad = numbers(text, ("NA",))
    bad |= np.isfinite(value) & (value != np.floor(value))
    rejects.add(bad, column, "not a whole number: '{}'", text, fatal=fatal)
    out = ~bad & np.isfinite(value) & ((value < low) | (value > high))
    rejects.add(out, column, f"'{{}}' is out of range ({low:g} to {high:g})", text, fatal=fatal)
    return np.where(bad | out, np.nan, value)


def required_text(rejects: RejectLog, text: Texts, column: str) -> None:
    """Reject (the row) every empty cell of a column the row cannot do without."""
    rejects.add(text == "", column, "missing", fatal=True)


def one_of(rejects: RejectLog, text: Texts, column: str, allowed: dict[str, str]) -> Texts:
    """Cells mapped through ``allowed`` (casefolded); any other cell rejects the row."""
    lowered = np.array([t.casefold() for t in text], dtype=object)
    known = np.isin(lowered, list(allowed))
    choices = ", ".join(sorted(allowed))
    rejects.add(~known, column, f"'{{}}' is not one of {choices}", text, fatal=True)
    return np.array([allowed.get(t, "") for t in lowered], dtype=object)
