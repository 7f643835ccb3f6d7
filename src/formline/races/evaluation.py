"""The races domain's answers to the validation, backtest, tuning and report parts of the
domain contract (:class:`formline.domain.Domain`), as a mixin of
:class:`~formline.races.domain.RacesDomain`.

It reads the domain's declared attributes (``information_states``, ``reference_model``) and
imports its heavy parts inside each method, so importing it costs nothing. The work is done in
:mod:`~formline.races.estimators` (the model types), :mod:`~formline.races.validation`
(walk-forward, calibration, refits), :mod:`~formline.races.scoring` (targets and metrics),
:mod:`~formline.races.backtest`, :mod:`~formline.races.tuning`, :mod:`~formline.races.predict`
and :mod:`~formline.races.report`.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, MutableMapping, Sequence
from typing import TYPE_CHECKING, Any

from formline.domain import ModelType, ReportSections, Window
from formline.races.model_types import RACE_MODEL_TYPES

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from numpy.typing import NDArray


class RaceEvaluation:
    """Validation, scoring, backtest, tuning and report members of the races domain.

    Rows are runners; an event is a race (``race_id``). Win probabilities sum to 1 within each
    race; the headline market is the win market, scored by the winner log loss per race.
    """

    #: The model types, the default first.
    model_types: tuple[ModelType, ...] = RACE_MODEL_TYPES
    information_states: tuple[str, ...]
    reference_model: str

    # --- Models --------------------------------------------------------------------------------

    def make_model(self, model_type: str, *, use_market: bool = True, **params: Any) -> Any:
        """A fresh, unfitted race model of ``model_type``."""
        from formline.races.estimators import make_race_model

        return make_race_model(model_type, use_market=use_market, **params)

    def as_model(self, estimator: Any, *, use_market: bool = True) -> Any:
        """A race model as it is; any other scikit-learn classifier fitted on runners and
        normalised within each race (see :class:`formline.races.estimators.ClassifierRaceModel`)."""
        from formline.races.estimators import ClassifierRaceModel, RaceEstimator

        if isinstance(estimator, RaceEstimator):
            return estimator
        return ClassifierRaceModel(estimator, use_market=use_market)

    def model_features(self, model: Any) -> list[str]:
        """The registry features a race model reads (every one declares them:
        :class:`~formline.races.estimators.RaceEstimator`)."""
        return list(model.feature_list())

    def information_needed(self, reads_prices: bool) -> str:
        """``market`` for a model that reads prices, ``card`` otherwise."""
        return self.information_states[0] if reads_prices else self.information_states[-1]

    def admits(self, information: str, frame: pd.DataFrame) -> NDArray[np.bool_]:
        """The runners of ``frame`` whose race's state (``information``) is ``information`` or
        richer."""
        import numpy as np

        rank = {state: i for i, state in enumerate(self.information_states)}
        needed = rank[information]
        states = frame["information"].map(rank).fillna(len(rank)).to_numpy()
        out: NDArray[np.bool_] = np.asarray(states <= needed, dtype=np.bool_)
        return out

    def predict_rows(
        self, bundle: Mapping[str, Any], rows: pd.DataFrame, declared: ModelType
    ) -> pd.DataFrame:
        """Each runner's calibrated ``p_win``, ``p_place`` and (if explained) drivers."""
        from formline.races.predict import predict_frame

        return predict_frame(bundle, rows, declared)

    # --- Validation ----------------------------------------------------------------------------

    def targets(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Each runner's race, win, place and finishing position."""
        from formline.races.scoring import targets

        return targets(rows)

    def walk_forward(
        self,
        prototype: Any,
        rows: pd.DataFrame,
        y: Any,
        splits: list[Any],
        calibration: str,
        extra: Mapping[str, pd.DataFrame] | None = None,
    ) -> Any:
        """Out-of-fold win and place probabilities, calibrated on earlier folds."""
        from formline.races.validation import walk_forward

        return walk_forward(prototype, rows, y, splits, calibration, extra=extra)

    def final_calibrators(self, result: Any, y: Any, calibration: str) -> dict[str, Any]:
        """``calibrator`` and ``place_exponents``, fitted on every fold."""
        from formline.races.validation import final_calibrators

        return final_calibrators(result, y, calibration)

    def evaluate(self, rows: pd.DataFrame, result: Any) -> dict[str, Any]:
        """Win metrics at the top level (``log_loss`` per race), then ``place``."""
        from formline.races.scoring import evaluate_result

        return evaluate_result(rows, result)

    def evaluate_headline(
        self,
        rows: pd.DataFrame,
        result: Any,
        *,
        raw: bool = False,
        lead: str | None = None,
        where: NDArray[np.bool_] | None = None,
    ) -> dict[str, Any]:
        """The win metrics of the calibrated, raw or lead forecasts (``where`` only)."""
        from formline.races.scoring import evaluate_headline

        return evaluate_headline(rows, result, raw=raw, lead=lead, where=where)

    def evaluate_market(
        self, rows: pd.DataFrame, result: Any
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """The model's and the public's win metrics on the races with the public's odds."""
        from formline.races.scoring import compare_with_market

        return compare_with_market(rows, result.p)

    def headline_loss(self, rows: pd.DataFrame, result: Any) -> tuple[str, NDArray[np.float64]]:
        """``-log p(winner)`` per decided race: what promotion compares."""
        from formline.races.scoring import headline_loss

        return headline_loss(rows, result)

    def validation_frame(self, rows: pd.DataFrame, result: Any, reference: Any) -> pd.DataFrame:
        """One row per validated runner with the model's and the reference's forecasts."""
        from formline.races.scoring import validation_frame

        return validation_frame(rows, result, reference, self.reference_model)

    # --- Backtest ------------------------------------------------------------------------------

    def fit_calibrated(
        self,
        prototype: Any,
        rows: pd.DataFrame,
        splits: list[Any],
        calibration: str,
        predict: pd.DataFrame,
    ) -> Any:
        """Win and place probabilities of ``predict`` by a calibrated refit on ``rows``."""
        from formline.races.validation import fit_calibrated

        return fit_calibrated(prototype, rows, splits, calibration, predict)

    def predict_windows(
        self,
        prototype: Any,
        frames: Mapping[Hashable, pd.DataFrame],
        base: Hashable,
        windows: Sequence[Window],
        calibration: str,
        *,
        n_splits: int,
        gap_days: int,
        jobs: int = 1,
        fit_cache: MutableMapping[bytes, Any] | None = None,
    ) -> tuple[list[list[Any]], int]:
        """Every window's calibrated predictions, each distinct refit once (in ``jobs``
        worker processes above 1, with the same probabilities)."""
        from formline.races.validation import predict_windows

        out, fits = predict_windows(
            prototype,
            frames,
            base,
            windows,
            calibration,
            n_splits=n_splits,
            gap_days=gap_days,
            jobs=jobs,
            fit_cache=fit_cache,
        )
        return [list(w) for w in out], fits

    def with_predictions(self, rows: pd.DataFrame, predictions: Any | None) -> pd.DataFrame:
        """``rows`` with ``p_win`` and ``p_place`` (NaN for None)."""
        from formline.races.backtest import with_predictions

        return with_predictions(rows, predictions)

    def backtest_output(self, frame: pd.DataFrame, *, csv: bool = False) -> pd.DataFrame:
        """The backtest CSV's runner columns, then the evaluation columns."""
        from formline.races.backtest import backtest_output

        return backtest_output(frame, csv=csv)

    def backtest_scores(self, frame: pd.DataFrame) -> dict[str, float]:
        """Winner log loss, pseudo-R², place log loss, and the public's on its races."""
        from formline.races.backtest import backtest_scores

        return backtest_scores(frame)

    # --- Tuning and the report -----------------------------------------------------------------

    def search_space(self, model_type: str, trial: Any) -> dict[str, Any]:
        """The ranking model's search space."""
        from formline.races.tuning import search_space

        return search_space(model_type, trial)

    def fold_loss(self, model: Any, rows: pd.DataFrame, y: Any) -> float:
        """The winner log loss of a fitted model's uncalibrated forecasts."""
        from formline.races.tuning import fold_loss

        return fold_loss(model, rows, y)

    def report(self, store: Any, version: Any, bundle: dict[str, Any]) -> ReportSections:
        """The race model report's facts and sections.

        Raises
        ------
        DataError
            If the bundle holds no usable validation frame.
        """
        from formline.races.report import report_sections

        return report_sections(store, version, bundle)
