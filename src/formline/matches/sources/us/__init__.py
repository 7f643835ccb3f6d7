"""Pure readers of the US-sports source files (NFL, NBA, MLB, NHL): one module per layout, and
:func:`read_us_sports`, which recognises each file's layout by its header.

| layout | files | module |
|---|---|---|
| ``spreadspoke_scores`` | ``nfl_spreadspoke/spreadspoke_scores.csv`` | :mod:`.spreadspoke` |
| ``spreadspoke_teams`` | ``nfl_spreadspoke/nfl_teams.csv`` (names and codes: no games) | |
| ``oddsportal`` | ``us_odds_oddsportal/oddsportal_{nba,nfl,nhl}.csv`` | :mod:`.oddsportal` |
| ``nba_odds`` | ``nba_odds/nba_2008-2024.csv`` | :mod:`.nba_odds` |
| ``mlb_odds_sbr`` | ``mlb_odds_sbr/mlb_odds_2010_2019.csv`` | :mod:`.mlb_sbr` |
| ``nhl_odds_sbr`` | ``nhl_odds_sbr/nhl_odds_rows.csv.gz`` | :mod:`.nhl_sbr` |
| ``fivethirtyeight_elo`` | ``fivethirtyeight/nfl_elo.csv``, ``nba_elo.csv.gz`` | |

(The 538 files are read by :mod:`.fivethirtyeight`.)

Each reader returns a :class:`~.common.UsFileRead`: the file's games, lines, forecasts and
rejects (:mod:`.frames`), and how many of its rows are in no game. Readers touch no store.
"""

from __future__ import annotations

import codecs
import csv
import gzip
from collections.abc import Callable, Sequence
from pathlib import Path

from formline.errors import SourceError
from formline.matches.sources.text_table import ReadLimits
from formline.matches.sources.us import (
    fivethirtyeight,
    mlb_sbr,
    nba_odds,
    nhl_sbr,
    oddsportal,
    spreadspoke,
)
from formline.matches.sources.us.common import UsFileRead, american_to_decimal
from formline.matches.sources.us.frames import UsBatch, describe_reject

__all__ = [
    "LAYOUTS",
    "UsBatch",
    "UsFileRead",
    "american_to_decimal",
    "describe_reject",
    "discover_files",
    "layout_of",
    "read_us_sports",
]

Reader = Callable[[Path, ReadLimits | None], UsFileRead]


def _teams_table(path: Path, limits: ReadLimits | None = None) -> UsFileRead:
    """spreadspoke's team table holds names and codes, no games: recognised, nothing read."""
    return UsFileRead(path, spreadspoke.TEAMS_LAYOUT)


#: layout -> (the header columns that identify it, its reader); the first match wins.
LAYOUTS: dict[str, tuple[tuple[str, ...], Reader]] = {
    spreadspoke.LAYOUT: (spreadspoke.COLUMNS, spreadspoke.read_spreadspoke),
    spreadspoke.TEAMS_LAYOUT: (spreadspoke.TEAMS_COLUMNS, _teams_table),
    oddsportal.LAYOUT: (oddsportal.COLUMNS, oddsportal.read_oddsportal),
    nba_odds.LAYOUT: (nba_odds.COLUMNS, nba_odds.read_nba_odds),
    mlb_sbr.LAYOUT: (mlb_sbr.COLUMNS, mlb_sbr.read_mlb_sbr),
    nhl_sbr.LAYOUT: (nhl_sbr.COLUMNS, nhl_sbr.read_nhl_sbr),
    fivethirtyeight.LAYOUT: (fivethirtyeight.COLUMNS, fivethirtyeight.read_fivethirtyeight),
}

_HEADER_BYTES = 64 * 1024


def discover_files(paths: Sequence[Path]) -> list[Path]:
    """The files to read: files as given, folders searched recursively for ``*.csv`` and
    ``*.csv.gz`` (sorted; other files in a folder, such as PROVENANCE.md, are not data).

    Raises
    ------
    SourceError
        If a path does not exist.
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and p.name.lower().endswith((".csv", ".csv.gz"))
            )
        elif path.is_file():
            found.append(path)
        else:
            raise SourceError(f"{path}: no such file or folder")
    return list(dict.fromkeys(found))


def _header(path: Path) -> list[str]:
    """The first line's column names (plain or gzipped file)."""
    try:
        with path.open("rb") as raw:
            magic = raw.read(2)
            raw.seek(0)
            stream = gzip.GzipFile(fileobj=raw) if magic == b"\x1f\x8b" else raw
            head = stream.read(_HEADER_BYTES)
    except (OSError, EOFError) as exc:
        raise SourceError(f"{path}: cannot read: {exc}") from exc
    if b"\x00" in head:
        raise SourceError(f"{path}: not a US-sports CSV file (binary data)")
    head = head.removeprefix(codecs.BOM_UTF8)
    text = head.decode("utf-8", errors="replace").splitlines()
    first = next(csv.reader(text[:1]), []) if text else []
    return [name.strip() for name in first]


def layout_of(path: Path) -> str:
    """The layout of ``path``, recognised by its header (see :data:`LAYOUTS`).

    Raises
    ------
    SourceError
        If the file cannot be read or its header is none of the known layouts' (the message
        names the file and the layouts).
    """
    header = set(_header(path))
    for layout, (columns, _) in LAYOUTS.items():
        if header.issuperset(columns):
            return layout
    shown = ", ".join(sorted(header)[:12]) or "none"
    raise SourceError(
        f"{path}: not a known US-sports file (its header columns: {shown}); the known layouts: "
        f"{', '.join(LAYOUTS)}"
    )


def read_us_sports(paths: Sequence[Path], limits: ReadLimits | None = None) -> list[UsFileRead]:
    """Read every US-sports file in ``paths`` (files or folders), each by its own layout.

    Parameters
    ----------
    paths
        Files and folders (see :func:`discover_files`).
    limits
        Bounds on each file's size, its lines and its rejects (default: :class:`ReadLimits`).

    Returns
    -------
    list[UsFileRead]
        One per file, in order: its layout, row counts and batch; ``UsBatch.concat`` of their
        batches stacks them.

    Raises
    ------
    SourceError
        If a path does not exist, a file's layout is not recognised, or a file cannot be read
        or passes a bound; nothing is returned then.
    """
    files = discover_files(paths)
    layouts = [(path, layout_of(path)) for path in files]  # refuse an unknown file up front
    return [LAYOUTS[layout][1](path, limits) for path, layout in layouts]
