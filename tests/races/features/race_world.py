"""Small racing worlds for the feature tests: the demo world's input frames, a builder call on
frames, and a comparison with the pandas reference."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from formline.engine import compute_session
from formline.races.demo import generate_race_world
from formline.races.features import RACE_FEATURES, build_race_features, create_input_tables
from formline.races.features.inputs import input_frames

NOW = datetime(2025, 6, 1)


def small_frames(seed: int, n_days: int = 70, n_horses: int = 90) -> dict[str, pd.DataFrame]:
    """A small demo world's input frames (a few hundred runners, few jockeys and trainers, so
    connections repeat)."""
    world = generate_race_world(
        seed=seed, now=NOW, n_days=n_days, n_horses=n_horses, n_jockeys=8, n_trainers=6
    )
    return input_frames(world.batch)


def build(frames: dict[str, pd.DataFrame], as_of: datetime) -> pd.DataFrame:
    """The DuckDB builder on ``frames``."""
    con = compute_session(1)
    try:
        create_input_tables(con, frames)
        return build_race_features(con, as_of)
    finally:
        con.close()


def mismatches(built: pd.DataFrame, reference: pd.DataFrame) -> dict[str, int]:
    """Per feature, the runners on which the two disagree (beyond rtol 1e-9, NaN equal NaN)."""
    assert list(built["runner_id"]) == list(reference["runner_id"])
    out = {}
    for name in RACE_FEATURES.names:
        x, y = built[name].to_numpy(), reference[name].to_numpy()
        same = (np.isnan(x) & np.isnan(y)) | np.isclose(x, y, rtol=1e-9, atol=1e-12)
        if not same.all():
            out[name] = int((~same).sum())
    return out
