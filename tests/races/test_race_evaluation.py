"""The races domain's validation members on synthetic race frames: splits keep races whole,
calibration sees only earlier folds, the metrics skip undecided races, the rating reference
falls short of an informed public, and predictions are proper per race."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from race_domain import _Races
from race_frames import synthetic_frame

from formline.core.grouped import grouped_softmax
from formline.core.splits import walk_forward_splits
from formline.domain import model_type, uses_market
from formline.errors import ConfigError
from formline.races.calibration import PowerCalibration, place_probabilities
from formline.races.validation import RaceWalkForward


@pytest.fixture(scope="module")
def domain() -> _Races:
    return _Races()


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return synthetic_frame(n_races=360, seed=1)


def _splits(rows: pd.DataFrame, n_splits: int = 4) -> list:
    return walk_forward_splits(rows["start_at"].to_numpy(), n_splits=n_splits, gap=timedelta(0))


def _validated(domain: _Races, rows: pd.DataFrame, name: str, **kw) -> RaceWalkForward:
    model = domain.make_model(name, use_market=kw.pop("use_market", True))
    return domain.walk_forward(model, rows, domain.targets(rows), _splits(rows), "temperature")


def test_model_types_are_declared_with_the_default_first(domain: _Races) -> None:
    names = [t.name for t in domain.model_types]
    assert names[0] == "conditional-logit"
    assert {"rating", "conditional-logit", "benter", "ranking", "public"} == set(names)
    assert model_type(domain, "public").calibrated is False
    assert model_type(domain, "ranking").tunable
    assert model_type(domain, "benter").uses_market is True
    assert not uses_market(model_type(domain, "rating"), True)
    assert model_type(domain, "conditional-logit").can_run_without_market()
    with pytest.raises(ConfigError, match="unknown 'nope'"):
        domain.make_model("nope")


def test_a_stored_hyperparameter_set_rebuilds_the_same_model(domain: _Races) -> None:
    model = domain.make_model("conditional-logit", use_market=False, alpha=0.01)
    params = {
        k: v for k, v in model.get_params().items() if k not in ("use_market", "random_state")
    }
    again = domain.make_model("conditional-logit", use_market=False, **params)
    assert again.get_params() == model.get_params()
    assert "public_prob" not in again.feature_list()
    assert "public_prob" in domain.make_model("conditional-logit").feature_list()
    assert domain.make_model("rating", use_market=True).feature_list() == [
        "rating_mu",
        "rating_sigma",
        "band_rating_mu",
        "rating_mu_vs_field",
        "rating_mu_field_pct",
    ]


def test_walk_forward_splits_never_cut_a_race(frame: pd.DataFrame) -> None:
    # Two races start at every time: the block edges still fall between start times.
    assert frame.groupby("start_at")["race_id"].nunique().max() == 2
    splits = walk_forward_splits(frame["start_at"].to_numpy(), n_splits=5, gap=timedelta(0))
    race = frame["race_id"].to_numpy()
    for train, val in splits:
        validated = set(race[val])
        assert validated.isdisjoint(race[train])
        whole = frame.index[frame["race_id"].isin(validated)].to_numpy()
        assert np.array_equal(np.sort(whole), np.sort(val))


def test_calibration_is_fitted_on_earlier_folds_only(domain: _Races, frame: pd.DataFrame) -> None:
    result = _validated(domain, frame, "conditional-logit", use_market=False)
    second = result.fold == 2
    # Reverse the results of every race from fold 2 on: fold 2's forecasts must not move.
    later = np.sort(result.rows)
    changed = frame.copy()
    position = changed.loc[later, "finish_position"].to_numpy()
    size = changed.loc[later, "field_size"].to_numpy()
    changed.loc[later, "finish_position"] = size + 1 - position
    changed.loc[later, "won"] = (changed.loc[later, "finish_position"] == 1).astype(float)
    again = _validated(domain, changed, "conditional-logit", use_market=False)
    assert np.array_equal(result.rows, again.rows)
    np.testing.assert_allclose(again.p[second], result.p[second], rtol=0, atol=1e-12)
    np.testing.assert_allclose(again.place[second], result.place[second], rtol=0, atol=1e-12)
    assert not np.allclose(again.p[~second], result.p[~second])


def test_power_calibration_flattens_an_overconfident_forecast() -> None:
    rng = np.random.default_rng(0)
    codes = np.repeat(np.arange(3000), 8)
    score = rng.normal(size=codes.size)
    true = grouped_softmax(score, codes)
    winner = np.zeros(codes.size)
    for race in range(3000):
        rows = np.flatnonzero(codes == race)
        winner[rng.choice(rows, p=true[rows])] = 1.0
    overconfident = grouped_softmax(2.0 * score, codes)
    fitted = PowerCalibration().fit(overconfident, winner, codes)
    assert fitted.exponent_ == pytest.approx(0.5, abs=0.06)
    np.testing.assert_allclose(fitted.transform(overconfident, codes), true, atol=0.05)


def test_unknown_calibration_is_refused(domain: _Races, frame: pd.DataFrame) -> None:
    model = domain.make_model("rating")
    with pytest.raises(ConfigError, match="--calibration: races take temperature or none"):
        domain.walk_forward(model, frame, domain.targets(frame), _splits(frame), "isotonic")


def test_metrics_skip_races_without_a_winner(domain: _Races, frame: pd.DataFrame) -> None:
    result = _validated(domain, frame, "rating")
    scored = frame.iloc[result.rows].reset_index(drop=True)
    full = domain.evaluate(scored, result)
    assert full["n"] == scored["race_id"].nunique() and full["n_skipped"] == 0
    # Two races lose their results, one its winner only (a void race): both skipped, counted.
    races = scored["race_id"].unique()[:2]
    broken = scored.copy()
    broken.loc[broken["race_id"] == races[0], "won"] = np.nan
    broken.loc[broken["race_id"] == races[1], "won"] = 0.0
    metrics = domain.evaluate(broken, result)
    assert (metrics["n"], metrics["n_skipped"]) == (full["n"] - 2, 2)
    name, losses = domain.headline_loss(broken, result)
    assert name == "winner log loss" and losses.shape == (full["n"] - 2,)
    assert losses.mean() == pytest.approx(metrics["log_loss"])
    assert set(metrics["place"]) >= {"log_loss", "brier", "harville_log_loss"}
    raw = domain.evaluate_headline(scored, result, raw=True)
    assert raw["n"] == full["n"] and raw["log_loss"] != full["log_loss"]


def test_the_rating_reference_falls_short_of_an_informed_public(
    domain: _Races, frame: pd.DataFrame
) -> None:
    rating = _validated(domain, frame, "rating")
    public = _validated(domain, frame, "public")
    fundamental = _validated(domain, frame, "conditional-logit", use_market=False)
    scored = frame.iloc[rating.rows].reset_index(drop=True)
    r, p, f = (domain.evaluate(scored, x) for x in (rating, public, fundamental))
    assert p["log_loss"] < f["log_loss"] < r["log_loss"]
    assert p["pseudo_r2"] > f["pseudo_r2"] > r["pseudo_r2"] > 0.0
    # The public is never calibrated: its forecasts are the de-margined odds themselves.
    np.testing.assert_allclose(public.p, public.raw_p)
    model, market = domain.evaluate_market(scored, fundamental)
    assert model is not None and market is not None
    assert market["log_loss"] == pytest.approx(p["log_loss"])
    assert model["gap_to_market"]["log_loss"] == pytest.approx(f["log_loss"] - p["log_loss"])


def test_benter_combines_the_fundamental_model_with_the_public(domain: _Races) -> None:
    # A noisy public that misses part of what the card shows: the two stages beat it.
    frame = synthetic_frame(n_races=500, seed=4, hidden=0.5, public_noise=1.0)
    benter = _validated(domain, frame, "benter")
    public = _validated(domain, frame, "public")
    scored = frame.iloc[benter.rows].reset_index(drop=True)
    assert domain.evaluate(scored, benter)["log_loss"] < domain.evaluate(scored, public)["log_loss"]


def test_the_market_comparison_needs_priced_races(domain: _Races) -> None:
    card = synthetic_frame(n_races=120, seed=2, card_share=1.0)
    result = _validated(domain, card, "rating")
    assert domain.evaluate_market(card.iloc[result.rows], result) == (None, None)
    assert not domain.admits("market", card).any() and domain.admits("card", card).all()
    assert domain.information_needed(True) == "market"
    assert domain.information_needed(False) == "card"


def test_predict_rows_are_proper_per_race(domain: _Races, frame: pd.DataFrame) -> None:
    rows = frame[frame["start_at"] < frame["start_at"].quantile(0.8)].reset_index(drop=True)
    upcoming = frame[frame["start_at"] >= frame["start_at"].quantile(0.8)].reset_index(drop=True)
    prototype = domain.make_model("conditional-logit", use_market=False)
    result = domain.walk_forward(
        prototype, rows, domain.targets(rows), _splits(rows), "temperature"
    )
    bundle = {
        "model": prototype.fit(rows, domain.targets(rows)),
        **domain.final_calibrators(result, domain.targets(rows), "temperature"),
    }
    out = domain.predict_rows(bundle, upcoming, model_type(domain, "conditional-logit"))
    assert list(out.columns[:4]) == ["race_id", "runner_id", "p_win", "p_place"]
    sums = out.groupby("race_id")[["p_win", "p_place"]].sum()
    places = upcoming.groupby("race_id")["field_size"].first().map(lambda n: 3 if n >= 7 else 2)
    np.testing.assert_allclose(sums["p_win"], 1.0)
    np.testing.assert_allclose(sums["p_place"], places.loc[sums.index].to_numpy(), atol=1e-9)
    assert (out["p_place"] >= out["p_win"] - 1e-12).all()
    first = out["drivers"].iloc[0]
    assert len(first) == 5 and {"feature", "value", "contribution"} <= set(first[0])
    assert 0.3 < bundle["place_exponents"].gamma < 3.0  # fitted (Harville's world: about 1)


def test_benter_place_probabilities_differ_from_harville() -> None:
    codes = np.repeat(np.arange(2), [8, 5])
    p = grouped_softmax(np.linspace(2, -2, 13), codes)
    from formline.races.models import DiscountExponents

    discounted = place_probabilities(
        p, codes, np.repeat([8.0, 5.0], [8, 5]), DiscountExponents(0.81, 0.65, 1, 1, 0, 0)
    )
    harville = place_probabilities(p, codes, np.repeat([8.0, 5.0], [8, 5]), None)
    assert discounted[0] < harville[0]  # the favourite places less often under the discount
    np.testing.assert_allclose(pd.Series(harville).groupby(codes).sum(), [3.0, 2.0])


def test_the_planned_backtest_fits_equal_the_reference_path(
    domain: _Races, frame: pd.DataFrame
) -> None:
    from formline.domain import Window

    train = np.flatnonzero(frame["start_at"] < frame["start_at"].quantile(0.7))
    predict = np.flatnonzero(frame["start_at"] >= frame["start_at"].quantile(0.7))
    prototype = domain.make_model("rating")
    frames = {"train": frame, 0: frame}
    cache: dict = {}
    windows = [Window(train, [(0, predict)])]
    planned, fits = domain.predict_windows(
        prototype, frames, "train", windows, "temperature", n_splits=3, gap_days=0, fit_cache=cache
    )
    rows = frame.iloc[train].reset_index(drop=True)
    splits = walk_forward_splits(rows["start_at"].to_numpy(), n_splits=3, gap=timedelta(0))
    naive = domain.fit_calibrated(prototype, rows, splits, "temperature", frame.iloc[predict])
    np.testing.assert_allclose(planned[0][0][0], naive[0])
    np.testing.assert_allclose(planned[0][0][1], naive[1])
    assert fits == 4
    again, refits = domain.predict_windows(
        prototype, frames, "train", windows, "temperature", n_splits=3, gap_days=0, fit_cache=cache
    )
    assert refits == 0 and np.array_equal(again[0][0][0], planned[0][0][0])
    out = domain.with_predictions(frame.iloc[predict], planned[0][0]).assign(
        model="rating", lead_days=0
    )
    written = domain.backtest_output(out, csv=True)
    assert list(written.columns) == [
        "race_id",
        "start_at",
        "venue",
        "horse",
        "saddle_number",
        "finish_position",
        "p_win",
        "p_place",
        "model",
        "lead_days",
    ]
    np.testing.assert_allclose(written.groupby("race_id")["p_win"].sum(), 1.0)
    scores = domain.backtest_scores(domain.backtest_output(out))
    assert np.isfinite(scores["log_loss"]) and scores["public_log_loss"] < scores["log_loss"]
    assert np.isnan(domain.backtest_scores(out.iloc[:0])["log_loss"])


def test_the_ranking_search_space_and_fold_loss(domain: _Races, frame: pd.DataFrame) -> None:
    import optuna

    trial = optuna.trial.FixedTrial(
        {
            "objective": "softmax",
            "n_estimators": 100,
            "learning_rate": 0.05,
            "num_leaves": 7,
            "min_child_samples": 50,
            "subsample": 0.8,
            "colsample_bytree": 0.8,
            "reg_lambda": 1.0,
        }
    )
    params = domain.search_space("ranking", trial)
    model = domain.make_model("ranking", use_market=False, **params)
    half = frame["start_at"] < frame["start_at"].median()
    fitted = model.fit(frame[half], domain.targets(frame[half]))
    loss = domain.fold_loss(fitted, frame[~half], domain.targets(frame[~half]))
    uniform = np.log(frame[~half].groupby("race_id").size()).mean()
    assert loss < uniform
    with pytest.raises(ConfigError, match="has no hyperparameter search"):
        domain.search_space("rating", trial)


def test_a_plain_classifier_is_wrapped_as_a_race_model(domain: _Races, frame: pd.DataFrame) -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier

    model = domain.as_model(HistGradientBoostingClassifier(max_iter=30), use_market=False)
    fitted = model.fit(frame, domain.targets(frame))
    p = fitted.predict_proba(frame)
    np.testing.assert_allclose(pd.Series(p).groupby(frame["race_id"].to_numpy()).sum(), 1.0)


def test_calibration_none_leaves_the_forecasts_as_fitted(
    domain: _Races, frame: pd.DataFrame
) -> None:
    model = domain.make_model("rating")
    y = domain.targets(frame)
    result = domain.walk_forward(model, frame, y, _splits(frame), "none")
    np.testing.assert_array_equal(result.p, result.raw_p)
    final = domain.final_calibrators(result, y, "none")
    assert type(final["calibrator"]).__name__ == "NoCalibration"
    calibrated = domain.final_calibrators(
        domain.walk_forward(model, frame, y, _splits(frame), "temperature"), y, "temperature"
    )
    assert calibrated["calibrator"].exponent_ != 1.0
    upcoming = frame.tail(40)
    p_win, p_place = domain.fit_calibrated(model, frame.iloc[:-40], [], "none", upcoming)
    np.testing.assert_allclose(
        p_win, model.fit(frame.iloc[:-40], y.iloc[:-40]).predict_proba(upcoming)
    )
    assert (p_place >= p_win).all()


def test_a_report_needs_a_validation_frame(domain: _Races) -> None:
    from types import SimpleNamespace

    from formline.errors import DataError

    version = SimpleNamespace(id=7, label="rating v1", n_validation=0)
    with pytest.raises(DataError, match="has no validation frame"):
        domain.report(None, version, {"validation": None})
