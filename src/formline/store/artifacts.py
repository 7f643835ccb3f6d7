"""Model bundle files: joblib pickles written atomically and verified by checksum on load.

A bundle is a dict with at least ``format_version`` (1), ``feature_version`` and
``feature_names``; the rest (the fitted estimator, calibrators ...) is the trainer's business.
Loading unpickles, which runs code from the file, so the checksum recorded in the registry is
checked before anything is unpickled, and on the very bytes that are unpickled: the file is read
once into memory, hashed, and unpickled from that copy. Checking the file and then opening it
again would let whoever can write the model folder swap the file in between. For the same
reason the checksum :func:`save_bundle` returns is of the bytes it wrote, not a re-read of the
file. Bundles are read-only once written (mode 0444).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import joblib

from formline.errors import DataError, ModelNotFoundError, SchemaMismatchError

BUNDLE_FORMAT_VERSION = 1

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
#: Bundles are read-only once written.
BUNDLE_MODE = 0o444
#: Temporary files are ``.<target name>.<pid>.<random>.tmp`` in the model folder.
TEMP_PREFIX = "."
TEMP_SUFFIX = ".tmp"


def _check_bundle(bundle: Any, where: str) -> None:
    """Raise SchemaMismatchError unless ``bundle`` has the required keys of format 1."""
    if not isinstance(bundle, Mapping):
        raise SchemaMismatchError(f"{where}: a model bundle must be a dict, not {type(bundle)}")
    missing = [k for k in ("format_version", "feature_version", "feature_names") if k not in bundle]
    if missing:
        raise SchemaMismatchError(f"{where}: the model bundle lacks {', '.join(missing)}")
    if bundle["format_version"] != BUNDLE_FORMAT_VERSION:
        raise SchemaMismatchError(
            f"{where}: model bundle format {bundle['format_version']!r} is not supported "
            f"(expected {BUNDLE_FORMAT_VERSION}); retrain the model"
        )
    if not isinstance(bundle["feature_version"], str):
        raise SchemaMismatchError(f"{where}: the bundle's feature_version must be a string")
    names = bundle["feature_names"]
    if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
        raise SchemaMismatchError(f"{where}: the bundle's feature_names must be a list of str")


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, hex."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_bundle(
    directory: Path, name: str, version: int, bundle: dict[str, Any]
) -> tuple[Path, str]:
    """Write ``bundle`` to ``<directory>/<name>-v<version>.joblib`` atomically.

    The bundle is serialised in memory, hashed, written under a temporary name in the same
    directory, flushed to disk, made read-only and renamed over the target, so a reader never
    sees a half-written bundle and the returned checksum is that of the bytes written (a file
    swapped after the rename fails its checksum on load).

    Parameters
    ----------
    directory
        Where model files live; created if missing.
    name, version
        The registry's model name and version.
    bundle
        The bundle: ``format_version`` (1), ``feature_version``, ``feature_names`` and whatever
        the model needs.

    Returns
    -------
    tuple[Path, str]
        The file's path and the SHA-256 of its bytes (hex), to store in the registry.

    Raises
    ------
    DataError
        If ``name`` is not a plain file-name fragment.
    SchemaMismatchError
        If the bundle lacks a required key or has another format version.
    """
    if not _SAFE_NAME.match(name):
        raise DataError(f"model name {name!r} cannot be used in a file name")
    _check_bundle(bundle, f"model {name} v{version}")
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{name}-v{int(version)}.joblib"
    buffer = io.BytesIO()
    joblib.dump(bundle, buffer, compress=3)
    data = buffer.getvalue()
    checksum = hashlib.sha256(data).hexdigest()
    # The writer's pid is in the temporary name, so a cleanup can tell a dead writer's leftover
    # from a file still being written.
    handle, tmp_name = tempfile.mkstemp(
        prefix=f"{TEMP_PREFIX}{target.name}.{os.getpid()}.", suffix=TEMP_SUFFIX, dir=directory
    )
    tmp = Path(tmp_name)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        # Read-only for everyone (mkstemp makes it private; the API process reads it too).
        tmp.chmod(BUNDLE_MODE)
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target, checksum


def load_bundle(
    path: Path, *, expected_sha256: str, expected_feature_version: str
) -> dict[str, Any]:
    """Load a bundle after checking its checksum, then its format and feature version.

    Parameters
    ----------
    path
        The bundle file (the registry's ``artifact_path``).
    expected_sha256
        The registry's ``artifact_sha256``; the file must match it byte for byte.
    expected_feature_version
        The feature version the caller will feed the model.

    Returns
    -------
    dict
        The bundle.

    Raises
    ------
    ModelNotFoundError
        If the file does not exist.
    SchemaMismatchError
        If the checksum differs, the bundle is malformed or of another format, or it was trained
        on another feature version.
    """
    path = Path(path)
    data = _read_regular_file(path)
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected_sha256.lower():
        raise SchemaMismatchError(
            f"model artifact {path}: checksum mismatch: expected {expected_sha256}, "
            f"file has {actual}"
        )
    # Unpickled from the bytes just hashed, never from the file again.
    bundle = joblib.load(io.BytesIO(data))
    _check_bundle(bundle, f"model artifact {path}")
    if bundle["feature_version"] != expected_feature_version:
        raise SchemaMismatchError(
            f"model artifact {path} was trained on feature version {bundle['feature_version']}, "
            f"but the features are version {expected_feature_version}; retrain the model"
        )
    return dict(bundle)


def _read_regular_file(path: Path) -> bytes:
    """Every byte of ``path`` through one descriptor, refusing anything but a regular file.

    Opened without blocking, so a FIFO swapped in for the file cannot hang the reader.

    Raises
    ------
    ModelNotFoundError
        If the file does not exist or is not a regular file.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(path, flags)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        raise ModelNotFoundError(f"model artifact {path} does not exist") from None
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise ModelNotFoundError(f"model artifact {path} is not a regular file")
        return handle.read()
