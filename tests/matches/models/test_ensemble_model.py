"""The ensemble match model: pooled members, out-of-fold weights, walk-forward without nesting."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from formline.core.splits import walk_forward_splits
from formline.matches.models.ensemble import EnsembleMatchModel, pooled_fold_predictions
from formline.matches.models.validation import walk_forward_predictions

FEATURES = ["elo_diff", "elo_home_expected"]


class _Subset(EnsembleMatchModel):
    """The ensemble on two cheap members that read the two Elo features only."""

    def member_prototypes(self) -> list[object]:
        from formline.matches.models.feature_models import LogisticMatchModel
        from formline.matches.models.goals_model import GoalsMatchModel

        return [
            LogisticMatchModel(features=FEATURES, C=1.0),
            GoalsMatchModel(features=FEATURES, alpha=0.01),
        ]


def _world(n: int = 1500, seed: int = 4) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    diff = rng.normal(0, 150, n)
    X = pd.DataFrame(
        {
            "kickoff_at": [datetime(2020, 8, 1) + timedelta(hours=12 * i) for i in range(n)],
            "elo_diff": diff,
            "elo_home_expected": 1 / (1 + 10 ** (-(diff + 65) / 400)),
        }
    )
    y = pd.DataFrame(
        {
            "home_goals": rng.poisson(np.exp(0.3 + diff / 400)),
            "away_goals": rng.poisson(np.exp(0.05 - diff / 400)),
        }
    )
    return X, y


def test_pools_its_members_with_simplex_weights() -> None:
    X, y = _world()
    model = _Subset(members=("logistic", "goals")).fit(X, y)
    assert model.weights_.sum() == pytest.approx(1.0)
    assert (model.weights_ >= 0).all()
    pairs = list(zip(model.weights_, model.members_, strict=True))
    pooled = sum(w * m.predict_proba(X) for w, m in pairs)
    np.testing.assert_allclose(model.predict_proba(X), pooled, atol=1e-6)
    assert model.feature_names_ == FEATURES


def test_explain_is_the_weighted_sum_of_the_members_contributions() -> None:
    X, y = _world()
    model = _Subset(members=("logistic", "goals")).fit(X, y)
    got = model.explain(X.iloc[:20])
    pairs = list(zip(model.weights_, model.members_, strict=True))
    want = sum(w * m.explain(X.iloc[:20]) for w, m in pairs)
    assert got is not None
    np.testing.assert_allclose(got, want)


def test_a_folds_pooled_predictions_never_see_that_folds_results() -> None:
    X, y = _world()
    splits = walk_forward_splits(X["kickoff_at"].to_numpy(), n_splits=3, gap=timedelta(days=1))
    prototype = _Subset(members=("logistic", "goals"))
    proba, over, _ = pooled_fold_predictions(prototype, X, y, splits)
    last = splits[-1][1]
    changed = y.copy()
    changed.iloc[last] = changed.iloc[last][["away_goals", "home_goals"]].to_numpy()
    proba_changed, _, _ = pooled_fold_predictions(prototype, X, changed, splits)
    np.testing.assert_array_equal(proba[-1], proba_changed[-1])
    # Positive control: an earlier fold's results do reach the last fold's predictions.
    first = splits[0][1]
    earlier = y.copy()
    earlier.iloc[first] = earlier.iloc[first][["away_goals", "home_goals"]].to_numpy()
    proba_earlier, _, _ = pooled_fold_predictions(prototype, X, earlier, splits)
    assert not np.allclose(proba[-1], proba_earlier[-1])
    assert [len(p) for p in proba] == [len(v) for _, v in splits]
    assert all(((o > 0) & (o < 1)).all() for o in over)


def test_walk_forward_validation_of_an_ensemble_fits_each_member_once_per_fold(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    X, y = _world()
    splits = walk_forward_splits(X["kickoff_at"].to_numpy(), n_splits=3, gap=timedelta(days=1))
    fits: list[int] = []
    from formline.matches.models import goals_model

    original = goals_model.GoalsMatchModel.fit

    def counting_fit(self: object, X: pd.DataFrame, y: pd.DataFrame) -> object:
        fits.append(len(X))
        return original(self, X, y)

    monkeypatch.setattr(goals_model.GoalsMatchModel, "fit", counting_fit)
    result = walk_forward_predictions(_Subset(members=("logistic", "goals")), X, y, splits)
    assert len(fits) == len(splits)
    np.testing.assert_allclose(result.proba.sum(axis=1), 1.0, atol=1e-9)
    assert len(result.rows) == sum(len(v) for _, v in splits[1:])
