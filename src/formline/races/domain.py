"""The races domain: horse races with many runners and one winner, the second implementation of
the domain contract (:class:`formline.domain.Domain`).

Registered under the ``formline.domains`` entry-point group as ``races``. An event is a race
(``race_id``), a unit one of its runners (``runner_id``); the headline market is the win market,
scored by the winner's log loss per race, beside the public's de-margined tote odds. The model,
validation, backtest, tuning and report members come from
:class:`~formline.races.evaluation.RaceEvaluation`; this class adds the data members (ingest,
frames, features, snapshots). Importing it is cheap: each method imports what it needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from formline.domain import EventFrame, Ingested, Market, Source
from formline.races.evaluation import RaceEvaluation

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy import FromClause

    from formline.core.feature_registry import FeatureSet
    from formline.pipeline.progress import Progress
    from formline.races.features.registry import RaceFeatureParams
    from formline.races.ingest import RaceIngest
    from formline.store.db import Store

#: Information states of a race as of an instant, richest first: the public's win odds are
#: observed for every runner (``market``), or only the card is known (``card``).
INFORMATION_STATES = ("market", "card")

#: Leads (days before the off) at which validation also scores every validated race, besides
#: the off itself: 23 hours, the day before, just after the card is out (the Hong Kong sources'
#: card is known 24 hours before the off; at exactly 24 hours no runner is known yet). A card
#: model publishes from then to the off, and there it knows neither the final odds nor the
#: results of the meeting's earlier races, which it knows at the off; models reading final odds
#: have no race to predict at that lead (a race there is a card) and are scored at the off only.
#: Football's longer leads (days to weeks) would find no race card at all.
VALIDATION_LEADS: tuple[float, ...] = (23 / 24,)

RACE_MARKETS = (
    Market("win", "the runner wins the race (one selection per runner)"),
    Market(
        "place",
        "the runner finishes in the places paid: 3 from 7 starters, else 2 (one selection per "
        "runner)",
    ),
)

RACE_SOURCES = (
    Source(
        "hkjc",
        "Hong Kong racing: the gdaley layout (races.csv + runs.csv) and the HKJC results layout",
        "ingest:hkjc",
    ),
    Source("demo", "a seeded synthetic racing world with future race cards", "ingest:demo"),
)


class RacesDomain(RaceEvaluation):
    """Horse races: venues, races, runners with results, horses, jockeys, trainers, tote odds."""

    name: str = "races"
    event_noun: str = "race"
    unit_noun: str | None = "runner"
    unit_key: str | None = "runner_id"
    event_key: str = "race_id"
    start_column: str = "start_at"
    markets: tuple[Market, ...] = RACE_MARKETS
    information_states: tuple[str, ...] = INFORMATION_STATES
    reference_model: str = "rating"
    market_reference: str | None = "public"
    validation_leads: tuple[float, ...] = VALIDATION_LEADS
    sources: tuple[Source, ...] = RACE_SOURCES
    # The read API's racing routes (/races, /races/{id}, /horses, /jockeys, /trainers) and
    # their cache declaration (see formline.races.api).
    api_routers: tuple[str, ...] = (
        "formline.races.api.routes.races:router",
        "formline.races.api.routes.form:router",
    )
    api_cache: str | None = "formline.races.api.cache:RACES_CACHE"
    scope_column: str = "venue"
    target_columns: tuple[str, ...] = ("finish_position", "won", "placed")
    # ingest:hkjc and predict:race; dataset:rebuild, status, rollback and export; refresh:views
    # (see formline.cli.app.mount_domain_commands).
    cli_commands: tuple[str, ...] = (
        "formline.races.cli:register",
        "formline.races.dataset_cli:register",
        "formline.races.views_cli:register",
    )
    # Races make no league table: no season simulation.
    season_simulation: str | None = None

    def __repr__(self) -> str:
        return "RacesDomain()"

    def register_tables(self) -> None:
        """Put venues, races, runners, results, odds, dividends and entities on the metadata."""
        import formline.races.tables  # noqa: F401  (defining them registers them)

    def feature_set(self) -> FeatureSet:
        """The racing feature registry with its default parameters."""
        from formline.races.features import RACE_FEATURES

        return RACE_FEATURES

    # --- Ingest --------------------------------------------------------------------------------

    def ingest_demo(
        self,
        store: Store,
        *,
        seed: int,
        now: datetime | None,
        force: bool,
        progress: Progress,
        **world: int,
    ) -> RaceIngest:
        """The seeded synthetic racing world (``n_days``, ``n_horses``, ``n_jockeys``,
        ``n_trainers``); see :func:`formline.races.ingest.ingest_race_demo`."""
        from formline.races.ingest import ingest_race_demo

        progress.start("loading the demo racing world", None)
        result = ingest_race_demo(store, seed, now, force=force, **world)
        progress.finish("loading the demo racing world")
        return result

    def ingest_paths(
        self, store: Store, paths: list[Path], *, limits: Mapping[str, Any] | None = None
    ) -> Ingested:
        """Hong Kong racing files or folders (either layout); see
        :func:`formline.races.ingest.ingest_hkjc`."""
        from formline.races.ingest import ingest_hkjc, limits_of

        result = ingest_hkjc(store, paths, limits_of(limits))
        changed = sum(c.inserted + c.updated for c in result.report.tables.values())
        detail = f"{len(result.rows)} files; {result.summary()}"
        return Ingested(rows=changed, detail=detail, result=result)

    # --- Frames --------------------------------------------------------------------------------

    def compute_features(
        self,
        store: Store,
        as_of: datetime,
        *,
        params: RaceFeatureParams | None = None,
        progress: Progress | None = None,
        queries: pd.DataFrame | None = None,
    ) -> EventFrame:
        """Every runner's features; see :func:`formline.races.dataset.compute_race_features`."""
        from formline.races.dataset import compute_race_features

        if progress is not None:
            progress.start("computing racing features", None)
        built = compute_race_features(store, as_of, params, queries)
        if progress is not None:
            progress.finish("computing racing features")
        return built

    def export_frame(
        self, store: Store, as_of: datetime, *, with_targets: bool = False
    ) -> pd.DataFrame:
        """Race, runner, start, venue, horse and saddle number (then the result known at
        ``as_of``); see :func:`formline.races.dataset.export_names`."""
        from formline.races.dataset import export_names

        return export_names(store, as_of, with_targets)

    def load_frame(
        self, store: Store, as_of: datetime, queries: pd.DataFrame | None = None
    ) -> EventFrame:
        """Every runner with features as of ``as_of``; see
        :func:`formline.races.dataset.load_race_frame`."""
        from formline.races.dataset import load_race_frame

        return load_race_frame(store, as_of, queries=queries)

    # --- Snapshots -----------------------------------------------------------------------------

    def prediction_rows(self, predictions: pd.DataFrame) -> Any:
        """Two rows per runner, win and place (see
        :func:`formline.races.predictions.prediction_rows`)."""
        from formline.races.predictions import prediction_rows

        return prediction_rows(predictions)

    def read_snapshot(self, store: Store, snapshot_id: int) -> pd.DataFrame:
        """One row per runner: win and place probabilities, fair odds and drivers (see
        :func:`formline.races.predictions.read_snapshot_predictions`)."""
        from formline.races.predictions import read_snapshot_predictions

        return read_snapshot_predictions(store, snapshot_id)

    def event_starts(self) -> FromClause:
        """Each race's id and start (see :func:`formline.races.reads.race_starts`)."""
        from formline.races.reads import race_starts

        starts: FromClause = race_starts()
        return starts
