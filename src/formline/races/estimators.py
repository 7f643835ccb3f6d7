"""The race model types as estimators of the runner frame: ``fit(rows, targets)`` and
``predict_proba(rows)`` on the domain's frames, over the race models of
:mod:`formline.races.models` (which take the races as ``groups=``).

The shared pipeline fits models as ``model.fit(X, y)`` with ``X`` the runner rows and ``y``
what :func:`formline.races.scoring.targets` returns; each estimator here reads the race of each
row from ``race_id`` and the winners from ``won`` (a race without a winner is left out of the
fit). ``predict_proba`` returns one win probability per row, summing to 1 within each race.
Each estimator's ``__init__`` parameters are its hyperparameters plus the pipeline's
``use_market`` and ``random_state``, so a registry row's hyperparameters rebuild it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, clone

from formline.core.grouped import grouped_demean, grouped_softmax
from formline.errors import ConfigError, DataError, NotFittedError
from formline.races.models import BenterModel, ConditionalLogit, RankingModel
from formline.races.models._inputs import race_codes, race_sum

FloatArray = NDArray[np.float64]
#: The column naming each row's race, and the market columns of the runner frame.
RACE_KEY = "race_id"
START = "start_at"
ODDS = "win_odds"
PUBLIC = "public_win_probability"


def registry_features(group: str | None = None, *, market: bool | None = False) -> list[str]:
    """The racing registry's feature names: of ``group`` only if given; ``market`` False
    leaves the market features out, True keeps only them, None keeps every feature."""
    from formline.races.features.registry import race_feature_set

    return [
        s.name
        for s in race_feature_set().specs
        if (group is None or s.group == group) and (market is None or s.uses_market == market)
    ]


def race_groups(X: pd.DataFrame) -> NDArray[Any]:
    """Each row's race id."""
    if RACE_KEY not in X.columns:
        raise DataError(f"the runner rows have no {RACE_KEY!r} column")
    return X[RACE_KEY].to_numpy()


def winners(y: Any) -> FloatArray:
    """1.0 for a winner, 0.0 otherwise (a missing result counts as no win): from the targets
    frame's ``won`` column or a series of it."""
    won = y["won"] if isinstance(y, pd.DataFrame) else pd.Series(np.asarray(y, dtype=float))
    values: FloatArray = won.to_numpy(dtype=np.float64, na_value=np.nan)
    return np.where(np.isnan(values), 0.0, values)


class RaceEstimator(BaseEstimator):  # type: ignore[misc]
    """What every race model type shares: its features and the race of each row."""

    #: Whether walk-forward validation calibrates it (the market reference is not).
    calibrated = True

    def feature_list(self) -> list[str]:
        """The registry features the model reads (before it sees a frame)."""
        raise NotImplementedError

    @property
    def uses_market(self) -> bool:
        """Whether the model reads the public's prices (any of its features is a market one)."""
        return bool(set(registry_features(market=True)) & set(self.feature_list()))

    def _check(self) -> None:
        if not hasattr(self, "feature_names_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet. Call `.fit()` first.")


class LinearRaceModel(RaceEstimator):
    """A conditional logit on registry features: the ``conditional-logit`` type (every
    non-market feature, and the market features with ``use_market``) and the ``rating``
    reference (``features="rating"``: the learned rating group only, never prices).

    Missing feature values are scored as the race's average (``missing="race_mean"``).
    """

    def __init__(
        self,
        features: str = "all",
        alpha: float = 1e-3,
        use_market: bool = True,
        random_state: int = 0,
    ) -> None:
        self.features = features
        self.alpha = alpha
        self.use_market = use_market
        self.random_state = random_state

    def feature_list(self) -> list[str]:
        if self.features == "rating":
            return registry_features("rating")
        if self.features != "all":
            raise ConfigError(f"features: '{self.features}' is not one of all, rating")
        return registry_features(market=None if self.use_market else False)

    def fit(self, X: pd.DataFrame, y: Any) -> LinearRaceModel:
        """Fit the conditional logit on the rows' features and winners."""
        names = self.feature_list()
        self.model_ = ConditionalLogit(alpha=self.alpha, missing="race_mean").fit(
            X[names], winners(y), groups=race_groups(X)
        )
        self.feature_names_ = names
        return self

    def predict_proba(self, X: pd.DataFrame) -> FloatArray:
        """Each runner's win probability."""
        self._check()
        return self.model_.predict_proba(X[self.feature_names_], groups=race_groups(X))

    def explain(self, X: pd.DataFrame) -> FloatArray:
        """Each runner's linear terms ``beta_j * (x_j - race mean)``, (n, features); a missing
        value contributes 0 (it is scored as the race's average)."""
        self._check()
        matrix = X[self.feature_names_].to_numpy(dtype=np.float64, na_value=np.nan)
        missing = np.isnan(matrix)
        centred = np.where(missing, 0.0, grouped_demean(matrix, race_groups(X)))
        out: FloatArray = centred * self.model_.coef_
        return out


class BenterRaceModel(RaceEstimator):
    """Benter's two-stage model: stage 1 on every non-market feature, stage 2 with the public's
    de-margined final win odds (``win_odds``) on the later races."""

    def __init__(
        self,
        stage2_fraction: float = 0.3,
        alpha: float = 1e-3,
        use_market: bool = True,
        random_state: int = 0,
    ) -> None:
        self.stage2_fraction = stage2_fraction
        self.alpha = alpha
        self.use_market = use_market
        self.random_state = random_state

    @property
    def uses_market(self) -> bool:
        """Always: it reads the final win odds."""
        return True

    def feature_list(self) -> list[str]:
        return registry_features(market=False)

    def fit(self, X: pd.DataFrame, y: Any) -> BenterRaceModel:
        """Fit both stages (the rows must all have final win odds)."""
        names = self.feature_list()
        self.model_ = BenterModel(
            features=names,
            odds_column=ODDS,
            time_column=START,
            stage2_fraction=self.stage2_fraction,
            alpha=self.alpha,
        ).fit(X, winners(y), groups=race_groups(X))
        self.feature_names_ = names
        return self

    def predict_proba(self, X: pd.DataFrame) -> FloatArray:
        """Each runner's combined win probability."""
        self._check()
        return self.model_.predict_proba(X, groups=race_groups(X))


