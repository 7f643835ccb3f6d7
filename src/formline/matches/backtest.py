"""The matches domain's side of the backtest: the CSV's columns and the summary's scores.

The backtest CSV (``formline model:backtest --out``) is an interface: its columns and their
order (:data:`BACKTEST_COLUMNS`) do not change. The shared step
(:mod:`formline.pipeline.backtest`) walks forward and refits; this module says what a match's
row holds and how the rows are scored (RPS and log loss, beside the closing line).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from formline.core.metrics import evaluate
from formline.matches.evaluation import TARGETS
from formline.matches.models import outcome_codes
from formline.pipeline.outputs import csv_timestamps

#: The forecast columns of a backtest row: 1X2, then P(over 2.5).
FORECAST_COLUMNS = ["p_home", "p_draw", "p_away", "p_over_2_5"]
BACKTEST_COLUMNS = [
    "match_id",
    "competition",
    "season",
    "kickoff_at",
    "home_team",
    "away_team",
    *TARGETS,
    *FORECAST_COLUMNS,
    "model",
    "lead_days",
]


def with_predictions(
    rows: pd.DataFrame, predictions: tuple[np.ndarray, np.ndarray] | None
) -> pd.DataFrame:
    """``rows`` with the calibrated 1X2 and P(over 2.5) of ``predictions`` (NaN for None)."""
    out = rows.copy()
    if predictions is None:
        return out.assign(**dict.fromkeys(FORECAST_COLUMNS, np.nan))
    proba, over = predictions
    out[FORECAST_COLUMNS[:3]] = proba
    out[FORECAST_COLUMNS[3]] = over
    return out


def backtest_output(frame: pd.DataFrame, *, csv: bool = False) -> pd.DataFrame:
    """The CSV's columns (:data:`BACKTEST_COLUMNS`) then the opening and closing price
    columns; ``csv``: the CSV's only, ``kickoff_at`` as ISO 8601 text, goals as integers."""
    if not csv:
        extra = [c for c in frame.columns if c.startswith(("closing_", "opening_"))]
        return frame[[*BACKTEST_COLUMNS, *extra]]
    out = csv_timestamps(frame[BACKTEST_COLUMNS], ["kickoff_at"])
    for column in TARGETS:
        out[column] = out[column].astype("Int64")
    return out


def backtest_metrics(frame: pd.DataFrame) -> dict[str, Any]:
    """The model's metrics, and the closing line's on the matches that have it."""
    codes = outcome_codes(frame[TARGETS])
    proba = frame[FORECAST_COLUMNS[:3]].to_numpy(dtype=np.float64)
    out: dict[str, Any] = {"model": evaluate(codes, proba)}
    closing = frame[["closing_p_home", "closing_p_draw", "closing_p_away"]].to_numpy(
        dtype=np.float64
    )
    has = ~np.isnan(closing).any(axis=1)
    if has.any():
        out["model_on_market_matches"] = evaluate(codes[has], proba[has])
        out["closing_market"] = evaluate(codes[has], closing[has])
    return out


def backtest_scores(frame: pd.DataFrame) -> dict[str, float]:
    """The summary's scores of backtest rows: the model's RPS and log loss, and its and the
    closing line's RPS on the rows with closing odds (NaN where there are none)."""
    metrics = backtest_metrics(frame) if len(frame) else {}
    return {
        "rps": metrics.get("model", {}).get("rps", np.nan),
        "log_loss": metrics.get("model", {}).get("log_loss", np.nan),
        "rps_on_closing_matches": metrics.get("model_on_market_matches", {}).get("rps", np.nan),
        "closing_rps": metrics.get("closing_market", {}).get("rps", np.nan),
    }
