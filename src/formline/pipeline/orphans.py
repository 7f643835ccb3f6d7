"""Files that dead or failed runs left in the model folder, and their removal.

Two kinds: temporary files a writer killed mid-write left behind
(``.<name>-v<N>.joblib.<pid>.<random>.tmp``, removed once that process is gone), and bundles of
model versions that ``failed`` in this store (by ``artifact_path``, or by their file name when
the run died before recording it). A bundle of any other version is never touched. (Two stores
sharing one model folder are not supported: their bundle names collide already.)
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from formline.store.artifacts import TEMP_PREFIX, TEMP_SUFFIX
from formline.store.db import Store
from formline.store.jobs import process_alive
from formline.store.tables import model_versions

log = logging.getLogger(__name__)

_TEMP = re.compile(
    rf"^{re.escape(TEMP_PREFIX)}(?P<target>.+\.joblib)\.(?P<pid>\d+)\..+{re.escape(TEMP_SUFFIX)}$"
)
_BUNDLE = re.compile(r"^(?P<name>.+)-v(?P<version>\d+)\.joblib$")


@dataclass
class Cleaned:
    """What :func:`remove_orphan_files` removed."""

    temp_files: list[Path] = field(default_factory=list)
    bundles: list[Path] = field(default_factory=list)


def remove_orphan_files(store: Store, model_dir: Path) -> Cleaned:
    """Remove the temporary files of dead writers and the bundles of failed model versions.

    Parameters
    ----------
    store
        The store whose registry says which versions failed.
    model_dir
        The model folder (``MODEL_STORAGE_PATH``).

    Returns
    -------
    Cleaned
        The files removed.
    """
    cleaned = Cleaned()
    if not model_dir.is_dir():
        return cleaned
    with store.connect("reading failed model versions") as conn:
        failed = conn.execute(
            select(
                model_versions.c.name, model_versions.c.version, model_versions.c.artifact_path
            ).where(model_versions.c.status == "failed")
        ).all()
    by_path = {Path(p).resolve() for _, _, p in failed if p}
    by_name = {(name, int(version)) for name, version, p in failed if not p}
    for path in model_dir.iterdir():
        if not path.is_file():
            continue
        temp = _TEMP.match(path.name)
        if temp:
            if not process_alive(int(temp["pid"])):
                _remove(path, cleaned.temp_files)
            continue
        bundle = _BUNDLE.match(path.name)
        if bundle is None:
            continue
        if path.resolve() in by_path or (bundle["name"], int(bundle["version"])) in by_name:
            _remove(path, cleaned.bundles)
    return cleaned


def _remove(path: Path, into: list[Path]) -> None:
    try:
        path.unlink()
    except OSError as exc:  # someone else's file, a read-only folder: say so, go on
        log.warning("could not remove %s: %s", path, exc)
        return
    into.append(path)