class RankingRaceModel(RaceEstimator):
    """LightGBM per-race scores on the features (the market features with ``use_market``),
    calibrated through a one-feature conditional logit on later races."""

    def __init__(
        self,
        objective: str = "softmax",
        n_estimators: int = 300,
        learning_rate: float = 0.03,
        num_leaves: int = 15,
        min_child_samples: int = 100,
        subsample: float = 0.8,
        colsample_bytree: float = 0.8,
        reg_lambda: float = 5.0,
        calibration_fraction: float = 0.3,
        use_market: bool = True,
        random_state: int = 0,
    ) -> None:
        self.objective = objective
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda
        self.calibration_fraction = calibration_fraction
        self.use_market = use_market
        self.random_state = random_state

    def feature_list(self) -> list[str]:
        return registry_features(market=None if self.use_market else False)

    def fit(self, X: pd.DataFrame, y: Any) -> RankingRaceModel:
        """Fit the trees on the earlier races and the calibration on the later ones."""
        names = self.feature_list()
        self.model_ = RankingModel(
            features=names,
            time_column=START,
            objective=self.objective,  # type: ignore[arg-type]
            calibration_fraction=self.calibration_fraction,
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            min_child_samples=self.min_child_samples,
            subsample=self.subsample,
            colsample_bytree=self.colsample_bytree,
            reg_lambda=self.reg_lambda,
            random_state=self.random_state,
        ).fit(X, winners(y), groups=race_groups(X))
        self.feature_names_ = names
        return self

    def predict_proba(self, X: pd.DataFrame) -> FloatArray:
        """Each runner's calibrated win probability."""
        self._check()
        return self.model_.predict_proba(X, groups=race_groups(X))


class PublicRaceModel(RaceEstimator):
    """The market reference: ``public_win_probability`` (the de-margined final win odds),
    renormalised within each race. It learns nothing and is not calibrated."""

    calibrated = False

    def __init__(self, use_market: bool = True, random_state: int = 0) -> None:
        self.use_market = use_market
        self.random_state = random_state

    @property
    def uses_market(self) -> bool:
        """Always: it reads the final win odds."""
        return True

    def feature_list(self) -> list[str]:
        return []

    def fit(self, X: pd.DataFrame, y: Any = None) -> PublicRaceModel:
        """Check the rows have the public's probabilities; nothing is learned."""
        self.predict_proba(X, fitted=False)
        self.feature_names_: list[str] = []
        return self

    def predict_proba(self, X: pd.DataFrame, *, fitted: bool = True) -> FloatArray:
        """The public's win probability of each runner."""
        if fitted:
            self._check()
        q = X[PUBLIC].to_numpy(dtype=np.float64, na_value=np.nan)
        if not np.all(np.isfinite(q) & (q > 0.0)):
            raise DataError(f"{PUBLIC} is missing or not positive on some runners")
        codes, n_races = race_codes(race_groups(X), q.shape[0])
        out: FloatArray = q / race_sum(q, codes, n_races)[codes]
        return out


class ClassifierRaceModel(RaceEstimator):
    """A plain scikit-learn classifier fitted on runners (``won``), its probabilities of a win
    normalised within each race."""

    def __init__(self, estimator: Any, use_market: bool = True) -> None:
        self.estimator = estimator
        self.use_market = use_market

    def feature_list(self) -> list[str]:
        return registry_features(market=None if self.use_market else False)

    def fit(self, X: pd.DataFrame, y: Any) -> ClassifierRaceModel:
        """Fit the classifier on the runners' features and winners."""
        names = self.feature_list()
        self.model_ = clone(self.estimator).fit(X[names], winners(y).astype(int))
        self.feature_names_ = names
        return self

    def predict_proba(self, X: pd.DataFrame) -> FloatArray:
        """The classifier's P(win), normalised within each race."""
        self._check()
        raw = np.clip(self.model_.predict_proba(X[self.feature_names_])[:, 1], 1e-12, None)
        return grouped_softmax(np.log(raw), race_groups(X))


_FACTORIES: dict[str, Any] = {
    "conditional-logit": lambda **p: LinearRaceModel(features="all", **p),
    "rating": lambda **p: LinearRaceModel(features="rating", **{**p, "use_market": False}),
    "benter": BenterRaceModel,
    "ranking": RankingRaceModel,
    "public": PublicRaceModel,
}


def make_race_model(model_type: str, *, use_market: bool = True, **params: Any) -> Any:
    """A fresh, unfitted estimator of the race model type ``model_type``.

    Raises
    ------
    ConfigError
        For an unknown type or a parameter it does not take.
    """
    factory = _FACTORIES.get(model_type)
    if factory is None:
        raise ConfigError(
            f"--model-type: unknown '{model_type}'; choose from {', '.join(_FACTORIES)}"
        )
    params.pop("features", None)  # a stored hyperparameter of the linear types, fixed by type
    try:
        return factory(use_market=use_market, **params)
    except TypeError as exc:
        raise ConfigError(f"model type {model_type}: {exc}") from exc
