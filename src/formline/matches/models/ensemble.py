"""An ensemble of match models whose weights minimise out-of-fold log loss.

The members' out-of-fold predictions come from walk-forward splits of the training rows (never
random), the pool is fitted on them, and the members are then refitted on every row.

:func:`pooled_fold_predictions` serves walk-forward validation of an ensemble without nesting:
each member is fitted once per outer fold, and fold ``k`` is pooled with weights fitted on the
members' predictions of folds ``1..k-1`` only, so every pooled validation probability is out of
sample (the way calibration is fitted on earlier folds).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
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

Splits = list[tuple[NDArray[np.int64], NDArray[np.int64]]]


def _weights(
    proba: list[FloatArray], over: list[FloatArray], y: pd.DataFrame
) -> tuple[FloatArray, FloatArray]:
    """Pool weights for 1X2 and over/under from aligned member predictions of the rows of ``y``."""
    weights = fit_ensemble_weights(proba, outcome_codes(y))
    over_weights = fit_ensemble_weights([np.column_stack([1 - p, p]) for p in over], over_labels(y))
    return weights, over_weights


def _pool(members: Sequence[FloatArray], weights: FloatArray) -> FloatArray:
    pooled: FloatArray = np.einsum("m,m...->...", weights, np.stack(members))
    return pooled


class EnsembleMatchModel(BaseEstimator):  # type: ignore[misc]
    """A linear pool of member models, weighted to minimise out-of-fold log loss.

    The default members are three views of the same features: the multinomial logistic model
    (the result), the goals model (the score) and LightGBM (interactions).
    """

    def __init__(
        self,
        members: Sequence[str] = ("logistic", "goals", "lightgbm"),
        use_market: bool = True,
        n_splits: int = 3,
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
        return any(bool(getattr(m, "uses_market", False)) for m in self.member_prototypes())

    def member_prototypes(self) -> list[Any]:
        """Fresh, unfitted members."""
        from formline.matches.models.factory import make_model

        return [
            make_model(name, use_market=self.use_market, random_state=self.random_state)
            for name in self.members
        ]

    def feature_list(self) -> list[str]:
        """Every feature a member reads, in the members' order."""
        names: list[str] = []
        for member in self.member_prototypes():
            for name in member.feature_list():
                if name not in names:
                    names.append(name)
        return names

    def splits(self, X: pd.DataFrame) -> Splits:
        """The walk-forward splits of ``X`` whose out-of-fold predictions fit the weights."""
        return walk_forward_splits(
            X["kickoff_at"].to_numpy(), n_splits=self.n_splits, gap=timedelta(days=self.gap_days)
        )

    def fit(self, X: pd.DataFrame, y: pd.DataFrame) -> EnsembleMatchModel:
        """Fit the weights on walk-forward out-of-fold predictions, then refit the members."""
        prototypes = self.member_prototypes()
        splits = self.splits(X)
        member_proba: list[list[FloatArray]] = []
        member_over: list[list[FloatArray]] = []
        for train, val in splits:
            fitted = [clone(p).fit(X.iloc[train], y.iloc[train]) for p in prototypes]
            member_proba.append([m.predict_proba(X.iloc[val]) for m in fitted])
            member_over.append([m.predict_over_proba(X.iloc[val]) for m in fitted])
        self.weights_, self.over_weights_ = final_weights(member_proba, member_over, splits, y)
        self.members_ = [clone(p).fit(X, y) for p in prototypes]
        self.n_validated_ = sum(len(val) for _, val in splits)
        return self

    def predict_proba(self, X: pd.DataFrame) -> FloatArray:
        """(n, 3) pooled probabilities of home, draw, away."""
        if not hasattr(self, "members_"):
            not_fitted(self)
        return clip_probabilities(_pool([m.predict_proba(X) for m in self.members_], self.weights_))

    def predict_over_proba(self, X: pd.DataFrame) -> FloatArray:
        """(n,) pooled probability of more than 2.5 goals."""
        if not hasattr(self, "members_"):
            not_fitted(self)
        return _pool([m.predict_over_proba(X) for m in self.members_], self.over_weights_)

    @property
    def feature_names_(self) -> list[str]:
        """Every feature some member reads, in first-seen order."""
        if not hasattr(self, "members_"):
            not_fitted(self)
        names: list[str] = []
        for member in self.members_:
            for name in getattr(member, "feature_names_", []):
                if name not in names:
                    names.append(name)
        return names

    def explain(self, X: pd.DataFrame) -> FloatArray | None:
        """The members' contributions, each scaled by its pool weight and summed per feature,
        (n, features, 3) over :attr:`feature_names_`; None when no weighted member explains.

        Members explain on their own raw scale (logistic terms, goal-rate terms, TreeSHAP), so
        the sum ranks the features that drive this prediction; it is not an exact decomposition
        of the pooled probabilities.
        """
        names = self.feature_names_
        position = {name: j for j, name in enumerate(names)}
        total = np.zeros((len(X), len(names), 3))
        explained = False
        for weight, member in zip(self.weights_, self.members_, strict=True):
            explain = getattr(member, "explain", None)
            if weight <= 0 or not callable(explain):
                continue
            contributions = explain(X)
            if contributions is None:
                continue
            columns = [position[n] for n in member.feature_names_]
            total[:, columns, :] += weight * contributions
            explained = True
        return total if explained else None


