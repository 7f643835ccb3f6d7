"""The races domain's side of the backtest: the CSV's columns (one row per runner) and the
summary's scores.

The CSV (``formline model:backtest --domain races --out``) is an interface: its columns and
their order (:data:`BACKTEST_COLUMNS`) do not change. ``horse`` is the source's horse id or
name (``horse_id`` when the frame has no ``horse``); each race's ``p_win`` sums to 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from formline.pipeline.outputs import csv_timestamps
from formline.races.scoring import RACE_KEY, place_metrics, public_probabilities, win_metrics

FORECAST_COLUMNS = ["p_win", "p_place"]
BACKTEST_COLUMNS = [
    RACE_KEY,
    "start_at",
    "venue",
    "horse",
    "saddle_number",
    "finish_position",
    *FORECAST_COLUMNS,
    "model",
    "lead_days",
]
#: The evaluation columns kept after the CSV's, when the rows have them.
EVALUATION_COLUMNS = [
    "source_race_id",
    "runner_id",
    "season",
    "field_size",
    "won",
    "placed",
    "win_odds",
    "public_win_probability",
]


def with_predictions(
    rows: pd.DataFrame, predictions: tuple[np.ndarray, np.ndarray] | None
) -> pd.DataFrame:
    """``rows`` with the win and place probabilities of ``predictions`` (NaN for None)."""
    out = rows.copy()
    if predictions is None:
        return out.assign(**dict.fromkeys(FORECAST_COLUMNS, np.nan))
    out["p_win"], out["p_place"] = predictions
    return out


def _named(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``horse`` (from ``horse_id`` if missing) and ``saddle_number`` (missing
    if the frame has none)."""
    out = frame.copy()
    if "horse" not in out.columns:
        out["horse"] = out["horse_id"] if "horse_id" in out.columns else pd.NA
    if "saddle_number" not in out.columns:
        out["saddle_number"] = pd.NA
    return out


def backtest_output(frame: pd.DataFrame, *, csv: bool = False) -> pd.DataFrame:
    """The CSV's columns (:data:`BACKTEST_COLUMNS`) then the evaluation columns; ``csv``: the
    CSV's only, ``race_id`` the source's race id, ``start_at`` as ISO 8601 text, positions and
    saddle numbers as integers."""
    named = _named(frame)
    if not csv:
        extra = [c for c in EVALUATION_COLUMNS if c in named.columns]
        return named[[*BACKTEST_COLUMNS, *extra]]
    if "source_race_id" in named.columns:
        # The CSV names each race by the source's id (the store's where a source gave none).
        source = named["source_race_id"].astype("string")
        named = named.assign(race_id=source.fillna(named[RACE_KEY].astype("string")))
    out = csv_timestamps(named[BACKTEST_COLUMNS], ["start_at"])
    for column in ("finish_position", "saddle_number"):
        out[column] = pd.to_numeric(out[column], errors="coerce").round().astype("Int64")
    return out


def backtest_scores(frame: pd.DataFrame) -> dict[str, float]:
    """The summary's scores of backtest rows: the model's winner log loss, pseudo-R² and place
    log loss, and its and the public's winner log loss on the races with the public's odds
    (NaN where there are none)."""
    nan = float("nan")
    scores: dict[str, Any] = {
        "log_loss": nan,
        "pseudo_r2": nan,
        "place_log_loss": nan,
        "log_loss_on_public_races": nan,
        "public_log_loss": nan,
    }
    if not len(frame):
        return scores
    groups = frame[RACE_KEY].to_numpy()
    model = win_metrics(groups, frame["won"], frame["p_win"])
    scores.update(log_loss=model["log_loss"], pseudo_r2=model["pseudo_r2"])
    scores["place_log_loss"] = place_metrics(frame["placed"], frame["p_place"])["log_loss"]
    q = public_probabilities(frame)
    has = np.isfinite(q)
    if has.any():
        scores["log_loss_on_public_races"] = win_metrics(
            groups[has], frame["won"].to_numpy()[has], frame["p_win"].to_numpy()[has]
        )["log_loss"]
        scores["public_log_loss"] = win_metrics(groups[has], frame["won"].to_numpy()[has], q[has])[
            "log_loss"
        ]
    return {k: float(v) for k, v in scores.items()}
