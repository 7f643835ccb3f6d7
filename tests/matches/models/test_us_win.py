"""US win-probability models: the estimator contract, C chosen on earlier seasons only, and a
small synthetic walk-forward in which the logistic recovers a known signal."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from estimator_contract import CHECKS, Case
from formline.errors import NotFittedError
from formline.matches.models.us_win import ProbabilityColumn, SeasonalLogit, walk_forward


def _world(
    n_seasons: int = 6, per_season: int = 300, seed: int = 0
) -> tuple[pd.DataFrame, pd.Series]:
    """Games whose home win depends on ``signal`` (logit 1.2 * signal + 0.3) and not on
    ``noise``; ``p_true`` is the true probability."""
    rng = np.random.default_rng(seed)
    n = n_seasons * per_season
    signal = rng.normal(size=n)
    noise = rng.normal(size=n)
    p = 1 / (1 + np.exp(-(1.2 * signal + 0.3)))
    frame = pd.DataFrame(
        {
            "season": np.repeat([f"{2010 + s}" for s in range(n_seasons)], per_season),
            "signal": signal,
            "noise": noise,
            "p_true": p,
        }
    )
    frame.loc[::17, "noise"] = np.nan  # missing values take the training median
    y = pd.Series((rng.random(n) < p).astype(float), index=frame.index)
    return frame, y


def _fit(model: object) -> object:
    frame, y = _world(3, 80)
    return model.fit(frame, y.astype(int).to_numpy())  # type: ignore[attr-defined]


CASES = {
    "seasonal_logit": Case(
        make=lambda: SeasonalLogit(("signal", "noise"), Cs=(0.01, 1.0)),
        fit=_fit,
        ask=lambda m: [m.predict_proba(_world(3, 80)[0])],
    ),
    "probability_column": Case(
        make=lambda: ProbabilityColumn("p_true"),
        fit=_fit,
        ask=lambda m: [m.predict_proba(_world(3, 80)[0])],
    ),
}


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("name", list(CASES))
def test_estimator_contract(name: str, check) -> None:  # type: ignore[no-untyped-def]
    check(CASES[name])


def test_c_is_chosen_on_the_training_seasons_and_probabilities_are_proper() -> None:
    frame, y = _world(4, 200)
    model = SeasonalLogit(("signal", "noise"), Cs=(1e-4, 1.0), validation_seasons=2)
    model.fit(frame, y.astype(int).to_numpy())
    assert set(model.validation_loss_) == {1e-4, 1.0}
    assert model.C_ == 1.0  # C 1e-4 shrinks the real signal to nothing
    p = model.predict_proba(frame)
    assert p.shape == (len(frame), 2) and np.allclose(p.sum(axis=1), 1.0)
    assert list(model.classes_) == [0, 1]


def test_unfitted_and_bad_input_errors() -> None:
    with pytest.raises(NotFittedError):
        SeasonalLogit(("signal",)).predict_proba(_world(1, 10)[0])
    frame, y = _world(2, 30)
    with pytest.raises(ValueError, match="features is empty"):
        SeasonalLogit().fit(frame, y.astype(int))
    with pytest.raises(ValueError, match="missing feature columns"):
        SeasonalLogit(("nope",)).fit(frame, y.astype(int))
    with pytest.raises(ValueError, match="0 \\(no home win\\) or 1"):
        SeasonalLogit(("signal",)).fit(frame, y * 2)
    with pytest.raises(ValueError, match="no column"):
        ProbabilityColumn("nope").fit(frame, y.astype(int))


def test_walk_forward_predicts_each_season_from_earlier_ones_and_beats_a_coin() -> None:
    frame, y = _world(6, 300)
    y.iloc[5] = np.nan  # a tie: predicted, never trained on
    fitted: dict[str, object] = {}
    tests = ["2013", "2014", "2015"]
    p = walk_forward(
        frame,
        y,
        lambda: SeasonalLogit(("signal", "noise"), Cs=(0.01, 1.0)),
        tests,
        train_seasons=2,
        fitted=fitted,
    )
    assert list(fitted) == tests
    assert set(frame.loc[p.index, "season"]) == set(tests)
    hit = y[p.index].notna()
    brier = float(np.mean((p[hit] - y[p.index][hit]) ** 2))
    truth = float(np.mean((frame.loc[p.index, "p_true"][hit] - y[p.index][hit]) ** 2))
    assert brier < 0.25 - 0.03 and brier < truth + 0.01
    # A model trained on a season's own rows would be told its answers: the 2013 model saw
    # 2011 and 2012 only (two training seasons), so changing 2013's outcomes changes nothing.
    shuffled = y.copy()
    shuffled[frame["season"] == "2013"] = 1 - shuffled[frame["season"] == "2013"]
    again = walk_forward(
        frame, shuffled, lambda: SeasonalLogit(("signal", "noise"), Cs=(0.01, 1.0)), ["2013"],
        train_seasons=2,
    )  # fmt: skip
    pd.testing.assert_series_equal(again, p[frame.loc[p.index, "season"] == "2013"])
