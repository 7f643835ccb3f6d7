"""End to end through the shared pipeline: a test-only races domain over the demo world (its
runners through the feature builder) trains, validates, registers, promotes, reports and
backtests with :class:`~formline.races.evaluation.RaceEvaluation`'s members."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from race_domain import _Races
from race_frames import NOW

from formline.domain import Domain, get_domain, register_domain, unregister_domain
from formline.pipeline.backtest import backtest_summary, run_backtest
from formline.pipeline.report import write_report
from formline.pipeline.train import TrainConfig, TrainingData, load_model_bundle, train_model
from formline.store.db import Store, open_store


@pytest.fixture
def races() -> Iterator[Domain]:
    register_domain("races_test", _Races)
    yield get_domain("races_test")
    unregister_domain("races_test")


@pytest.fixture
def sqlite_store(sqlite_url: str) -> Iterator[Store]:
    opened = open_store(sqlite_url, migrate=False)
    opened.migrate()
    try:
        yield opened
    finally:
        opened.dispose()


def _config(**kwargs: Any) -> TrainConfig:
    # No validation leads: this test domain does not answer per-query cutoffs (load_frame).
    return TrainConfig(
        as_of=NOW, domain="races_test", n_boot=500, validation_leads=(), gap_days=0, **kwargs
    )


def test_races_train_promote_report_and_backtest(
    races: Domain, sqlite_store: Store, tmp_path: Path
) -> None:
    data = TrainingData(sqlite_store, NOW, (), races)
    models = tmp_path / "models"
    public = train_model(sqlite_store, _config(model_type="public"), models, data)
    version = public.version
    assert (version.domain, version.information, version.name) == ("races_test", "market", "public")
    # The demo public is informed: it beats the rating reference on the same races.
    assert public.decision == "deployed", public.reason
    assert public.reason.startswith("beats the rating reference: winner log loss ")
    n_races = public.metrics["n"]
    assert f"on {n_races} races" in public.reason
    assert public.metrics["log_loss"] < public.metrics["rating_reference"]["log_loss"]
    assert public.market_metrics is not None
    assert public.market_metrics["log_loss"] == pytest.approx(public.metrics["log_loss"])

    fundamental = train_model(
        sqlite_store, _config(model_type="conditional-logit", use_market=False), models, data
    )
    assert fundamental.version.information == "card"
    assert fundamental.metrics["n"] > n_races  # card models are validated on every race
    # Its own slot (card) has no champion yet: it is compared with the reference.
    assert "the rating reference" in fundamental.reason

    with_market = train_model(sqlite_store, _config(model_type="conditional-logit"), models, data)
    assert with_market.version.information == "market"
    assert "champion public v1 of races_test/*/market" in with_market.reason

    bundle = load_model_bundle(with_market.version)
    validation = bundle["validation"]
    assert list(validation.columns[:2]) == ["race_id", "runner_id"]
    assert len(validation) == with_market.version.n_validation
    np.testing.assert_allclose(validation.groupby("race_id")["p_win"].sum(), 1.0)
    assert {"rating_p_win", "raw_p_win", "p_place", "harville_p_place"} <= set(validation.columns)
    assert bundle["calibrator"].exponent_ > 0 and bundle["place_exponents"].gamma > 0

    out = write_report(sqlite_store, with_market.version.id, tmp_path / "report.html")
    html = out.read_text()
    for heading in ("races validated", "runners validated", "pseudo-R²", "Calibration"):
        assert heading in html
    assert "Against the public" in html and "Place probabilities" in html
    assert "Value rule at the final odds" in html and "every priced runner" in html

    config = _config(model_type="conditional-logit", use_market=False)
    result = run_backtest(
        sqlite_store,
        datetime(2025, 4, 1),
        datetime(2025, 6, 1),
        config,
        refit="month",
        match_frame=data.match_frame,
    )
    frame = result.frame
    assert result.refits == 2 and len(frame) > 0
    np.testing.assert_allclose(frame.groupby("race_id")["p_win"].sum(), 1.0)
    summary = backtest_summary(result)
    overall = summary[summary["season"] == "all"].iloc[0]
    assert overall["predicted"] == len(frame)
    assert np.isfinite(overall["log_loss"]) and np.isfinite(overall["public_log_loss"])
