"""Result files (feature exports, backtests, reports): an output path is checked before any work,
written atomically, and its timestamps carry their zone.

A command that computes for minutes must not fail at the end because its ``--out`` cannot be
written, so :func:`check_output` runs first; :func:`write_atomically` then writes under a
temporary name in the same folder and renames it over the target, so a failed write never
leaves a half-written file. Both report a path that cannot be written as one
:class:`~formline.errors.ConfigError` naming it, never a raw ``OSError``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from formline.errors import ConfigError

#: How timestamps are written to CSV: ISO 8601 with the UTC offset (``2023-05-20T14:00:00+00:00``).
CSV_TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S+00:00"


def check_output(path: Path, option: str = "--out", suffixes: Sequence[str] = ()) -> Path:
    """``path`` if a file can be written there (missing folders are created on write).

    Parameters
    ----------
    path
        The file to write.
    option
        The option that named it, for the message.
    suffixes
        Allowed file name suffixes (lower case, with the dot); empty allows any.

    Raises
    ------
    ConfigError
        If the suffix is not allowed, ``path`` is a folder, or its nearest existing ancestor is
        not a folder or cannot be written to.
    """
    if suffixes and path.suffix.lower() not in suffixes:
        wanted = " or ".join(suffixes)
        raise ConfigError(f"{option} {path}: use a {wanted} file")
    if path.is_dir():
        raise ConfigError(f"{option} {path}: is a folder, not a file")
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ConfigError(f"{option} {path}: {ancestor} is not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise ConfigError(f"{option} {path}: {ancestor} is not writable")
    if path.exists() and not os.access(path, os.W_OK):
        raise ConfigError(f"{option} {path}: the file is not writable")
    return path


def write_atomically(out: Path, write: Callable[[Path], object], option: str = "--out") -> Path:
    """Call ``write(tmp)`` on a temporary file next to ``out``, then rename it over ``out``.

    Missing folders are created. The file is readable by everyone (as ``open`` would make it).

    Raises
    ------
    ConfigError
        If the folder or the file cannot be written (the message names ``out`` and the reason);
        nothing is left behind.
    """
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    except OSError as exc:
        raise ConfigError(f"{option} {out}: cannot write there: {exc.strerror or exc}") from exc
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        with tmp.open("rb+") as written:  # on disk before the rename makes it the result
            os.fsync(written.fileno())
        tmp.chmod(0o644)  # mkstemp makes it private; results are meant to be shared
        tmp.replace(out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ConfigError(f"{option} {out}: cannot write there: {exc.strerror or exc}") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out


def utc_timestamps(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``frame`` with naive-UTC timestamp ``columns`` made timezone-aware UTC (in a copy).

    Parquet then stores them as UTC instants and pandas reads them back as such.
    """
    out = frame.copy()
    for column in columns:
        values = pd.to_datetime(out[column])
        out[column] = values.dt.tz_localize("UTC") if values.dt.tz is None else values
    return out


def csv_timestamps(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``frame`` with timestamp ``columns`` as ISO 8601 text with their UTC offset (in a copy);
    missing instants stay empty."""
    out = utc_timestamps(frame, columns)
    for column in columns:
        text = out[column].dt.tz_convert("UTC").dt.strftime(CSV_TIMESTAMP_FORMAT)
        out[column] = text.where(out[column].notna(), None)
    return out
