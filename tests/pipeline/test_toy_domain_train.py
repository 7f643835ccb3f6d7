"""The shared training step is generic: a toy domain with one binary market trains, validates,
registers and promotes through ``train_model`` and ``validate`` with none of football's columns.

The toy's frames hold no ``home_goals``, ``kickoff_at`` or ``match_id``: a shared step that
named one would raise a KeyError here.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from numpy.typing import NDArray
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from formline.core.metrics import log_loss
from formline.domain import (
    Domain,
    EventFrame,
    Market,
    ModelType,
    get_domain,
    register_domain,
    unregister_domain,
)
from formline.pipeline.train import (
    TrainConfig,
    TrainingData,
    load_model_bundle,
    train_model,
    training_window,
    validate,
)
from formline.store import registry
from formline.store.db import Store, open_store
from support import unimplemented_methods

AS_OF = datetime(2025, 1, 1)
N_EVENTS = 600


class _OutOfFold:
    """The toy's out-of-fold predictions: P(heads) per scored row."""

    def __init__(self, rows: NDArray[np.int64], fold: NDArray[np.int64], p: NDArray[np.float64]):
        self.rows, self.fold, self.p = rows, fold, p


def _binary_log_loss(y: NDArray[np.int64], p: NDArray[np.float64]) -> NDArray[np.float64]:
    p = np.clip(p, 1e-12, 1 - 1e-12)
    out: NDArray[np.float64] = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    return out


