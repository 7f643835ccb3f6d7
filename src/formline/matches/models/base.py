"""What every match model is: a scikit-learn style estimator from a match frame to 1X2 and
over/under 2.5 probabilities.

``X`` is a frame with one row per match: the id columns (:data:`ID_COLUMNS`) and the
point-in-time features of the registry. ``y`` has ``home_goals`` and ``away_goals``. Outcome order
is always (home, draw, away).
"""

from __future__ import annotations

from typing import Any, NoReturn, Protocol, runtime_checkable

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from formline.errors import NotFittedError

OUTCOMES = ("home", "draw", "away")
ID_COLUMNS = ("match_id", "competition_id", "season", "kickoff_at", "home_team_id", "away_team_id")
OVER_UNDER_LINE = 2.5

FloatArray = NDArray[np.float64]


@runtime_checkable
class MatchModel(Protocol):
    """The contract every match model meets (plus scikit-learn's ``get_params``)."""

    uses_market: bool

    def feature_list(self) -> list[str]:
        """The features of ``X`` the model reads, known before it is fitted (none for a model
        of team strengths alone)."""
        ...

    def fit(self, X: pd.DataFrame, y: pd.DataFrame) -> MatchModel: ...

    def predict_proba(self, X: pd.DataFrame) -> FloatArray: ...

    def predict_over_proba(self, X: pd.DataFrame) -> FloatArray: ...


def not_fitted(model: object) -> NoReturn:
    """Raise the standard not-fitted error for ``model``."""
    raise NotFittedError(f"{type(model).__name__} is not fitted yet. Call `.fit()` first.")


def outcome_codes(y: pd.DataFrame) -> NDArray[np.int64]:
    """0 for a home win, 1 for a draw, 2 for an away win."""
    home = y["home_goals"].to_numpy(dtype=np.float64)
    away = y["away_goals"].to_numpy(dtype=np.float64)
    if np.isnan(home).any() or np.isnan(away).any():
        raise ValueError("targets must be finished matches: home_goals and away_goals known")
    codes: NDArray[np.int64] = np.where(home > away, 0, np.where(home == away, 1, 2)).astype(
        np.int64
    )
    return codes


def over_labels(y: pd.DataFrame, line: float = OVER_UNDER_LINE) -> NDArray[np.int64]:
    """1 when the total goals exceed ``line``."""
    total = y["home_goals"].to_numpy(dtype=np.float64) + y["away_goals"].to_numpy(dtype=np.float64)
    labels: NDArray[np.int64] = (total > line).astype(np.int64)
    return labels


def class_frequencies(codes: NDArray[np.int64], n_classes: int = 3) -> FloatArray:
    """Observed class frequencies with add-one smoothing (never exactly zero)."""
    counts: FloatArray = np.bincount(codes, minlength=n_classes).astype(np.float64) + 1.0
    frequencies: FloatArray = counts / counts.sum()
    return frequencies


def clip_probabilities(p: FloatArray, eps: float = 1e-6) -> FloatArray:
    """Clip away exact zeros and ones and renormalise rows (for 2-D input)."""
    clipped: FloatArray = np.clip(p, eps, 1.0 - eps)
    if clipped.ndim == 2:
        normalised: FloatArray = clipped / clipped.sum(axis=1, keepdims=True)
        return normalised
    return clipped


def describe(model: Any) -> dict[str, Any]:
    """JSON-friendly hyperparameters of ``model``."""
    params = model.get_params(deep=False) if hasattr(model, "get_params") else {}
    return {
        k: (v if isinstance(v, (int, float, str, bool, type(None))) else repr(v))
        for k, v in params.items()
    }
