"""The matches domain: two-sided matches (football today), the first implementation of the
domain contract (:class:`formline.domain.Domain`).

Registered under the ``formline.domains`` entry-point group as ``matches``. Importing this module
is cheap: the declarations are data, and each method imports what it needs.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from formline.domain import EventFrame, Market, ModelType, Source
from formline.matches.model_types import MATCH_MODEL_TYPES

if TYPE_CHECKING:
    import pandas as pd

    from formline.core.feature_registry import FeatureSet
    from formline.store.db import Store

#: Information states of a match as of an instant, richest first (see
#: :mod:`formline.matches.information`).
INFORMATION_STATES = ("market", "no_market")

#: The markets a match prediction carries (its snapshot rows).
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
        "formline.matches.api.routes.predictions:router",
        "formline.matches.api.routes.matches:router",
        "formline.matches.api.routes.competitions:router",
        "formline.matches.api.routes.performance:router",
        "formline.matches.api.routes.value_bets:router",
    )
    # Its cached response kinds and what to warm after a publish (see formline.api.declared).
    api_cache: str | None = "formline.matches.api.cache:MATCHES_CACHE"

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
        """One row per match: the probabilities, fair odds and drivers of a snapshot."""
        from formline.matches.predictions import read_snapshot_predictions

        return read_snapshot_predictions(store, snapshot_id)

    def information_needed(self, reads_prices: bool) -> str:
        """``market`` for a model that reads prices, else ``no_market``."""
        return INFORMATION_STATES[0] if reads_prices else INFORMATION_STATES[1]
