"""The LightGBM ranking model: per-race probabilities, determinism, the calibration split, and
ranking skill on a synthetic world."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from synthetic_races import FEATURES, World, make_world

from formline.errors import InvalidParameterError, NotFittedError
from formline.races.models import RankingModel, winner_log_loss

SMALL = {"n_estimators": 60, "learning_rate": 0.1, "min_child_samples": 40}


@pytest.fixture(scope="module")
def world() -> World:
    return make_world(n_races=1200, seed=7)


def _split(world: World) -> tuple[pd.DataFrame, pd.DataFrame]:
    runners = world.runners
    train = runners["race_id"] < 1000 + 900
    return runners[train], runners[~train]


@pytest.mark.parametrize("objective", ["softmax", "lambdarank"])
def test_calibrated_probabilities_beat_the_uniform_forecast(world: World, objective: str) -> None:
    train, test = _split(world)
    model = RankingModel(features=FEATURES, objective=objective, **SMALL).fit(
        train, train["won"], groups=train["race_id"]
    )
    g, y = test["race_id"], test["won"]
    p = model.predict_proba(test, groups=g)
    np.testing.assert_allclose(pd.Series(p).groupby(g.to_numpy()).sum(), 1.0, atol=1e-12)
    uniform = 1.0 / test.groupby("race_id")["race_id"].transform("size").to_numpy()
    truth = world.p_true[~world.runners["race_id"].lt(1900).to_numpy()]
    # The trees get a good part of the way from uniform to the true model.
    loss = winner_log_loss(p, y, groups=g)
    best, worst = winner_log_loss(truth, y, groups=g), winner_log_loss(uniform, y, groups=g)
    assert loss < worst - 0.5 * (worst - best)
    assert model.calibration_coef_ > 0.0
    assert model.n_races_trees_ + model.n_races_calibration_ == 900


def test_the_fit_is_deterministic_and_seeded(world: World) -> None:
    train, test = _split(world)
    fit = lambda seed: RankingModel(features=FEATURES, random_state=seed, **SMALL).fit(  # noqa: E731
        train, train["won"], groups=train["race_id"]
    )
    a, b, c = fit(3), fit(3), fit(4)
    np.testing.assert_array_equal(a.decision_function(test), b.decision_function(test))
    assert not np.array_equal(a.decision_function(test), c.decision_function(test))


def test_the_trees_never_see_the_calibration_races(world: World) -> None:
    train, test = _split(world)
    model = RankingModel(features=FEATURES, **SMALL).fit(
        train, train["won"], groups=train["race_id"]
    )
    changed = train.copy()
    late = changed["race_id"] >= changed["race_id"].min() + model.n_races_trees_
    changed.loc[late, FEATURES] = np.random.default_rng(1).normal(size=(int(late.sum()), 3))
    other = RankingModel(features=FEATURES, **SMALL).fit(
        changed, changed["won"], groups=changed["race_id"]
    )
    np.testing.assert_array_equal(model.decision_function(test), other.decision_function(test))
    assert model.calibration_coef_ != other.calibration_coef_


def test_bad_settings_are_refused(world: World) -> None:
    train, _ = _split(world)
    with pytest.raises(InvalidParameterError, match="objective"):
        RankingModel(features=FEATURES, objective="xendcg").fit(  # type: ignore[arg-type]
            train, train["won"], groups=train["race_id"]
        )
    with pytest.raises(NotFittedError):
        RankingModel().predict_proba(train, groups=train["race_id"])
