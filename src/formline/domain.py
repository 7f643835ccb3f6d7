"""The domain contract: what a kind of event (football matches, horse races, transfers ...) gives
the shared machinery, and the registry the command line, the API and the library find domains in.

The shared layers (store, engine, pipeline, API plumbing, cache, CLI plumbing) never name a
domain. A domain is a package that implements :class:`Domain` and registers it under the
``formline.domains`` entry-point group (``pyproject.toml``)::

    [project.entry-points."formline.domains"]
    matches = "formline.matches.domain:MatchesDomain"

in the spirit of Feast's ``OfflineStore`` and Dagster's ``DbClient``: the core defines the
interface, the domain implements it, and a third-party package can add a domain the same way.

A domain object is cheap to import and to build: it declares names and capabilities as data and
imports its heavy parts (pandas, models, SQL) inside the methods that need them, so ``--help``
and the read API load no ML library through it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from formline.errors import ConfigError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from numpy.typing import NDArray
    from sqlalchemy import FromClause

    from formline.core.feature_registry import FeatureSet

#: The entry-point group domains register under.
ENTRY_POINT_GROUP = "formline.domains"


@dataclass(frozen=True)
class Market:
    """A market a domain predicts and prices.

    ``selections`` are the fixed outcomes (``("home", "draw", "away")``), or empty when there is
    one selection per unit of the event (a race's runners). ``ordered`` outcomes admit the
    ranked probability score; ``lines`` are the lines formline predicts (``(2.5,)`` for over/under
    2.5 goals; empty for a market without a line).
    """

    name: str
    description: str
    selections: tuple[str, ...] = ()
    ordered: bool = False
    lines: tuple[float, ...] = ()
    #: Priced from a model's exact-score grid: published only by model types that declare one
    #: (:attr:`ModelType.score_grid`).
    score_grid: bool = False

    @property
    def per_unit(self) -> bool:
        """Whether the market has one selection per unit (runner, candidate club)."""
        return not self.selections


@dataclass(frozen=True)
class ModelType:
    """A model type a domain can train, and what it can do, declared rather than probed.

    ``uses_market`` is ``True`` for a model that always reads prices, ``False`` for one that
    never does, ``None`` for one that reads them unless trained with ``--no-market``.
    """

    name: str
    description: str
    uses_market: bool | None = None
    #: Per-prediction feature contributions (linear terms, TreeSHAP).
    explains: bool = False
    #: A hyperparameter search (``--trials``).
    tunable: bool = False
    #: A distribution over exact scores, from which grid markets (handicaps, totals) are priced.
    score_grid: bool = False
    #: Fitted state worth showing in the report (ratings, attack and defence strengths).
    reports_ratings: bool = False
    #: Whether probabilities are calibrated on later folds (a market reference is not).
    calibrated: bool = True

    def can_run_without_market(self) -> bool:
        """Whether the type can be trained without prices."""
        return self.uses_market is not True


@dataclass(frozen=True)
class Source:
    """A source a domain ingests: its name, what it reads and the command that ingests it."""

    name: str
    description: str
    command: str


@dataclass(frozen=True)
class Ingested:
    """What a domain's ingest of source files did, for the daily run's ``job_runs`` row."""

    #: Rows inserted or updated.
    rows: int
    #: One line: files read, rows inserted, updated and unchanged, rejects.
    detail: str
    #: The domain's own result.
    result: Any = None


@dataclass(frozen=True)
class EventFrame:
    """Every event (or event and unit) with point-in-time features as of ``as_of``, its ids,
    targets (blank where the result was not known at ``as_of``) and market references."""

    frame: pd.DataFrame
    as_of: datetime
    feature_version: str
    feature_names: list[str]


class DomainAttributes(Protocol):
    """What a domain declares as data: names, markets, model types, sources, capabilities."""

    #: The name stored with models, snapshots, job runs and feature snapshots (``"matches"``).
    name: str
    #: What one event is called in messages (``"match"``, ``"race"``).
    event_noun: str
    #: What one unit of an event is called (``"runner"``), or None for events without units.
    unit_noun: str | None
    #: The column of the domain's frames that identifies a unit within its event
    #: (``"runner_id"``), or None when a frame has one row per event.
    unit_key: str | None
    #: The column of the domain's frames that identifies an event (``"match_id"``).
    event_key: str
    #: The column of the domain's frames with the instant the event starts (``"kickoff_at"``):
    #: walk-forward splits, leads and horizons are measured from it.
    start_column: str
    #: The markets it predicts; the first is the headline market.
    markets: tuple[Market, ...]
    #: The model types it trains, the default first.
    model_types: tuple[ModelType, ...]
    #: Information states of an event as of an instant, richest first.
    information_states: tuple[str, ...]
    #: The model every candidate is compared with before a first champion exists.
    reference_model: str
    #: The model whose probabilities are the market's own (None if the domain has no prices).
    market_reference: str | None
    #: Leads (days before the start) at which validation also scores every validated event as
    #: known then, with the same fold models and calibrators, besides the start itself (lead
    #: 0, always scored): the instants the domain's predictions are published at. Empty: the
    #: start only.
    validation_leads: tuple[float, ...]
    #: Its sources.
    sources: tuple[Source, ...]
    #: Modules of ``formline.api``-style routers the read API mounts for this domain
    #: (``"formline.matches.api.routes.predictions:router"``); they import no ML library.
    api_routers: tuple[str, ...]
    #: Its read-API cache declaration, a :class:`formline.api.declared.DomainCache` named
    #: ``"package.module:attribute"``: the kinds of response its routers cache with the setting
    #: of each TTL, which the hot path may answer, and what the API and the worker warm after
    #: it publishes. None for a domain without routers.
    api_cache: str | None

    #: The column of the domain's frames naming the scope a model may be limited to (a
    #: competition): a scope's own champion predicts its events before the domain-wide one.
    scope_column: str
    #: The target columns (results) of ``features:export --with-targets``, in order.
    target_columns: tuple[str, ...]
    #: The domain's own commands: ``"module:function"`` entries, each a function that registers
    #: Typer commands on the app it is given (see :func:`formline.cli.app.mount_domain_commands`).
    cli_commands: tuple[str, ...]
    #: Its season simulation, a :class:`SeasonSimulator` named ``"package.module:attribute"``
    #: (the league tables of its competitions: what a season in progress is, the table so far,
    #: the rules, how its models' forecasts draw a game); None for a domain whose events make
    #: no league table (``simulate:season`` refuses it, ``daily:run`` skips the step).
    season_simulation: str | None


@dataclass(frozen=True)
class SeasonRules:
    """How a competition's table is ranked and read.

    ``points`` are a win's, a draw's and a loss's; the table ranks points, then the score
    difference and scores made where games are drawn from score grids, then a coin. ``top`` is
    the places ``p_top{top}`` counts, ``relegated`` the bottom places that go down (None: the
    league's relegation is not known, so no ``p_relegation``). ``simplifications`` says, in one
    line, what the simulation leaves out (head-to-head, play-offs, deductions).
    """

    points: tuple[float, float, float] = (3.0, 1.0, 0.0)
    top: int = 4
    relegated: int | None = None
    points_label: str = "expected_points"
    simplifications: str = ""


@dataclass(frozen=True)
class SeasonInProgress:
    """A competition's season as known at ``as_of``: its teams, the table of the results
    known then, and the games still to play (rows of the domain's event frame, with their
    features as of ``as_of``), each side a position in ``teams``."""

    competition: str
    season: str
    as_of: datetime
    teams: list[str]
    #: The table so far, one value per team: points, score difference, scores made.
    points: Any
    score_difference: Any
    scored: Any
    n_played: int
    remaining: pd.DataFrame
    home: Any
    away: Any
    rules: SeasonRules


@dataclass(frozen=True)
class GameForecasts:
    """What a model says of games: ``outcomes`` (n, 3: home win, draw, away win; a sport
    without draws a zero column) and, from a model type with a score grid, ``score_grids``
    (n, G, G: P(home i, away j)), else None."""

    outcomes: Any
    score_grids: Any = None


class SeasonSimulator(Protocol):
    """What a domain that keeps league tables gives ``simulate:season`` (see
    :mod:`formline.pipeline.simulate`), declared by :attr:`DomainAttributes.season_simulation`.
    """

    def seasons_in_progress(self, frame: pd.DataFrame, as_of: datetime) -> list[str]:
        """The competitions of ``frame`` (the domain's event frame as of ``as_of``) with a
        season in progress: a game still to play after ``as_of``."""

    def season(self, frame: pd.DataFrame, competition: str, as_of: datetime) -> SeasonInProgress:
        """``competition``'s season in progress at ``as_of``.

        Raises
        ------
        DataError
            For a competition ``frame`` does not have, or one with nothing left to play.
        """

    def forecasts(
        self, bundle: Mapping[str, Any], rows: pd.DataFrame, declared: ModelType
    ) -> GameForecasts:
        """A stored model's forecasts of ``rows``: the calibrated outcome probabilities it
        publishes, and its score grid if ``declared`` has one (consistent with them)."""


class DomainIngest(Protocol):
    """How the domain's facts get into the store."""

    def register_tables(self) -> None:
        """Put the domain's tables on the store's metadata (import its schema module)."""

    def ingest_demo(
        self,
        store: Any,
        *,
        seed: int,
        now: datetime | None,
        force: bool,
        progress: Any,
        **world: int,
    ) -> Any:
        """Load the domain's seeded synthetic world (``world``: its size, such as ``n_teams``);
        an existing demo load is kept unless ``force``. Returns the domain's ingest result."""

    def ingest_paths(
        self, store: Any, paths: list[Path], *, limits: Mapping[str, Any] | None = None
    ) -> Ingested:
        """Re-load the source files or folders at ``paths`` (the daily run's ingest step, from
        ``FORMLINE_INGEST_PATHS``), each bounded by ``limits`` (``max_file_mb``,
        ``max_line_kb``, ``max_rejects``)."""


class DomainFrames(Protocol):
    """Point-in-time frames: features, the modelling frame, exports and event starts."""

    def feature_set(self) -> FeatureSet:
        """Every feature the domain computes, in column order, with its description; its
        ``schema_hash`` is the feature version stored with every snapshot and model."""

    def compute_features(
        self,
        store: Any,
        as_of: datetime,
        *,
        params: Any = None,
        progress: Any = None,
        queries: pd.DataFrame | None = None,
    ) -> EventFrame:
        """Every event's point-in-time features as of ``as_of`` (or per query, as
        :meth:`load_frame`), without targets: the event key, ``cutoff_at`` and the features."""

    def load_frame(
        self, store: Any, as_of: datetime, queries: pd.DataFrame | None = None
    ) -> EventFrame:
        """Every event with its features as of ``as_of`` (or, given ``queries`` with an event
        id column and ``cutoff_at``, one row per query with features as of its own cutoff),
        targets known at ``as_of`` and the market references."""

    def export_frame(
        self, store: Any, as_of: datetime, *, with_targets: bool = False
    ) -> pd.DataFrame:
        """One row per event with the columns naming it (the event key and start column
        among them), then, with ``with_targets``, :attr:`target_columns` where the result was
        observed before ``as_of`` (empty otherwise): what ``features:export`` writes beside the
        features."""

    def event_starts(self) -> FromClause:
        """When each of the domain's events starts, as SQL: a selectable over its own tables
        with the columns ``event_id`` (the id its predictions and feature snapshots name) and
        ``start_at``.

        The shared machinery ranks predictions with it without naming the domain's tables
        (:func:`formline.store.prediction_reads.pre_start_ranked`): retention keeps each
        deployed model's latest prediction made before an event starts, the one the domain's
        track record scores. Plain SQLAlchemy Core over the domain's tables (no data is read):
        the read API may call it too.
        """


class DomainModels(Protocol):
    """Model types, their information and their predictions of stored models."""

    def make_model(self, model_type: str, *, use_market: bool = True, **params: Any) -> Any:
        """A fresh, unfitted estimator of ``model_type`` (scikit-learn contract)."""

    def as_model(self, estimator: Any, *, use_market: bool = True) -> Any:
        """``estimator`` as a model of the domain: one of the domain's own models as it is, any
        other scikit-learn classifier wrapped to fit on the domain's features (the price
        features only with ``use_market``). The result says whether it reads prices
        (``uses_market``)."""

    def model_features(self, model: Any) -> list[str]:
        """The features a model of the domain (as :meth:`make_model` or :meth:`as_model` gave
        it) reads: known before it is fitted, and kept in the registry and the model bundle."""

    def information_needed(self, reads_prices: bool) -> str:
        """The information state a model needs: the richest if it reads prices."""

    def admits(self, information: str, frame: pd.DataFrame) -> NDArray[np.bool_]:
        """Which rows of ``frame`` a model needing the information state ``information`` may
        predict (their own state is it, or richer)."""

    def predict_rows(
        self, bundle: Mapping[str, Any], rows: pd.DataFrame, declared: ModelType
    ) -> pd.DataFrame:
        """The predictions of a stored model (its bundle) of type ``declared`` for ``rows``, in
        the frame :meth:`prediction_rows` takes (without the model and information columns)."""


class DomainSnapshots(Protocol):
    """What a published snapshot holds, in the store's long rows and back."""

    def prediction_rows(self, predictions: pd.DataFrame) -> Any:
        """The long rows (:class:`formline.store.predictions.PredictionRows`: events, and one
        row per market, selection and line) of the frame the domain's models predict."""

    def read_snapshot(self, store: Any, snapshot_id: int) -> pd.DataFrame:
        """One snapshot's predictions in the domain's own frame (one row per event)."""


class DomainValidation(Protocol):
    """What models fit on, and how they are scored.

    ``result`` is what :meth:`walk_forward` returns: the domain's out-of-fold predictions,
    opaque to the shared code but for ``rows`` (positions in the validated frame, aligned with
    the predictions) and ``fold`` (each scored row's fold, 2..K)."""

    def targets(self, rows: pd.DataFrame) -> Any:
        """What models fit on for ``rows`` (a frame or series aligned with them, sliced by
        position with ``.iloc``)."""

    def walk_forward(
        self,
        prototype: Any,
        rows: pd.DataFrame,
        y: Any,
        splits: list[Any],
        calibration: str,
        extra: Mapping[str, pd.DataFrame] | None = None,
    ) -> Any:
        """``prototype`` refitted on each split's training rows, predicting the next block,
        calibrated on the earlier folds; ``extra`` frames (the same rows as known at a lead,
        keyed by lead bucket) are predicted by the same fold models and calibrators."""

    def final_calibrators(self, result: Any, y: Any, calibration: str) -> dict[str, Any]:
        """The final model's calibrators, fitted on every fold of ``result``: the bundle
        entries the domain's predictions read them from."""

    def evaluate(self, rows: pd.DataFrame, result: Any) -> dict[str, Any]:
        """The metrics of ``result`` on ``rows`` (the scored rows, in its order): the headline
        market's at the top level (its headline loss ``log_loss``), then one entry per
        further market."""

    def evaluate_headline(
        self,
        rows: pd.DataFrame,
        result: Any,
        *,
        raw: bool = False,
        lead: str | None = None,
        where: NDArray[np.bool_] | None = None,
    ) -> dict[str, Any]:
        """The headline market's metrics of the calibrated forecasts (``raw``: uncalibrated;
        ``lead``: as known at that lead bucket), on the scored ``rows`` (``where`` only)."""

    def evaluate_market(
        self, rows: pd.DataFrame, result: Any
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """The model's and the market's closing line's metrics on the scored ``rows`` that
        have a closing line (``None, None`` when too few do, or the domain has no prices)."""

    def headline_loss(self, rows: pd.DataFrame, result: Any) -> tuple[str, NDArray[np.float64]]:
        """The headline loss's name (``"log loss"``) and its value per scored row: what the
        promotion decision compares."""

    def validation_frame(self, rows: pd.DataFrame, result: Any, reference: Any) -> pd.DataFrame:
        """One row per validated event (the event key first): ids, result, fold, the model's
        and the reference's forecasts and the prices, as the bundle and the report keep it."""


class DomainBacktest(Protocol):
    """Backtests: refits over windows and the CSV's rows and scores."""

    def fit_calibrated(
        self,
        prototype: Any,
        rows: pd.DataFrame,
        splits: list[Any],
        calibration: str,
        predict: pd.DataFrame,
    ) -> Any:
        """``prototype`` fitted on every row of ``rows``, with calibrators from walk-forward
        out-of-fold predictions over ``splits`` (none for ``"none"``): its predictions of
        ``predict`` (the backtest's reference path, one refit at a time)."""

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
        """Per window, per requested rows, the calibrated predictions of a model refitted on
        the window's training rows (``frames[base]``), and how many fits that took: what
        :meth:`fit_calibrated` gives, with every distinct fit run once."""

    def with_predictions(self, rows: pd.DataFrame, predictions: Any | None) -> pd.DataFrame:
        """``rows`` with the forecast columns of ``predictions`` (missing values for None)."""

    def backtest_output(self, frame: pd.DataFrame, *, csv: bool = False) -> pd.DataFrame:
        """A backtest frame's columns in order: the CSV's (ids, result, forecasts, ``model``,
        ``lead_days``), then the evaluation columns; ``csv``: the CSV's only, typed to write."""

    def backtest_scores(self, frame: pd.DataFrame) -> dict[str, float]:
        """The summary scores of backtest rows (missing values where there are none)."""


class DomainTuning(Protocol):
    """Hyperparameter searches of the tunable model types."""

    def search_space(self, model_type: str, trial: Any) -> dict[str, Any]:
        """Hyperparameters of a tunable ``model_type`` suggested by an Optuna ``trial``."""

    def fold_loss(self, model: Any, rows: pd.DataFrame, y: Any) -> float:
        """The mean headline loss of a fitted model's uncalibrated forecasts of ``rows``: the
        objective of a hyperparameter search."""


class DomainReport(Protocol):
    """The domain's part of a model report."""

    def report(self, store: Any, version: Any, bundle: dict[str, Any]) -> ReportSections:
        """What the HTML model report shows of a model version of the domain: the facts of its
        validation and the domain's sections, rendered.

        Raises
        ------
        DataError
            If the bundle holds no usable validation frame.
        """


@runtime_checkable
class Domain(
    DomainAttributes,
    DomainIngest,
    DomainFrames,
    DomainModels,
    DomainSnapshots,
    DomainValidation,
    DomainBacktest,
    DomainTuning,
    DomainReport,
    Protocol,
):
    """What a kind of event gives the shared pipeline.

    Attributes are data (names, markets, model types, capabilities); methods load or build. A
    method may import pandas or the domain's models; the attributes never need them. The
    domain's maths (targets, metrics, the market comparison, the validation frame, backtest
    columns, search spaces, report sections) are methods too: the shared steps iterate what the
    domain declares and call them, and never look inside its predictions.
    """


def model_type(domain: Domain, name: str, *, option: str = "--model-type") -> ModelType:
    """The declared model type ``name`` of ``domain``.

    Raises
    ------
    ConfigError
        Naming ``option`` and the types the domain has.
    """
    for declared in domain.model_types:
        if declared.name == name:
            return declared
    names = ", ".join(t.name for t in domain.model_types)
    raise ConfigError(f"{option}: unknown '{name}'; choose from {names} (domain {domain.name})")


def market(domain: Domain, name: str) -> Market:
    """The declared market ``name`` of ``domain`` (ConfigError if it has none by that name)."""
    for declared in domain.markets:
        if declared.name == name:
            return declared
    names = ", ".join(m.name for m in domain.markets)
    raise ConfigError(f"unknown market '{name}' for domain {domain.name}; choose from {names}")


# --- The registry ---------------------------------------------------------------------------

#: Extra domains registered in-process (tests, notebooks), by name; they win over entry points.
_REGISTERED: dict[str, Callable[[], Domain]] = {}


@cache
def _entry_point_factories() -> dict[str, Callable[[], Domain]]:
    found: dict[str, Callable[[], Domain]] = {}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        found[point.name] = _lazy(point.load)
    return found


def _lazy(load: Callable[[], Any]) -> Callable[[], Domain]:
    def build() -> Domain:
        factory = load()
        made: Domain = factory() if isinstance(factory, type) else factory
        return made

    return build


def register_domain(name: str, factory: Callable[[], Domain]) -> None:
    """Register a domain in this process (a plugin without an entry point, or a test's)."""
    _REGISTERED[name] = factory
    get_domain.cache_clear()


def unregister_domain(name: str) -> None:
    """Remove a domain :func:`register_domain` added."""
    _REGISTERED.pop(name, None)
    get_domain.cache_clear()


def domain_names() -> tuple[str, ...]:
    """The registered domains' names, sorted."""
    return tuple(sorted({*_entry_point_factories(), *_REGISTERED}))


@cache
def get_domain(name: str) -> Domain:
    """The registered domain ``name``.

    Raises
    ------
    ConfigError
        When no domain has that name (the message lists those that exist), or none is
        registered at all (formline is not installed, so its entry points are missing).
    """
    factory = _REGISTERED.get(name) or _entry_point_factories().get(name)
    if factory is None:
        names = domain_names()
        if not names:
            raise ConfigError(
                "no formline domain is registered: install the package (pip install -e .) so "
                f"its '{ENTRY_POINT_GROUP}' entry points exist"
            )
        raise ConfigError(f"--domain: unknown '{name}'; choose from {', '.join(names)}")
    domain = factory()
    if not isinstance(domain, Domain):
        missing = ", ".join(missing_members(domain)) or "?"
        raise ConfigError(
            f"{domain!r} is registered as formline domain '{name}' but is not one "
            f"(it lacks {missing})"
        )
    if domain.name != name:
        raise ConfigError(f"the domain registered as '{name}' calls itself '{domain.name}'")
    return domain


def missing_members(candidate: object) -> list[str]:
    """The members of the :class:`Domain` contract (attributes and methods) ``candidate``
    lacks, sorted: what keeps it from being a domain."""
    parts = [part for part in Domain.__mro__ if part.__module__ == Domain.__module__]
    names = {
        name
        for part in parts
        for name in [*getattr(part, "__annotations__", {}), *vars(part)]
        if not name.startswith("_")
    }
    return sorted(name for name in names if not hasattr(candidate, name))


def all_domains() -> list[Domain]:
    """Every registered domain, by name."""
    return [get_domain(name) for name in domain_names()]


def register_all_tables() -> None:
    """Put every registered domain's tables on the store's metadata (migrations, schema checks)."""
    for domain in all_domains():
        domain.register_tables()


def resolve_domain(domain: Domain | str | None = None) -> Domain:
    """``domain`` itself, the registered domain of that name, or (None) the default one: the
    only registered domain, else the ``FORMLINE_DOMAIN`` setting's (``matches`` unless set).

    Shared code that is given no domain uses this rather than naming one.

    Raises
    ------
    ConfigError
        For an unknown name (or setting), or when no domain is registered.
    """
    if domain is None:
        names = domain_names()
        if not names:
            raise ConfigError(
                "no formline domain is registered: install the package (pip install -e .)"
            )
        if len(names) == 1:
            return get_domain(names[0])
        from formline.settings import Settings

        return get_domain(Settings().formline_domain)
    if isinstance(domain, str):
        return get_domain(domain)
    return domain


def check_model_options(
    domain: Domain,
    model_type_name: str,
    *,
    use_market: bool = True,
    trials: int = 0,
    option: str = "--model-type",
) -> ModelType:
    """The declared model type, after refusing an unknown one, a price model without prices and
    a search the type does not have: before any data is read or any registry row written.

    Raises
    ------
    ConfigError
        Naming the option and the reason.
    """
    declared = model_type(domain, model_type_name, option=option)
    if not use_market and not declared.can_run_without_market():
        raise ConfigError(f"{option} {model_type_name} needs odds; it cannot run with --no-market")
    if trials < 0:
        raise ConfigError(f"--trials: {trials} is negative; give 0 (no search) or more")
    if trials and not declared.tunable:
        tunable = ", ".join(t.name for t in domain.model_types if t.tunable) or "no model type"
        raise ConfigError(
            f"--trials: only {tunable} has a search; --model-type is {model_type_name}"
        )
    return declared


def reference_metrics_key(domain: Domain) -> str:
    """Where a model's metrics hold its domain's reference model's on the same rows
    (``elo_reference`` for matches)."""
    return f"{domain.reference_model.replace('-', '_')}_reference"


def row_keys(domain: Domain) -> list[str]:
    """The columns that identify one row of the domain's frames: the event key, then the unit
    key where events have units."""
    return [domain.event_key] if domain.unit_key is None else [domain.event_key, domain.unit_key]


def uses_market(declared: ModelType, use_market: bool) -> bool:
    """Whether a model of ``declared`` type, trained with ``use_market``, reads prices."""
    return declared.uses_market if declared.uses_market is not None else use_market


@dataclass
class Window:
    """One refit of a backtest: its training rows (positions in the base frame) and the rows
    its calibrated model predicts (each ``(frame key, positions)``)."""

    train: Any
    predict: list[tuple[Hashable, Any]]


@dataclass(frozen=True)
class ReportSections:
    """A domain's part of a model report: ``facts`` about what was trained and validated (the
    header's ``(name, value)`` rows) and ``sections``, rendered HTML (``markupsafe.Markup``)."""

    facts: list[tuple[str, Any]]
    sections: list[Any]


def season_simulator(domain: Domain) -> SeasonSimulator | None:
    """The season simulation ``domain`` declares, imported (None when it declares none).

    Raises
    ------
    ConfigError
        If the declaration names no module or attribute.
    """
    spec = domain.season_simulation
    if spec is None:
        return None
    from importlib import import_module

    module_name, _, attribute = spec.partition(":")
    try:
        found: SeasonSimulator = getattr(import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(
            f"domain {domain.name}: season_simulation '{spec}' names nothing ({exc})"
        ) from exc
    return found


def plural(noun: str) -> str:
    """The plural of an event noun (``"match"`` gives ``"matches"``, ``"race"`` ``"races"``)."""
    return f"{noun}es" if noun.endswith(("s", "x", "ch", "sh")) else f"{noun}s"


def counted(domain: Domain, n: int) -> str:
    """``n`` rows of the domain's frames, named: ``"5 matches"``, ``"120 runners"``."""
    noun = domain.unit_noun or domain.event_noun
    return f"{n} {noun if n == 1 else plural(noun)}"