@unimplemented_methods
class Coins:
    """Coin flips whose bias follows a feature ``x``: a domain of one binary market."""

    name = "coins_test"
    event_noun = "flip"
    unit_noun = None
    unit_key = None
    event_key = "flip_id"
    start_column = "flipped_at"
    markets = (Market("heads", "the coin lands heads", selections=("yes", "no")),)
    model_types = (
        ModelType("logit", "logistic regression on x"),
        ModelType("base", "the base rate (the reference)", uses_market=False),
    )
    information_states = ("all",)
    reference_model = "base"
    market_reference = None
    validation_leads = ()
    sources = ()
    api_routers = ()
    api_cache = None
    scope_column = "table"
    target_columns = ("heads",)
    cli_commands = ()
    season_simulation = None

    def register_tables(self) -> None:
        return None

    def feature_set(self) -> Any:
        raise NotImplementedError

    def load_frame(self, store: Any, as_of: datetime, queries: Any = None) -> EventFrame:
        rng = np.random.default_rng(7)
        hours = 6 * (N_EVENTS - np.arange(N_EVENTS))
        x = rng.normal(size=N_EVENTS)
        heads = (rng.random(N_EVENTS) < 1 / (1 + np.exp(-1.5 * x))).astype(int)
        frame = pd.DataFrame(
            {
                "flip_id": np.arange(1, N_EVENTS + 1),
                "flipped_at": [AS_OF - timedelta(hours=int(h)) for h in hours],
                "finished": True,
                "x": x,
                "heads": heads,
            }
        )
        return EventFrame(frame, as_of, "coins-v1", ["x"])

    def make_model(self, model_type: str, *, use_market: bool = True, **params: Any) -> Any:
        # The pipeline's own parameters (a champion's, as the registry keeps them) are not C.
        c = float(params.get("C", 1.0))
        head = LogisticRegression(C=c) if model_type == "logit" else DummyClassifier()
        pick = ColumnTransformer([("x", "passthrough", ["x"])])
        return Pipeline([("pick", pick), ("head", head)])

    def as_model(self, estimator: Any, *, use_market: bool = True) -> Any:
        raise NotImplementedError

    def model_features(self, model: Any) -> list[str]:
        return ["x"]

    def information_needed(self, reads_prices: bool) -> str:
        return "all"

    def prediction_rows(self, predictions: Any) -> Any:
        raise NotImplementedError

    def read_snapshot(self, store: Any, snapshot_id: int) -> Any:
        raise NotImplementedError

    def targets(self, rows: pd.DataFrame) -> pd.Series:
        return rows["heads"]

    def walk_forward(
        self,
        prototype: Any,
        rows: pd.DataFrame,
        y: Any,
        splits: list[Any],
        calibration: str,
        extra: Any = None,
    ) -> _OutOfFold:
        # Uncalibrated: fold 1 is left out of the scores as the shared contract has it.
        picked, folds, p = [], [], []
        for k, (train, val) in enumerate(splits[1:], start=2):
            model = clone(prototype).fit(rows.iloc[train], y.iloc[train])
            picked.append(np.asarray(val, dtype=np.int64))
            folds.append(np.full(len(val), k, dtype=np.int64))
            p.append(model.predict_proba(rows.iloc[val])[:, 1])
        return _OutOfFold(np.concatenate(picked), np.concatenate(folds), np.concatenate(p))

    def final_calibrators(self, result: Any, y: Any, calibration: str) -> dict[str, Any]:
        return {"calibrator": None}

    def evaluate_headline(self, rows: pd.DataFrame, result: Any, **kwargs: Any) -> dict[str, Any]:
        y = rows["heads"].to_numpy()
        return {"log_loss": float(_binary_log_loss(y, result.p).mean()), "n": len(y)}

    def evaluate(self, rows: pd.DataFrame, result: Any) -> dict[str, Any]:
        return self.evaluate_headline(rows, result)

    def evaluate_market(self, rows: pd.DataFrame, result: Any) -> tuple[None, None]:
        return None, None

    def headline_loss(self, rows: pd.DataFrame, result: Any) -> tuple[str, NDArray[np.float64]]:
        return "log loss", _binary_log_loss(rows["heads"].to_numpy(), result.p)

    def admits(self, information: str, frame: pd.DataFrame) -> NDArray[np.bool_]:
        return np.ones(len(frame), dtype=bool)

    def validation_frame(self, rows: pd.DataFrame, result: Any, reference: Any) -> pd.DataFrame:
        frame = rows.iloc[result.rows][["flip_id", "flipped_at", "heads"]].reset_index(drop=True)
        return frame.assign(fold=result.fold, p_heads=result.p, base_p_heads=reference.p)

    def fit_calibrated(self, *args: Any) -> Any:
        raise NotImplementedError

    def predict_windows(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def with_predictions(self, rows: pd.DataFrame, predictions: Any) -> pd.DataFrame:
        raise NotImplementedError

    def backtest_output(self, frame: pd.DataFrame, *, csv: bool = False) -> pd.DataFrame:
        raise NotImplementedError

    def backtest_scores(self, frame: pd.DataFrame) -> dict[str, float]:
        raise NotImplementedError

    def search_space(self, model_type: str, trial: Any) -> dict[str, Any]:
        raise NotImplementedError

    def fold_loss(self, model: Any, rows: pd.DataFrame, y: Any) -> float:
        return log_loss(y.to_numpy(), model.predict_proba(rows))

    def report(self, store: Any, version: Any, bundle: dict[str, Any]) -> Any:
        raise NotImplementedError


@pytest.fixture
def coins() -> Iterator[Domain]:
    register_domain("coins_test", Coins)
    yield get_domain("coins_test")
    unregister_domain("coins_test")


@pytest.fixture
def sqlite_store(sqlite_url: str) -> Iterator[Store]:
    opened = open_store(sqlite_url, migrate=False)
    opened.migrate()
    try:
        yield opened
    finally:
        opened.dispose()


def _config(**kwargs: Any) -> TrainConfig:
    return TrainConfig(
        as_of=AS_OF, domain="coins_test", n_boot=500, validation_leads=(), gap_days=0, **kwargs
    )


def test_a_toy_domain_trains_registers_and_is_promoted(
    coins: Domain, sqlite_store: Store, tmp_path: Path
) -> None:
    assert isinstance(coins, Domain)
    result = train_model(sqlite_store, _config(model_type="logit"), tmp_path / "models")

    version = result.version
    assert (version.domain, version.name, version.information) == ("coins_test", "logit", "all")
    assert version.status == "deployed"
    # Beats the base rate on an informative feature, compared by the domain's headline loss.
    assert result.reason.startswith("beats the base reference: log loss ")
    assert f"on {version.n_validation} flips" in result.reason
    assert result.metrics["log_loss"] < result.metrics["base_reference"]["log_loss"]
    assert result.metrics["by_lead"]["0-1d"]["log_loss"] == result.metrics["log_loss"]
    assert result.metrics["by_lead"]["0-1d"]["share"] == 1.0
    assert result.market_metrics is None and "on_market_flips" not in result.metrics
    assert version.validation is not None
    assert len(version.validation["flip_ids"]) == version.n_validation
    assert version.window_end.replace(tzinfo=None) < AS_OF
    # The features come from the domain's declaration, in the registry and in the bundle.
    assert version.feature_names == ["x"]
    bundle = load_model_bundle(version)
    assert bundle["feature_names"] == ["x"]
    assert list(bundle["validation"].columns[:3]) == ["flip_id", "flipped_at", "heads"]
    assert bundle["calibrator"] is None


def test_the_second_model_is_compared_with_the_champion(
    coins: Domain, sqlite_store: Store, tmp_path: Path
) -> None:
    train_model(sqlite_store, _config(model_type="logit"), tmp_path / "models")
    config = _config(model_type="logit", random_state=1)
    again = train_model(sqlite_store, config, tmp_path / "models")

    # The same procedure refitted on the same folds ties with the champion: kept.
    assert again.decision == "kept"
    assert again.reason.startswith("does not beat champion logit v1 of coins_test/*/all: ")
    assert "difference +0.0000" in again.reason
    champions = registry.deployed_models(sqlite_store, "coins_test")
    assert [(m.name, m.version) for m in champions] == [("logit", 1)]


def test_validate_scores_the_toy_beside_its_reference(coins: Domain, sqlite_store: Store) -> None:
    config = _config(model_type="logit")
    data = TrainingData(sqlite_store, AS_OF, (), coins)
    rows, splits = training_window(data.match_frame, AS_OF, config, "all")
    prototype = coins.make_model("logit")

    validated = validate(prototype, rows, splits, config, "all", data.lead_frames(rows))

    assert len(validated.frame) == len(validated.result.rows) == validated.metrics["n"]
    assert validated.frame["fold"].min() == 2
    expected = _binary_log_loss(validated.frame["heads"].to_numpy(), validated.frame["p_heads"])
    assert validated.metrics["log_loss"] == pytest.approx(expected.mean())
    assert validated.metrics["raw"]["log_loss"] == validated.metrics["log_loss"]
