"""The matches domain: two-sided matches (football today), the first implementation of the
domain contract (:class:`formline.domain.Domain`).

Registered under the ``formline.domains`` entry-point group as ``matches``. Importing this module
is cheap: the declarations are data, and each method imports what it needs.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, MutableMapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from formline.domain import (
    EventFrame,
    Ingested,
    Market,
    ModelType,
    ReportSections,
    Source,
    Window,
)
from formline.matches.model_types import MATCH_MODEL_TYPES

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from numpy.typing import NDArray
    from sqlalchemy import FromClause

    from formline.core.feature_registry import FeatureSet
    from formline.matches.features.registry import FeatureParams
    from formline.matches.ingest import IngestResult
    from formline.pipeline.progress import Progress
    from formline.store.db import Store

#: Information states of a match as of an instant, richest first (see
#: :mod:`formline.matches.information`).
INFORMATION_STATES = ("market", "no_market")

#: The Asian handicap lines published from a score grid (the home side's; the away side's are
#: the opposite ones) and the total-goals lines (the usual lines of the Asian markets).
HANDICAP_LINES = (-1.5, -1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 1.0, 1.5)
TOTAL_LINES = (1.5, 2.0, 2.25, 2.5, 2.75, 3.0, 3.5)

#: The markets a match prediction carries (its snapshot rows): 1X2 and over/under 2.5 from
#: every model, the grid markets from models with a score grid.
MATCH_MARKETS = (
    Market(
        "1x2",
        "home win, draw or away win after 90 minutes",
        selections=("home", "draw", "away"),
        ordered=True,
    ),
    Market(
        "over_under",
        "more or fewer total goals than the line",
        selections=("over", "under"),
        ordered=True,
        lines=(2.5,),
    ),
    # Priced from the score grid of the model types that have one (see
    # formline.matches.grid_markets); raw, before the 1X2 calibration.
    Market(
        "asian_handicap",
        "the home or the away side with a goal handicap (lines are the home side's, the away "
        "side's the opposite ones; whole lines push, quarter lines split)",
        selections=("home", "away"),
        lines=HANDICAP_LINES,
        score_grid=True,
    ),
    Market(
        "total_goals",
        "more or fewer total goals than each line (whole lines push, quarter lines split)",
        selections=("over", "under"),
        ordered=True,
        lines=TOTAL_LINES,
        score_grid=True,
    ),
    Market(
        "both_teams_to_score",
        "both sides score at least once, or not",
        selections=("yes", "no"),
        score_grid=True,
    ),
    Market(
        "double_chance",
        "two of the three 1X2 outcomes",
        selections=("home_or_draw", "home_or_away", "draw_or_away"),
        score_grid=True,
    ),
    Market(
        "draw_no_bet",
        "home or away win, the stake returned on a draw",
        selections=("home", "away"),
        score_grid=True,
    ),
)

MATCH_SOURCES = (
    Source(
        "football-data",
        "football-data.co.uk results, match statistics and odds CSVs (main and extra leagues)",
        "ingest:football-data",
    ),
    Source("demo", "a seeded synthetic world of leagues with future fixtures", "ingest:demo"),
)


class MatchesDomain:
    """Football matches: competitions, teams, matches with results and statistics, odds."""

    name: str = "matches"
    event_noun: str = "match"
    unit_noun: str | None = None
    unit_key: str | None = None
    event_key: str = "match_id"
    start_column: str = "kickoff_at"
    markets: tuple[Market, ...] = MATCH_MARKETS
    model_types: tuple[ModelType, ...] = MATCH_MODEL_TYPES
    information_states: tuple[str, ...] = INFORMATION_STATES
    reference_model: str = "elo"
    market_reference: str | None = "market"
    # Fixtures are known weeks ahead: one lead inside each lead bucket after the first.
    validation_leads: tuple[float, ...] = (2.0, 5.0, 14.0, 60.0)
    sources: tuple[Source, ...] = MATCH_SOURCES
    # The read API's football routes, hot ones first (see formline.api.app.create_app).
    api_routers: tuple[str, ...] = (
        "formline.matches.api.routes.predictions:router",
        "formline.matches.api.routes.matches:router",
        "formline.matches.api.routes.competitions:router",
        "formline.matches.api.routes.performance:router",
        "formline.matches.api.routes.value_bets:router",
    )
    # Its cached response kinds and what to warm after a publish (see formline.api.declared).
    api_cache: str | None = "formline.matches.api.cache:MATCHES_CACHE"
    scope_column: str = "competition"
    target_columns: tuple[str, ...] = ("home_goals", "away_goals", "outcome")
    # ingest:football-data and predict:match (see formline.cli.app.mount_domain_commands).
    cli_commands: tuple[str, ...] = ("formline.matches.cli:register",)
    # League tables: the season in progress, its table and rules, games drawn from the score
    # grid (see formline.matches.seasons).
    season_simulation: str | None = "formline.matches.seasons:FOOTBALL_SEASONS"

    def ingest_demo(
        self,
        store: Store,
        *,
        seed: int,
        now: datetime | None,
        force: bool,
        progress: Progress,
        **world: int,
    ) -> IngestResult:
        """The seeded synthetic world of leagues (``n_leagues``, ``n_teams``, ``n_seasons``);
        see :func:`formline.matches.ingest.ingest_demo`."""
        from formline.errors import ConfigError
        from formline.matches.ingest import ingest_demo

        unknown = sorted(set(world) - {"n_leagues", "n_teams", "n_seasons"})
        if unknown:
            raise ConfigError(
                f"--world: the football demo has no '{unknown[0]}'; choose from n_leagues, "
                "n_teams, n_seasons"
            )
        return ingest_demo(store, seed=seed, now=now, force=force, progress=progress, **world)

    def ingest_paths(
        self, store: Store, paths: list[Path], *, limits: Mapping[str, Any] | None = None
    ) -> Ingested:
        """football-data.co.uk CSV files or folders; see
        :func:`formline.matches.ingest.ingest_update`."""
        from formline.matches.ingest import ingest_update

        return ingest_update(store, paths, limits)

    def compute_features(
        self,
        store: Store,
        as_of: datetime,
        *,
        params: FeatureParams | None = None,
        progress: Progress | None = None,
        queries: pd.DataFrame | None = None,
    ) -> EventFrame:
        """The match features; see
        :func:`formline.matches.features.compute.compute_match_features`."""
        from formline.matches.features.compute import compute_match_features

        return compute_match_features(store, as_of, params, progress, queries)

    def export_frame(
        self, store: Store, as_of: datetime, *, with_targets: bool = False
    ) -> pd.DataFrame:
        """Match id, competition, season, kickoff and teams (then the result known at
        ``as_of``); see :func:`formline.matches.features.compute.export_names`."""
        from formline.matches.features.compute import export_names

        return export_names(store, as_of, with_targets)

    def predict_rows(
        self, bundle: Mapping[str, Any], rows: pd.DataFrame, declared: ModelType
    ) -> pd.DataFrame:
        """1X2 and over/under 2.5 with fair odds and drivers, and the grid markets of a model
        with a score grid; see :func:`formline.matches.predict.predict_frame`."""
        from formline.matches.predict import predict_frame

        return predict_frame(bundle, rows, declared)

    def __repr__(self) -> str:
        return "MatchesDomain()"

    def register_tables(self) -> None:
        """Put competitions, teams, matches and odds on the store's metadata."""
        import formline.matches.tables  # noqa: F401  (defining them registers them)

    def feature_set(self) -> FeatureSet:
        """The match feature registry with its default parameters."""
        from formline.matches.features import MATCH_FEATURES

        return MATCH_FEATURES

    def load_frame(
        self, store: Store, as_of: datetime, queries: pd.DataFrame | None = None
    ) -> EventFrame:
        """Every match with features as of ``as_of``; see
        :func:`formline.matches.dataset.load_match_frame`."""
        from formline.matches.dataset import load_match_frame

        return load_match_frame(store, as_of, queries=queries)

    def make_model(self, model_type: str, *, use_market: bool = True, **params: Any) -> Any:
        """A fresh match model; see :func:`formline.matches.models.make_model`."""
        from formline.matches.models import make_model

        return make_model(model_type, use_market=use_market, **params)

    def as_model(self, estimator: Any, *, use_market: bool = True) -> Any:
        """A match model (the :class:`~formline.matches.models.base.MatchModel` contract) as it
        is; any other classifier as a match model, one clone for 1X2 and one for over/under 2.5
        (see :class:`formline.matches.models.feature_models.ClassifierMatchModel`)."""
        from formline.matches.models.base import MatchModel
        from formline.matches.models.feature_models import ClassifierMatchModel

        if isinstance(estimator, MatchModel):
            return estimator
        return ClassifierMatchModel(estimator, use_market=use_market)

    def model_features(self, model: Any) -> list[str]:
        """The features a match model reads (every match model declares them:
        :class:`~formline.matches.models.base.MatchModel`)."""
        return list(model.feature_list())

    def prediction_rows(self, predictions: pd.DataFrame) -> Any:
        """Five rows per match: 1X2 home, draw, away; over/under 2.5 over and under (see
        :func:`formline.matches.predictions.prediction_rows`)."""
        from formline.matches.predictions import prediction_rows

        return prediction_rows(predictions)

    def read_snapshot(self, store: Store, snapshot_id: int) -> pd.DataFrame:
        """One row per match: the probabilities, fair odds, drivers and grid markets of a
        snapshot (see :func:`formline.matches.predictions.read_snapshot_predictions`)."""
        from formline.matches.predictions import read_snapshot_predictions

        return read_snapshot_predictions(store, snapshot_id, markets=True)

    def event_starts(self) -> FromClause:
        """Each match's id and kickoff (see :func:`formline.matches.reads.match_starts`)."""
        from formline.matches.reads import match_starts

        return match_starts()

    def information_needed(self, reads_prices: bool) -> str:
        """``market`` for a model that reads prices, else ``no_market``."""
        return INFORMATION_STATES[0] if reads_prices else INFORMATION_STATES[1]

    # --- Validation (see formline.matches.evaluation) -----------------------------------------

    def targets(self, rows: pd.DataFrame) -> pd.DataFrame:
        """``home_goals`` and ``away_goals``: what match models fit on."""
        from formline.matches.evaluation import targets

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
        """A :class:`~formline.matches.models.validation.WalkForwardResult`; see
        :func:`~formline.matches.models.validation.walk_forward_predictions`."""
        from formline.matches.models.validation import walk_forward_predictions

        method: Any = calibration  # a CalibrationMethod, checked by make_calibrator
        return walk_forward_predictions(prototype, rows, y, splits, method, extra=extra)

    def final_calibrators(self, result: Any, y: Any, calibration: str) -> dict[str, Any]:
        """The 1X2 ``calibrator`` and the over/under ``over_calibrator`` of the bundle."""
        from formline.matches.models.validation import fit_final_calibrators

        calibrator, over = fit_final_calibrators(result, y, calibration)  # type: ignore[arg-type]
        return {"calibrator": calibrator, "over_calibrator": over}

    def evaluate(self, rows: pd.DataFrame, result: Any) -> dict[str, Any]:
        """The 1X2 metrics, then ``over_2_5``'s (see :func:`~formline.matches.evaluation`)."""
        from formline.matches.evaluation import evaluate_result

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
        """The 1X2 metrics of one of ``result``'s forecasts."""
        from formline.matches.evaluation import evaluate_headline

        return evaluate_headline(rows, result, raw=raw, lead=lead, where=where)

    def evaluate_market(
        self, rows: pd.DataFrame, result: Any
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """The model's and the closing line's 1X2 metrics on the matches with closing odds."""
        from formline.matches.evaluation import compare_with_market

        return compare_with_market(rows, result.proba)

    def headline_loss(self, rows: pd.DataFrame, result: Any) -> tuple[str, NDArray[np.float64]]:
        """The per-match 1X2 log loss."""
        from formline.matches.evaluation import headline_loss

        return headline_loss(rows, result)

    def admits(self, information: str, frame: pd.DataFrame) -> NDArray[np.bool_]:
        """The matches whose information state serves ``information`` (see
        :mod:`formline.matches.information`)."""
        from formline.matches.evaluation import admits

        return admits(information, frame)

    def validation_frame(self, rows: pd.DataFrame, result: Any, reference: Any) -> pd.DataFrame:
        """See :func:`formline.matches.evaluation.validation_frame`."""
        from formline.matches.evaluation import validation_frame

        return validation_frame(rows, result, reference)

    # --- Backtest (see formline.matches.backtest and backtest_plan) ----------------------------

    def fit_calibrated(
        self,
        prototype: Any,
        rows: pd.DataFrame,
        splits: list[Any],
        calibration: str,
        predict: pd.DataFrame,
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The calibrated 1X2 and P(over 2.5) of ``predict`` (see
        :func:`~formline.matches.models.validation.fit_calibrated`)."""
        from formline.matches.models.validation import fit_calibrated

        model, calibrator, over_calibrator = fit_calibrated(
            prototype,
            rows,
            self.targets(rows),
            splits,
            calibration,  # type: ignore[arg-type]
        )
        proba = calibrator.transform(model.predict_proba(predict))
        return proba, over_calibrator.transform(model.predict_over_proba(predict))

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
        """See :func:`formline.matches.backtest_plan.predict_windows`."""
        from formline.matches.backtest_plan import predict_windows

        return predict_windows(
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

    def with_predictions(self, rows: pd.DataFrame, predictions: Any | None) -> pd.DataFrame:
        """``rows`` with ``p_home``, ``p_draw``, ``p_away`` and ``p_over_2_5``."""
        from formline.matches.backtest import with_predictions

        return with_predictions(rows, predictions)

    def backtest_output(self, frame: pd.DataFrame, *, csv: bool = False) -> pd.DataFrame:
        """See :func:`formline.matches.backtest.backtest_output`."""
        from formline.matches.backtest import backtest_output

        return backtest_output(frame, csv=csv)

    def backtest_scores(self, frame: pd.DataFrame) -> dict[str, float]:
        """RPS and log loss, and RPS beside the closing line."""
        from formline.matches.backtest import backtest_scores

        return backtest_scores(frame)

    # --- Tuning and the report -----------------------------------------------------------------

    def search_space(self, model_type: str, trial: Any) -> dict[str, Any]:
        """See :func:`formline.matches.tuning.search_space`."""
        from formline.matches.tuning import search_space

        return search_space(model_type, trial)

    def fold_loss(self, model: Any, rows: pd.DataFrame, y: Any) -> float:
        """The uncalibrated 1X2 log loss."""
        from formline.matches.tuning import fold_loss

        return fold_loss(model, rows, y)

    def report(self, store: Store, version: Any, bundle: dict[str, Any]) -> ReportSections:
        """See :func:`formline.matches.report.report_sections`."""
        from formline.matches.report import report_sections

        return report_sections(store, version, bundle)