def pooled_fold_predictions(
    prototype: EnsembleMatchModel,
    X: pd.DataFrame,
    y: pd.DataFrame,
    splits: Splits,
    extra: Mapping[str, pd.DataFrame] | None = None,
) -> tuple[list[FloatArray], list[FloatArray], dict[str, list[FloatArray]]]:
    """Per outer fold, the ensemble's raw 1X2 and over/under predictions of its validation rows
    (and the 1X2 predictions of the same rows of each ``extra`` frame, pooled alike).

    Each member is fitted once per fold. Fold 1 is pooled with equal weights (it only feeds the
    calibrators of later folds); fold ``k > 1`` with weights fitted on the members' predictions
    of folds ``1..k-1``.
    """
    extra = dict(extra or {})
    prototypes = prototype.member_prototypes()
    member_proba: list[list[FloatArray]] = []
    member_over: list[list[FloatArray]] = []
    member_extra: dict[str, list[list[FloatArray]]] = {name: [] for name in extra}
    for train, val in splits:
        fitted = [clone(p).fit(X.iloc[train], y.iloc[train]) for p in prototypes]
        member_proba.append([m.predict_proba(X.iloc[val]) for m in fitted])
        member_over.append([m.predict_over_proba(X.iloc[val]) for m in fitted])
        for name, frame in extra.items():
            member_extra[name].append([m.predict_proba(frame.iloc[val]) for m in fitted])
    weights = fold_weights(member_proba, member_over, splits, y)
    proba = [pool(p, w) for p, (w, _) in zip(member_proba, weights, strict=True)]
    over = [pool(p, w, clip=False) for p, (_, w) in zip(member_over, weights, strict=True)]
    pooled_extra = {
        name: [pool(fold, w) for fold, (w, _) in zip(member_extra[name], weights, strict=True)]
        for name in extra
    }
    return proba, over, pooled_extra


def fold_weights(
    member_proba: Sequence[Sequence[FloatArray]],
    member_over: Sequence[Sequence[FloatArray]],
    splits: Splits,
    y: pd.DataFrame,
) -> list[tuple[FloatArray, FloatArray]]:
    """Per fold, the 1X2 and over/under pool weights: equal for fold 1, fitted on the members'
    predictions of folds ``1..k-1`` for fold ``k`` (``member_proba[k][i]``: member ``i``'s
    predictions of fold ``k``'s validation rows)."""
    n_members = len(member_proba[0])
    equal = np.full(n_members, 1.0 / n_members)
    out = [(equal, equal)]
    for k in range(1, len(splits)):
        earlier = np.concatenate([v for _, v in splits[:k]])
        out.append(
            _weights(
                [np.concatenate([fold[i] for fold in member_proba[:k]]) for i in range(n_members)],
                [np.concatenate([fold[i] for fold in member_over[:k]]) for i in range(n_members)],
                y.iloc[earlier],
            )
        )
    return out


def final_weights(
    member_proba: Sequence[Sequence[FloatArray]],
    member_over: Sequence[Sequence[FloatArray]],
    splits: Splits,
    y: pd.DataFrame,
) -> tuple[FloatArray, FloatArray]:
    """The pool weights :meth:`EnsembleMatchModel.fit` fits: on the members' predictions of
    every fold's validation rows (``member_proba[k][i]`` as in :func:`fold_weights`)."""
    validated = np.concatenate([val for _, val in splits])
    n_members = len(member_proba[0])
    return _weights(
        [np.concatenate([fold[i] for fold in member_proba]) for i in range(n_members)],
        [np.concatenate([fold[i] for fold in member_over]) for i in range(n_members)],
        y.iloc[validated],
    )


def pool(members: Sequence[FloatArray], weights: FloatArray, clip: bool = True) -> FloatArray:
    """The linear pool of member predictions (1X2 rows clipped and renormalised)."""
    pooled = _pool(members, weights)
    return clip_probabilities(pooled) if clip else pooled
