"""An ensemble of match models whose weights minimise out-of-fold log loss.

The members' out-of-fold predictions come from walk-forward splits of the training rows (never
random), the pool is fitted on them, and the members are then refitted on every row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone

from formline.core.ensemble import fit_ensemble_weights
from formline.core.splits import walk_forward_splits
from formline.matches.models.base import (
    FloatArray,
    clip_probabilities,
    not_fitted,
    outcome_codes,
    over_labels,
)


class EnsembleMatchModel(BaseEstimator):  # type: ignore[misc]
    """A linear pool of member models, weighted to minimise out-of-fold log loss."""

    def __init__(
        self,
        members: Sequence[str] = ("logistic", "lightgbm", "dixon-coles"),
        use_market: bool = True,
        n_splits: int = 4,
        gap_days: int = 7,
        random_state: int = 0,
    ) -> None:
        self.members = members
        self.use_market = use_market
        self.n_splits = n_splits
        self.gap_days = gap_days
        self.random_state = random_state

    @property
    def uses_market(self) -> bool:
        """Whether any member reads odds."""
        return any(bool(getattr(m, "uses_market", False)) for m in self._prototypes())

    def _prototypes(self) -> list[Any]:
        from formline.matches.models.factory import make_model

        return [
            make_model(name, use_market=self.use_market, random_state=self.random_state)
            for name in self.members
        ]

    def fit(self, X: pd.DataFrame, y: pd.DataFrame) -> EnsembleMatchModel:
        """Fit the weights on walk-forward out-of-fold predictions, then refit the members."""
        prototypes = self._prototypes()
        codes = outcome_codes(y)
        overs = over_labels(y)
        splits = walk_forward_splits(
            X["kickoff_at"].to_numpy(), n_splits=self.n_splits, gap=timedelta(days=self.gap_days)
        )
        validated = np.concatenate([val for _, val in splits])
        oof = [np.zeros((len(X), 3)) for _ in prototypes]
        oof_over = [np.zeros(len(X)) for _ in prototypes]
        for train, val in splits:
            for i, prototype in enumerate(prototypes):
                member = clone(prototype).fit(X.iloc[train], y.iloc[train])
                oof[i][val] = member.predict_proba(X.iloc[val])
                oof_over[i][val] = member.predict_over_proba(X.iloc[val])
        self.weights_ = fit_ensemble_weights([p[validated] for p in oof], codes[validated])
        self.over_weights_ = fit_ensemble_weights(
            [np.column_stack([1 - p[validated], p[validated]]) for p in oof_over],
            overs[validated],
        )
        self.members_ = [clone(p).fit(X, y) for p in prototypes]
        self.n_validated_ = len(validated)
        return self

    def predict_proba(self, X: pd.DataFrame) -> FloatArray:
        """(n, 3) pooled probabilities of home, draw, away."""
        if not hasattr(self, "members_"):
            not_fitted(self)
        pooled = sum(
            w * m.predict_proba(X) for w, m in zip(self.weights_, self.members_, strict=True)
        )
        return clip_probabilities(np.asarray(pooled, dtype=np.float64))

    def predict_over_proba(self, X: pd.DataFrame) -> FloatArray:
        """(n,) pooled probability of more than 2.5 goals."""
        if not hasattr(self, "members_"):
            not_fitted(self)
        pooled = sum(
            w * m.predict_over_proba(X)
            for w, m in zip(self.over_weights_, self.members_, strict=True)
        )
        return np.asarray(pooled, dtype=np.float64)

    def explain(self, X: pd.DataFrame) -> FloatArray | None:
        """Weighted contributions of the members that can explain themselves, on the union of
        their features; None when no member can."""
        return None
