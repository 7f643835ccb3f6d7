"""Backtest: walk-forward over a period, refitting at each season or month boundary on
everything observed before it, each match predicted from its point-in-time features."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from formline.core.splits import walk_forward_splits
from formline.errors import ConfigError, DataError
from formline.matches.models.validation import fit_calibrated
from formline.pipeline.dataset import MatchFrame, load_match_frame
from formline.pipeline.outputs import check_output, csv_timestamps, write_atomically
from formline.pipeline.train import TrainConfig, build_prototype
from formline.store.db import Store

BACKTEST_COLUMNS = [
    "match_id",
    "competition",
    "season",
    "kickoff_at",
    "home_team",
    "away_team",
    "home_goals",
    "away_goals",
    "p_home",
    "p_draw",
    "p_away",
    "p_over_2_5",
    "model",
]
#: Models evaluated as they are, without calibration (the market is the reference itself).
UNCALIBRATED = ("market",)


@dataclass
class BacktestResult:
    """One row per predicted match (:data:`BACKTEST_COLUMNS` plus evaluation columns)."""

    frame: pd.DataFrame
    refits: int
    model: str


def block_starts(test: pd.DataFrame, refit: str) -> list[pd.Timestamp]:
    """The refit boundaries: the first kickoff of each season, or each calendar month."""
    if refit == "season":
        firsts = test.groupby("season")["kickoff_at"].min().sort_values()
        return [pd.Timestamp(t) for t in firsts]
    if refit == "month":
        months = test["kickoff_at"].dt.to_period("M").drop_duplicates().sort_values()
        return [p.start_time for p in months]
    raise ConfigError(f"--refit: '{refit}' is not one of season, month")


def run_backtest(
    store: Store,
    start: datetime,
    end: datetime,
    config: TrainConfig,
    refit: str = "season",
    match_frame: MatchFrame | None = None,
    label: str | None = None,
) -> BacktestResult:
    """Walk forward through ``[start, end)``; see the module docstring.

    Features are computed once as of ``end``: every finished match before then has the cutoff
    of its own kickoff, exactly as it had at the time.
    """
    if end <= start:
        raise ConfigError("--end must be after --start")
    match_frame = match_frame or load_match_frame(store, end)
    frame = match_frame.frame[match_frame.frame["finished"]].reset_index(drop=True)
    if config.competition:
        frame = frame[frame["competition"] == config.competition].reset_index(drop=True)
    test = frame[(frame["kickoff_at"] >= start) & (frame["kickoff_at"] < end)]
    if test.empty:
        raise DataError(f"no finished matches between {start:%Y-%m-%d} and {end:%Y-%m-%d}")
    starts = block_starts(test, refit)
    bounds = [*starts[1:], pd.Timestamp(end)]
    calibration = "none" if config.model_type in UNCALIBRATED else config.calibration
    pieces = []
    for block_start, block_end in zip(starts, bounds, strict=True):
        train = frame[frame["result_observed_at"] < block_start]
        if config.lookback_days:
            train = train[train["kickoff_at"] >= block_start - timedelta(days=config.lookback_days)]
        block = test[(test["kickoff_at"] >= block_start) & (test["kickoff_at"] < block_end)]
        if block.empty:
            continue
        if len(train) < 200:
            raise DataError(
                f"only {len(train)} finished matches before {block_start:%Y-%m-%d} to train on"
            )
        train = train.reset_index(drop=True)
        y = train[["home_goals", "away_goals"]]
        splits = walk_forward_splits(
            train["kickoff_at"].to_numpy(), n_splits=3, gap=timedelta(days=config.gap_days)
        )
        prototype = build_prototype(config.model_type, config, dict(config.hyperparameters))
        model, calibrator, over_calibrator = fit_calibrated(
            prototype, train, y, splits, calibration
        )
        proba = calibrator.transform(model.predict_proba(block))
        over = over_calibrator.transform(model.predict_over_proba(block))
        piece = block.copy()
        piece[["p_home", "p_draw", "p_away"]] = proba
        piece["p_over_2_5"] = over
        pieces.append(piece)
    result = pd.concat(pieces, ignore_index=True)
    result["model"] = label or (
        config.model_type if config.use_market else f"{config.model_type}-no-market"
    )
    extra = [c for c in result.columns if c.startswith(("closing_", "opening_"))]
    return BacktestResult(
        result[[*BACKTEST_COLUMNS, *extra]], len(pieces), str(result["model"].iloc[0])
    )


def write_backtest(result: BacktestResult, out: Path) -> None:
    """Write the backtest's required columns to ``out`` (CSV) atomically; ``kickoff_at`` as
    ISO 8601 with its UTC offset.

    Raises
    ------
    ConfigError
        If ``out`` is not a ``.csv`` file or cannot be written.
    """
    check_output(out, suffixes=(".csv",))
    frame = csv_timestamps(result.frame[BACKTEST_COLUMNS], ["kickoff_at"])
    frame["home_goals"] = frame["home_goals"].astype("Int64")
    frame["away_goals"] = frame["away_goals"].astype("Int64")
    write_atomically(out, lambda tmp: frame.to_csv(tmp, index=False, float_format="%.10f"))


def backtest_metrics(frame: pd.DataFrame) -> dict[str, Any]:
    """The model's metrics, and the closing line's on the matches that have it."""
    from formline.core.metrics import evaluate
    from formline.matches.models import outcome_codes

    codes = outcome_codes(frame[["home_goals", "away_goals"]])
    proba = frame[["p_home", "p_draw", "p_away"]].to_numpy(dtype=np.float64)
    out: dict[str, Any] = {"model": evaluate(codes, proba)}
    closing = frame[["closing_p_home", "closing_p_draw", "closing_p_away"]].to_numpy(
        dtype=np.float64
    )
    has = ~np.isnan(closing).any(axis=1)
    if has.any():
        out["model_on_market_matches"] = evaluate(codes[has], proba[has])
        out["closing_market"] = evaluate(codes[has], closing[has])
    return out
