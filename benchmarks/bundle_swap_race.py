"""Probe: can a model bundle be swapped between its checksum and its unpickling?

Another process swaps a malicious pickle in and the good bundle back as fast as it can while
this one loads the bundle over and over, first with a loader that hashes the file and then opens
it again (what formline did before), then with :func:`formline.store.artifacts.load_bundle`,
which hashes and unpickles the same bytes read once. The malicious pickle only creates a marker
file. Loopback only (one temporary folder), bounded by ``--seconds`` per loader.

    .venv/bin/python benchmarks/bundle_swap_race.py --seconds 10
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import joblib
import pandas as pd

from _common import markdown_table, publish
from formline.errors import SchemaMismatchError
from formline.store.artifacts import file_sha256, load_bundle, save_bundle

SWAPPER = """
import os, sys, time
evil, good, path, staging, seconds = sys.argv[1:]
end = time.monotonic() + float(seconds)
while time.monotonic() < end:
    for source in (evil, good):
        os.link(source, staging)
        os.replace(staging, path)
"""


class Payload:
    """Unpickling this creates the marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (str(self.marker), "w"))


def hash_then_reopen(path: Path, expected_sha256: str) -> Any:
    """The loader of before: checksum the file, then let joblib open it again."""
    if file_sha256(path) != expected_sha256:
        raise SchemaMismatchError("checksum mismatch")
    return joblib.load(path)


def load_with_checksum(path: Path, expected_sha256: str) -> Any:
    """formline's loader: hash and unpickle the same bytes, read once."""
    return load_bundle(path, expected_sha256=expected_sha256, expected_feature_version="v")


def probe(name: str, load: Callable[[Path, str], Any], seconds: float) -> dict[str, Any]:
    """Race ``load`` against the swapper for ``seconds``; count loads, refusals, payload runs."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        bundle = {"format_version": 1, "feature_version": "v", "feature_names": ["x"], "c": 1}
        path, sha = save_bundle(root / "models", "logistic", 1, bundle)
        good = root / "good.joblib"
        good.write_bytes(path.read_bytes())
        marker = root / "payload-ran"
        evil = root / "evil.joblib"
        joblib.dump(Payload(marker), evil)
        args = [str(evil), str(good), str(path), str(root / "models" / "staging")]
        swapper = subprocess.Popen([sys.executable, "-c", SWAPPER, *args, str(seconds + 1)])
        counts = {"loader": name, "loads": 0, "good bundle": 0, "refused": 0, "payload ran": 0}
        try:
            time.sleep(0.2)
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                counts["loads"] += 1
                try:
                    loaded = load(path, sha)
                except Exception:
                    counts["refused"] += 1
                else:
                    if loaded == bundle:
                        counts["good bundle"] += 1
                if marker.exists():
                    counts["payload ran"] += 1
                    marker.unlink()
        finally:
            swapper.kill()
            swapper.wait(timeout=10)
        return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per loader")
    parser.add_argument("--no-docs", action="store_true", help="print only")
    args = parser.parse_args()
    rows = [
        probe("hash, then reopen (before)", hash_then_reopen, args.seconds),
        probe("load_bundle (read once)", load_with_checksum, args.seconds),
    ]
    table = markdown_table(pd.DataFrame(rows))
    publish(
        "bundle_swap_race",
        [
            "## Model bundle swapped during loads (`benchmarks/bundle_swap_race.py`)",
            f"Another process swaps a malicious pickle in and the good bundle back in a loop "
            f"while each loader loads for {args.seconds:g} s; `payload ran` counts loads after "
            "which the malicious pickle had run.",
            table,
        ],
        write_docs=not args.no_docs,
    )


if __name__ == "__main__":
    main()
