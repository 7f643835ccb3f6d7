"""Benter's two-stage model: the split by start time, no odds in stage 1, stage-2 weights, and
the combination beating both the public and the fundamental model out of sample."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from synthetic_races import FEATURES, World, make_world

from formline.errors import DataError, InvalidParameterError, NotFittedError
from formline.races.models import BenterModel, PublicModel, paired_bootstrap, winner_log_loss


@pytest.fixture(scope="module")
def world() -> World:
    # The public knows a hidden factor the features lack, but its odds are noisy.
    return make_world(n_races=3000, seed=2, hidden=1.0, public_noise=0.6)


def _split(world: World) -> tuple[pd.DataFrame, pd.DataFrame]:
    runners = world.runners
    train = runners["race_id"] < 1000 + 2000
    return runners[train], runners[~train]


def test_stage_two_is_fitted_on_races_after_stage_one(world: World) -> None:
    train, _ = _split(world)
    model = BenterModel(features=FEATURES, stage2_fraction=0.3).fit(
        train, train["won"], groups=train["race_id"]
    )
    assert (model.n_races_stage1_, model.n_races_stage2_) == (1400, 600)
    early = train[train["start_at"] < model.split_at_]
    assert early["race_id"].nunique() == 1400
    # Stage 1 is the fundamental model of the early races alone, fitted on them alone.
    alone = model.stage1_.__class__(**model.stage1_.get_params()).fit(
        early[FEATURES], early["won"], groups=early["race_id"]
    )
    np.testing.assert_array_equal(model.stage1_.coef_, alone.coef_)


def test_races_sharing_a_start_time_stay_on_one_side_of_the_split(world: World) -> None:
    train, _ = _split(world)
    same_day = train.assign(start_at=train["start_at"].dt.floor("D"))  # 24 races a day
    model = BenterModel(features=FEATURES, stage2_fraction=0.3).fit(
        same_day, same_day["won"], groups=same_day["race_id"]
    )
    early = same_day["start_at"] < model.split_at_
    assert same_day.loc[early, "start_at"].max() < same_day.loc[~early, "start_at"].min()
    assert model.n_races_stage1_ == same_day.loc[early, "race_id"].nunique()
    assert model.n_races_stage1_ % 24 == 0 and 1400 <= model.n_races_stage1_ < 1424


def test_stage_one_never_sees_the_odds_or_the_later_races(world: World) -> None:
    train, _ = _split(world)
    model = BenterModel(features=FEATURES).fit(train, train["won"], groups=train["race_id"])
    changed = train.copy()
    late = changed["start_at"] >= model.split_at_
    changed["win_odds"] = np.random.default_rng(0).uniform(1.5, 50.0, len(changed))
    changed.loc[late, FEATURES] = 0.0
    other = BenterModel(features=FEATURES).fit(changed, changed["won"], groups=changed["race_id"])
    np.testing.assert_array_equal(model.stage1_.coef_, other.stage1_.coef_)
    assert not np.allclose(model.stage2_coef_, other.stage2_coef_)


def test_the_combination_beats_the_public_and_the_fundamental_model(world: World) -> None:
    train, test = _split(world)
    model = BenterModel(features=FEATURES).fit(train, train["won"], groups=train["race_id"])
    weight_fundamental, weight_public = model.stage2_coef_
    assert weight_fundamental > 0.1 and weight_public > 0.3
    g, y = test["race_id"], test["won"]
    combined = model.predict_proba(test, groups=g)
    np.testing.assert_allclose(pd.Series(combined).groupby(g.to_numpy()).sum(), 1.0, atol=1e-12)
    public = PublicModel().fit(train, groups=train["race_id"]).predict_proba(test, groups=g)
    fundamental = model.predict_fundamental_proba(test, groups=g)
    assert winner_log_loss(combined, y, groups=g) < winner_log_loss(public, y, groups=g)
    assert winner_log_loss(combined, y, groups=g) < winner_log_loss(fundamental, y, groups=g)
    gain = paired_bootstrap(combined, public, y, groups=g, n_resamples=500)
    assert gain.difference_low > 0.0


def test_a_public_that_knows_everything_takes_all_the_weight() -> None:
    world = make_world(n_races=2000, seed=5, hidden=1.5, public_noise=0.01)
    r = world.runners
    model = BenterModel(features=FEATURES).fit(r, r["won"], groups=r["race_id"])
    weight_fundamental, weight_public = model.stage2_coef_
    assert abs(weight_fundamental) < 0.15 < 0.8 < weight_public


def test_default_features_leave_out_the_odds_and_the_time(world: World) -> None:
    train, _ = _split(world)
    X = train.drop(columns=["won", "race_id"])
    model = BenterModel().fit(X, train["won"], groups=train["race_id"])
    assert model.features_ == FEATURES


def test_bad_settings_are_refused(world: World) -> None:
    train, _ = _split(world)
    y, g = train["won"], train["race_id"]
    with pytest.raises(InvalidParameterError, match="no odds"):
        BenterModel(features=[*FEATURES, "win_odds"]).fit(train, y, groups=g)
    with pytest.raises(InvalidParameterError, match="stage2_fraction"):
        BenterModel(features=FEATURES, stage2_fraction=1.0).fit(train, y, groups=g)
    with pytest.raises(DataError, match="start_at"):
        BenterModel(features=FEATURES).fit(train.drop(columns=["start_at"]), y, groups=g)
    with pytest.raises(NotFittedError):
        BenterModel().predict_proba(train, groups=g)
