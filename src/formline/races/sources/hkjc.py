"""Find and read the Hong Kong files under some paths, in either layout (see
:mod:`~formline.races.sources.gdaley` and :mod:`~formline.races.sources.hkjc_results`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from formline.errors import SourceError
from formline.races.frames import RaceBatch
from formline.races.sources.gdaley import is_gdaley_folder, read_gdaley
from formline.races.sources.hkjc_results import is_results_file, read_hkjc_results
from formline.sources.cells import Limits


@dataclass
class HkjcRead:
    """What reading Hong Kong paths made: one batch per layout found, and per file its data
    rows and how many were loaded (the rest are rejected rows)."""

    batches: list[RaceBatch] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    loaded: dict[str, int] = field(default_factory=dict)


def discover_hkjc(paths: Sequence[Path]) -> tuple[list[Path], list[Path]]:
    """The gdaley folders and the results files under ``paths``, each once, sorted.

    A folder is a gdaley folder if it holds ``races.csv`` and ``runs.csv``; otherwise its
    ``results*.csv`` files (searched recursively) are read. A file ``races.csv`` or ``runs.csv``
    stands for its folder.

    Raises
    ------
    SourceError
        If a path does not exist, or holds no file of either layout.
    """
    folders: list[Path] = []
    files: list[Path] = []
    for path in paths:
        if path.is_file() and path.name in ("races.csv", "runs.csv"):
            path = path.parent
        if is_gdaley_folder(path):
            folders.append(path)
        elif path.is_dir():
            below = sorted(p for p in path.rglob("*.csv") if is_results_file(p))
            gdaley = sorted(p.parent for p in path.rglob("races.csv") if is_gdaley_folder(p.parent))
            if not below and not gdaley:
                raise SourceError(
                    f"{path}: no Hong Kong race files (races.csv + runs.csv, results.csv)"
                )
            files += below
            folders += gdaley
        elif path.is_file():
            files.append(path)
        else:
            raise SourceError(f"{path}: no such file or folder")
    return list(dict.fromkeys(folders)), list(dict.fromkeys(files))


def read_hkjc(paths: Sequence[Path], limits: Limits | None = None) -> HkjcRead:
    """Read every Hong Kong file under ``paths`` (see :func:`discover_hkjc`).

    Raises
    ------
    SourceError
        If a path is missing or a file cannot be read or passes an ingest bound.
    """
    folders, files = discover_hkjc(paths)
    out = HkjcRead()
    for folder in folders:
        read = read_gdaley(folder, limits)
        out.batches.append(read.batch)
        out.rows |= read.rows
        out.loaded |= read.loaded
    for path in files:
        results = read_hkjc_results(path, limits)
        out.batches.append(results.batch)
        out.rows |= results.rows
        out.loaded |= results.loaded
    return out
