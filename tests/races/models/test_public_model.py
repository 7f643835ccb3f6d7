"""The public model: the take removed race by race, by normalisation or a Shin-like method."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from synthetic_races import make_world

from formline.core.grouped import grouped_implied_probabilities
from formline.errors import DataError, InvalidParameterError, NotFittedError
from formline.races.models import PublicModel, public_probabilities

ODDS = pd.DataFrame({"win_odds": [2.0, 4.0, 5.0, 1.5, 3.0], "race": [1, 1, 1, 2, 2]})


def test_hand_checked_normalisation() -> None:
    model = PublicModel().fit(ODDS, groups=ODDS["race"])
    q = model.predict_proba(ODDS, groups=ODDS["race"])
    inverse = np.array([0.5, 0.25, 0.2, 1 / 1.5, 1 / 3])
    expected = inverse / np.array([0.95, 0.95, 0.95, 1.0, 1.0])
    np.testing.assert_allclose(q, expected)
    assert model.n_races_ == 2
    assert model.mean_overround_ == pytest.approx((-0.05 + 0.0) / 2)


def test_shin_is_the_core_method_and_moves_probability_to_the_favourite() -> None:
    world = make_world(n_races=200, seed=0)
    r, g = world.runners, world.groups
    shin = PublicModel(method="shin").fit(r, groups=g).predict_proba(r, groups=g)
    plain = PublicModel().fit(r, groups=g).predict_proba(r, groups=g)
    np.testing.assert_allclose(shin, grouped_implied_probabilities(r["win_odds"], g, "shin"))
    np.testing.assert_allclose(pd.Series(shin).groupby(g).sum(), 1.0, atol=1e-12)
    favourite = r.groupby("race_id")["win_odds"].transform("min").to_numpy() == r["win_odds"]
    assert np.mean(shin[favourite] > plain[favourite]) > 0.9


def test_a_race_the_method_cannot_price_falls_back_to_normalisation() -> None:
    odds = np.array([1.0, 8.0, 12.0, 1.8, 2.8, 5.0])  # race 1 has a tote price of exactly 1.0
    groups = np.array([1, 1, 1, 2, 2, 2])
    shin = public_probabilities(odds, groups=groups, method="shin")
    plain = public_probabilities(odds, groups=groups)
    np.testing.assert_allclose(shin[:3], plain[:3])
    assert not np.allclose(shin[3:], plain[3:])


def test_the_synthetic_take_is_measured() -> None:
    world = make_world(n_races=300, seed=1)
    model = PublicModel().fit(world.runners, groups=world.groups)
    assert model.mean_overround_ == pytest.approx(0.18, abs=0.03)


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(NotFittedError):
        PublicModel().predict_proba(ODDS, groups=ODDS["race"])
    with pytest.raises(DataError, match="no 'odds' column"):
        PublicModel(odds_column="odds").fit(ODDS, groups=ODDS["race"])
    with pytest.raises(DataError, match="positive"):
        public_probabilities([2.0, np.nan], groups=[1, 1])
    with pytest.raises(InvalidParameterError, match="unknown method"):
        public_probabilities([2.0, 3.0], groups=[1, 1], method="best")  # type: ignore[arg-type]
