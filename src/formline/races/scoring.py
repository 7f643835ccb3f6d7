"""How a race model is scored: its targets, the win metrics (winner log loss per race,
pseudo-R², Brier) and place metrics, the public on the same races, the promotion loss and the
validation frame its bundle keeps.

A race is scored when its result names a winner: a race whose runners all lack a result, or
whose result has no winner, is skipped and counted (``n_skipped``), never raised on. Dead heats
share the win (see :func:`formline.races.models.winner_log_loss`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from formline.races.models import per_race_log_likelihood, pseudo_r2, win_brier
from formline.races.models._inputs import race_codes, race_sum

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
RACE_KEY = "race_id"
#: The target columns of the runner frame the models fit on and are scored against.
TARGETS = ["won", "placed", "finish_position"]
#: The public's de-margined win probability column.
PUBLIC = "public_win_probability"
#: Below this many decided races with the public's odds there is no market comparison.
MIN_MARKET_RACES = 30
_EPS = float(np.finfo(np.float64).eps)


def targets(rows: pd.DataFrame) -> pd.DataFrame:
    """What race models fit on: each runner's race, win, place and finishing position."""
    out: pd.DataFrame = rows[[RACE_KEY, *TARGETS]]
    return out


def decided(groups: Any, won: Any) -> BoolArray:
    """The rows of races with a winner (a race with a missing result on any runner, or no
    winner, is not decided)."""
    raw = np.asarray(groups)
    values = np.asarray(won, dtype=np.float64)
    if not raw.size:
        return np.zeros(0, dtype=np.bool_)
    codes, n_races = race_codes(raw, raw.shape[0])
    gaps = race_sum(np.isnan(values).astype(np.float64), codes, n_races)
    wins = race_sum(np.where(np.isnan(values), 0.0, values), codes, n_races)
    mask: BoolArray = ((gaps == 0.0) & (wins > 0.0))[codes]
    return mask


def _n_races(groups: NDArray[Any]) -> int:
    return int(pd.unique(groups).size) if groups.size else 0


def win_metrics(groups: Any, won: Any, p: Any) -> dict[str, Any]:
    """Winner log loss (mean over races of ``-log p(winner)``), pseudo-R² against the uniform
    forecast and win Brier of ``p`` over the decided races; ``n`` races scored, ``n_runners``,
    ``n_skipped`` races without a winner."""
    raw = np.asarray(groups)
    keep = decided(raw, won) if raw.size else np.zeros(0, dtype=bool)
    total = _n_races(raw)
    scored = raw[keep]
    n = _n_races(scored)
    out: dict[str, Any] = {"n": n, "n_runners": int(keep.sum()), "n_skipped": total - n}
    if n == 0:
        return {"log_loss": float("nan"), "pseudo_r2": float("nan"), "brier": float("nan"), **out}
    probs = np.asarray(p, dtype=np.float64)[keep]
    y = np.asarray(won, dtype=np.float64)[keep]
    loss = -per_race_log_likelihood(probs, y, groups=scored)
    return {
        "log_loss": float(loss.mean()),
        "pseudo_r2": pseudo_r2(probs, y, groups=scored),
        "brier": win_brier(probs, y, groups=scored),
        **out,
    }


def per_race_loss(groups: Any, won: Any, p: Any) -> FloatArray:
    """``-log p(winner)`` of each decided race, in order of first appearance."""
    raw = np.asarray(groups)
    keep = decided(raw, won)
    if not keep.any():
        return np.zeros(0)
    probs = np.asarray(p, dtype=np.float64)[keep]
    y = np.asarray(won, dtype=np.float64)[keep]
    values: FloatArray = -per_race_log_likelihood(probs, y, groups=raw[keep]).to_numpy()
    return values


def place_metrics(placed: Any, p_place: Any) -> dict[str, Any]:
    """Mean binary log loss and Brier of place probabilities over runners with a result."""
    y = np.asarray(placed, dtype=np.float64)
    p = np.clip(np.asarray(p_place, dtype=np.float64), _EPS, 1.0 - _EPS)
    has = ~np.isnan(y)
    if not has.any():
        return {"log_loss": float("nan"), "brier": float("nan"), "n_runners": 0}
    y, p = y[has], p[has]
    loss = -(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))
    return {
        "log_loss": float(loss.mean()),
        "brier": float(((p - y) ** 2).mean()),
        "n_runners": int(has.sum()),
    }


