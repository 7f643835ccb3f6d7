"""How a match model is scored: its targets, the 1X2 and over/under 2.5 metrics, the closing
line on the same matches, the promotion loss and the validation frame its bundle keeps.

These are the matches domain's answers to the validation part of the domain contract
(:class:`formline.domain.Domain`); the shared training step (:mod:`formline.pipeline.train`)
calls them through :class:`~formline.matches.domain.MatchesDomain` and never looks inside a
:class:`~formline.matches.models.validation.WalkForwardResult`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from formline.core.metrics import evaluate, evaluate_binary, per_match_log_loss
from formline.matches.dataset import CLOSING_PROBABILITIES, PRICE_COLUMNS
from formline.matches.information import information_states, serves
from formline.matches.models import outcome_codes, over_labels
from formline.matches.models.validation import WalkForwardResult

#: The target columns every match model fits on.
TARGETS = ["home_goals", "away_goals"]
#: Below this many validated matches with closing odds there is no market comparison.
MIN_MARKET_MATCHES = 30


def targets(rows: pd.DataFrame) -> pd.DataFrame:
    """The goals of each match: what match models fit on."""
    return rows[TARGETS]


def match_metrics(rows: pd.DataFrame, proba: np.ndarray, over: np.ndarray) -> dict[str, Any]:
    """The 1X2 metrics of ``proba`` at the top level, then ``over_2_5``'s of ``over``."""
    y = rows[TARGETS]
    metrics: dict[str, Any] = dict(evaluate(outcome_codes(y), proba))
    metrics["over_2_5"] = evaluate_binary(over_labels(y), over)
    return metrics


def evaluate_result(rows: pd.DataFrame, result: WalkForwardResult) -> dict[str, Any]:
    """The calibrated forecasts' metrics on the scored ``rows`` (see :func:`match_metrics`)."""
    return match_metrics(rows, result.proba, result.over)


def evaluate_headline(
    rows: pd.DataFrame,
    result: WalkForwardResult,
    *,
    raw: bool = False,
    lead: str | None = None,
    where: NDArray[np.bool_] | None = None,
) -> dict[str, Any]:
    """The 1X2 metrics of the calibrated (``raw``: uncalibrated; ``lead``: as known at that
    lead bucket) forecasts on the scored ``rows``, only those ``where`` is true if given."""
    if lead is not None:
        proba = result.extra_proba[lead]
    else:
        proba = result.raw_proba if raw else result.proba
    codes = outcome_codes(rows[TARGETS])
    if where is not None:
        codes, proba = codes[where], proba[where]
    return dict(evaluate(codes, proba))


def compare_with_market(
    rows: pd.DataFrame, proba: np.ndarray
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The model's and the closing line's metrics on the matches that have closing odds."""
    market = rows[CLOSING_PROBABILITIES].to_numpy(dtype=np.float64)
    has = ~np.isnan(market).any(axis=1)
    if has.sum() < MIN_MARKET_MATCHES:
        return None, None
    codes = outcome_codes(rows[TARGETS])[has]
    model: dict[str, Any] = dict(evaluate(codes, proba[has]))
    closing: dict[str, Any] = dict(evaluate(codes, market[has]))
    model["gap_to_market"] = {k: model[k] - closing[k] for k in ("log_loss", "brier", "rps")}
    return model, closing


def headline_loss(rows: pd.DataFrame, result: WalkForwardResult) -> tuple[str, NDArray[np.float64]]:
    """The per-match 1X2 log loss of the calibrated forecasts: what promotion compares."""
    losses: NDArray[np.float64] = per_match_log_loss(outcome_codes(rows[TARGETS]), result.proba)
    return "log loss", losses


def admits(information: str, frame: pd.DataFrame) -> NDArray[np.bool_]:
    """The matches of ``frame`` a model needing ``information`` may predict."""
    return serves(information, information_states(frame))


def validation_frame(
    rows: pd.DataFrame, result: WalkForwardResult, reference: WalkForwardResult
) -> pd.DataFrame:
    """One row per validated match: ids, names, goals, the reference bookmaker's prices and
    closing probabilities, the fold, the model's calibrated and raw 1X2, the Elo reference's,
    P(over 2.5) and the opening line's probabilities."""
    picked = rows.iloc[result.rows].reset_index(drop=True)
    frame = picked[
        [
            "match_id",
            "competition",
            "season",
            "kickoff_at",
            "home_team",
            "away_team",
            *TARGETS,
            "reference_bookmaker",
            *PRICE_COLUMNS,
            *CLOSING_PROBABILITIES,
        ]
    ].copy()
    frame["fold"] = result.fold
    for i, outcome in enumerate(("home", "draw", "away")):
        frame[f"p_{outcome}"] = result.proba[:, i]
        frame[f"raw_p_{outcome}"] = result.raw_proba[:, i]
        frame[f"elo_p_{outcome}"] = reference.proba[:, i]
    frame["p_over_2_5"] = result.over
    for opening in ("market_p_home", "market_p_draw", "market_p_away"):
        frame[f"opening_{opening.removeprefix('market_')}"] = picked[opening].to_numpy()
    return frame
