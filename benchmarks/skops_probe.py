"""Probe: which parts of a model bundle could skops store (a format that runs no code on load)?

Trains every model type on a small demo world, then tries ``skops.io.dumps`` and
``skops.io.loads`` (trusting exactly the types ``get_untrusted_types`` lists) on each part of the
bundle, and prints what works. skops is not a formline dependency: ``pip install skops`` first.

    .venv/bin/python benchmarks/skops_probe.py
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path

import skops.io as sio

from formline.pipeline.ingest import ingest_demo
from formline.pipeline.train import TrainConfig, train_model
from formline.store.artifacts import load_bundle
from formline.store.db import open_store

MODEL_TYPES = ("elo", "market", "logistic", "goals", "dixon-coles", "lightgbm", "ensemble")
PARTS = ("model", "calibrator", "over_calibrator", "validation", "metrics")
NOW = datetime(2025, 11, 6)


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    store = open_store(f"sqlite:///{folder / 'formline.db'}")
    ingest_demo(store, seed=21, now=NOW, n_leagues=2, n_teams=10, n_seasons=4)
    print(f"skops {sio.__name__} on {len(MODEL_TYPES)} model types")
    for model_type in MODEL_TYPES:
        config = TrainConfig(model_type=model_type, as_of=NOW, n_splits=3, n_boot=100)
        version = train_model(store, config, folder / "models").version
        bundle = load_bundle(
            Path(version.artifact_path or ""),
            expected_sha256=version.artifact_sha256 or "",
            expected_feature_version=version.feature_version,
        )
        for part in PARTS:
            value = bundle[part]
            kind = type(value).__name__
            try:
                data = sio.dumps(value)
            except Exception as exc:
                print(f"{model_type:12} {part:16} {kind:22} dump fails: {exc}")
                continue
            untrusted = sio.get_untrusted_types(data=data)
            try:
                sio.loads(data, trusted=untrusted)
                outcome = "loads"
            except Exception as exc:
                outcome = f"load fails: {type(exc).__name__}: {exc}"
            print(f"{model_type:12} {part:16} {kind:22} {len(data):>8} bytes; {outcome}")
            print(f"{'':12} {'':16} trusting {', '.join(untrusted) or 'nothing extra'}")


if __name__ == "__main__":
    main()