def evaluate_result(rows: pd.DataFrame, result: Any) -> dict[str, Any]:
    """The calibrated forecasts' win metrics at the top level, then ``place``'s (Benter's
    discounted exponents) with Harville's beside them."""
    groups = rows[RACE_KEY].to_numpy()
    metrics = win_metrics(groups, rows["won"], result.p)
    place = place_metrics(rows["placed"], result.place)
    harville = place_metrics(rows["placed"], result.harville)
    place["harville_log_loss"] = harville["log_loss"]
    place["harville_brier"] = harville["brier"]
    metrics["place"] = place
    return metrics


def evaluate_headline(
    rows: pd.DataFrame,
    result: Any,
    *,
    raw: bool = False,
    lead: str | None = None,
    where: BoolArray | None = None,
) -> dict[str, Any]:
    """The win metrics of the calibrated (``raw``: uncalibrated; ``lead``: as known at that
    lead bucket) forecasts, only on the rows ``where`` is true (whole races) if given."""
    p = result.extra_p[lead] if lead is not None else (result.raw_p if raw else result.p)
    groups, won = rows[RACE_KEY].to_numpy(), rows["won"].to_numpy(dtype=np.float64)
    if where is not None:
        keep = np.asarray(where, dtype=bool)
        groups, won, p = groups[keep], won[keep], np.asarray(p)[keep]
    return win_metrics(groups, won, p)


def _market_rows(rows: pd.DataFrame) -> BoolArray:
    """Rows of races whose every runner has the public's probability."""
    groups = rows[RACE_KEY].to_numpy()
    q = rows[PUBLIC].to_numpy(dtype=np.float64, na_value=np.nan)
    codes, n_races = race_codes(groups, groups.shape[0])
    gaps = race_sum((~np.isfinite(q)).astype(np.float64), codes, n_races)
    mask: BoolArray = (gaps == 0.0)[codes]
    return mask


def public_probabilities(rows: pd.DataFrame) -> FloatArray:
    """``public_win_probability`` renormalised within each race (NaN where a race lacks it)."""
    groups = rows[RACE_KEY].to_numpy()
    q = rows[PUBLIC].to_numpy(dtype=np.float64, na_value=np.nan)
    if not groups.size:
        return q
    codes, n_races = race_codes(groups, groups.shape[0])
    sums = race_sum(np.where(np.isfinite(q), q, 0.0), codes, n_races)
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = np.where(_market_rows(rows), q / sums[codes], np.nan)
    return out


def compare_with_market(
    rows: pd.DataFrame, p: FloatArray
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The model's and the public's win metrics on the decided races with the public's odds
    (``None, None`` below :data:`MIN_MARKET_RACES`)."""
    if not len(rows):
        return None, None
    has = _market_rows(rows)
    groups = rows[RACE_KEY].to_numpy()[has]
    won = rows["won"].to_numpy(dtype=np.float64)[has]
    if _n_races(groups[decided(groups, won)]) < MIN_MARKET_RACES:
        return None, None
    model = win_metrics(groups, won, np.asarray(p)[has])
    public = win_metrics(groups, won, public_probabilities(rows)[has])
    model["gap_to_market"] = {k: model[k] - public[k] for k in ("log_loss", "brier", "pseudo_r2")}
    return model, public


def headline_loss(rows: pd.DataFrame, result: Any) -> tuple[str, FloatArray]:
    """``-log p(winner)`` per decided race of the calibrated forecasts: what promotion compares
    (one value per race, the unit the paired bootstrap resamples)."""
    return "winner log loss", per_race_loss(rows[RACE_KEY].to_numpy(), rows["won"], result.p)


#: The runner frame's columns a validation frame keeps, when the frame has them.
VALIDATION_COLUMNS = [
    RACE_KEY,
    "runner_id",
    "horse_id",
    "start_at",
    "venue",
    "season",
    "field_size",
    "information",
    *TARGETS,
    "win_odds",
    PUBLIC,
]


def validation_frame(
    rows: pd.DataFrame, result: Any, reference: Any, reference_name: str
) -> pd.DataFrame:
    """One row per validated runner (the race id first): ids, result, odds, the fold, the
    model's calibrated and raw win probabilities, its place probabilities (Benter's and
    Harville's) and the reference's win probability (``{reference_name}_p_win``)."""
    picked = rows.iloc[result.rows].reset_index(drop=True)
    frame: pd.DataFrame = picked[[c for c in VALIDATION_COLUMNS if c in picked.columns]].copy()
    frame["fold"] = result.fold
    frame["p_win"] = result.p
    frame["raw_p_win"] = result.raw_p
    frame["p_place"] = result.place
    frame["harville_p_place"] = result.harville
    frame[f"{reference_name.replace('-', '_')}_p_win"] = reference.p
    return frame
