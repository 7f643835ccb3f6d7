"""The matches domain: two-sided matches (football today), the first implementation of the
domain contract (:class:`formline.domain.Domain`).

Registered under the ``formline.domains`` entry-point group as ``matches``. Importing this module
is cheap: the declarations are data, and each method imports what it needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from formline.domain import EventFrame, Ingested, Market, ModelType, Source
from formline.matches.model_types import MATCH_MODEL_TYPES

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from numpy.typing import NDArray

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
    event_key: str = "match_id"
    start_column: str = "kickoff_at"
    markets: tuple[Market, ...] = MATCH_MARKETS
    model_types: tuple[ModelType, ...] = MATCH_MODEL_TYPES
    information_states: tuple[str, ...] = INFORMATION_STATES
    reference_model: str = "elo"
    market_reference: str | None = "market"
    sources: tuple[Source, ...] = MATCH_SOURCES
    # The read API's football routes, hot ones first (see formline.api.app.create_app).
    api_routers: tuple[str, ...] = (
        "formline.api.routes.predictions:router",
        "formline.api.routes.matches:router",
        "formline.api.routes.competitions:router",
        "formline.api.routes.performance:router",
        "formline.api.routes.value_bets:router",
    )
    scope_column: str = "competition"
    target_columns: tuple[str, ...] = ("home_goals", "away_goals", "outcome")
    # ingest:football-data and predict:match (see formline.cli.app.mount_domain_commands).
    cli_commands: tuple[str, ...] = ("formline.matches.cli:register",)

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
        from formline.matches.ingest import ingest_demo

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

    def row_information(self, rows: pd.DataFrame) -> NDArray[np.str_]:
        """``market`` where the 1X2 market features are present; see
        :func:`formline.matches.information.information_states`."""
        from formline.matches.information import information_states

        return information_states(rows)

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

    def wrap_estimator(self, estimator: Any, *, use_market: bool = True) -> Any:
        """``estimator`` as a match model: one clone for 1X2, one for over/under 2.5 (see
        :class:`formline.matches.models.feature_models.ClassifierMatchModel`)."""
        from formline.matches.models.feature_models import ClassifierMatchModel

        return ClassifierMatchModel(estimator, use_market=use_market)

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

    def information_needed(self, reads_prices: bool) -> str:
        """``market`` for a model that reads prices, else ``no_market``."""
        return INFORMATION_STATES[0] if reads_prices else INFORMATION_STATES[1]
