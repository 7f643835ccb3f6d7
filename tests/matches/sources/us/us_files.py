"""Small hand-written US-sports files for the reader tests, and the shared data's location."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from formline.matches.sources.us import describe_reject

SHARED_DATA = Path(__file__).resolve().parents[4].parent / "shared" / "data"


def write(path: Path, header: str, rows: list[str], *, gz: bool = False) -> Path:
    """Write a CSV file (gzipped if ``gz``), its parent folders too."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join([header, *rows]) + "\n"
    if gz:
        path.write_bytes(gzip.compress(text.encode("utf-8")))
    else:
        path.write_text(text, encoding="utf-8")
    return path


def messages(rejects: pd.DataFrame) -> list[str]:
    """Each reject as ``file:line: column: reason`` with the file's name only."""
    out = []
    for row in rejects.to_dict("records"):
        row["source_file"] = Path(str(row["source_file"])).name
        out.append(describe_reject(row))
    return out


def shared(*parts: str) -> Path:
    """A path under the shared data folder, or skip the test when it is not there."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not found at {path}")
    return path


def lines_of(lines: pd.DataFrame, market: str, kind: str = "closing") -> dict[str, tuple]:
    """``selection -> (line, price)`` of the first game's lines in ``market``/``kind``."""
    part = lines[(lines["market"] == market) & (lines["kind"] == kind)]
    out = {}
    for row in part.to_dict("records"):
        line = None if pd.isna(row["line"]) else float(row["line"])
        price = None if pd.isna(row["price"]) else round(float(row["price"]), 4)
        out[row["selection"]] = (line, price)
    return out
