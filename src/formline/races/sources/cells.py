"""How the racing files are read (:data:`RACE_CSV`, by the shared
:class:`~formline.sources.cells.CsvTable`), and the parsers of their text cells.

The racing files come UTF-8 (with or without BOM), Windows-1252 or latin-1, their cells padded
or not, some with blank header names and trailing empty fields; a reject shows its row as read.
The ingest bounds and their messages are the shared reader's.
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from formline.sources.cells import CsvRules, CsvTable, RejectLog

Floats = npt.NDArray[np.float64]
Texts = npt.NDArray[np.object_]

#: How the racing files are read.
RACE_CSV = CsvRules(
    encodings=("utf-8", "cp1252", "latin-1"),  # latin-1 decodes any bytes
    strip="if padded",
    blank_names="Unnamed: {}",
    widths="lenient",
    keep_raw=True,
    binary=None,  # "not an HKJC results.csv (binary data)": the what of the read
)


def numbers(text: Texts) -> Floats:
    """Text cells as floats; empty or unparseable cells become NaN."""
    filled = np.where(text == "", "nan", text)
    with contextlib.suppress(ValueError):
        if "_" not in "".join(filled.ravel()):  # float() would read "1_5" as 15
            return filled.astype(float)
    parsed = pd.to_numeric(pd.Series(filled.ravel()), errors="coerce")
    return parsed.to_numpy(dtype=float).reshape(text.shape)


def whole_numbers(
    table: CsvTable,
    rejects: RejectLog,
    name: str,
    *,
    fatal: bool,
    required: bool = False,
    low: float = 0,
    high: float = 2**31 - 1,
) -> Floats:
    """A column of whole numbers in ``[low, high]`` ("7" or "7.0"); a bad cell is NaN and a
    reject (as is an empty one, if ``required``)."""
    text = table.text(name)
    value = numbers(text)
    given = text != ""
    whole = np.isfinite(value) & (value == np.floor(value))
    bad = given & ~whole
    rejects.add(bad, name, "not a whole number: '{}'", text, fatal=fatal)
    out = given & whole & ((value < low) | (value > high))
    rejects.add(out, name, f"'{{}}' is out of range ({low:g} to {high:g})", text, fatal=fatal)
    if required:
        rejects.add(~given, name, "missing", fatal=True)
    return np.where(bad | out, np.nan, value)


def decimals(
    table: CsvTable,
    rejects: RejectLog,
    name: str,
    *,
    low: float = 0,
    unknown: float | None = None,
    fatal: bool = False,
) -> Floats:
    """A column of numbers at least ``low``; ``unknown`` (a source's sentinel) reads as NaN, a
    bad cell is NaN and a reject."""
    text = table.text(name)
    value = numbers(text)
    given = text != ""
    bad = given & ~np.isfinite(value)
    rejects.add(bad, name, "not a number: '{}'", text, fatal=fatal)
    below = given & np.isfinite(value) & (value < low)
    rejects.add(below, name, f"'{{}}' is below {low:g}", text, fatal=fatal)
    value = np.where(bad | below, np.nan, value)
    if unknown is not None:
        value = np.where(value == unknown, np.nan, value)
    return value


def nullable_ints(values: Floats) -> pd.arrays.IntegerArray:
    """Whole-number floats as a nullable integer array (NaN becomes NA)."""
    missing = np.isnan(values)
    return pd.arrays.IntegerArray(np.where(missing, 0, values).astype(np.int64), missing)


def texts(values: Any) -> pd.Series:
    """Cells as a string series, "" as NA."""
    series = pd.Series(values, dtype="string")
    return series.mask(series == "")
