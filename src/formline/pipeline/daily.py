"""The daily pipeline: ingest updates, build features, train when due, publish predictions,
simulate the seasons in progress.

Each step is a plain function with serialisable arguments (so a task queue can run it) and
writes a ``job_runs`` row. A failed step stops the run and records why; the prediction step
publishes in one transaction, so a failure never leaves a partial snapshot.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from formline.domain import check_model_options, counted, model_type, plural, resolve_domain
from formline.errors import CacheError, ConfigError
from formline.pipeline.warm import CacheTarget
from formline.store import promotions
from formline.store.db import Store
from formline.store.jobs import fail_training_versions, finish_job, start_job
from formline.store.tables import ALL_SCOPE
from formline.store.types import utcnow


@dataclass(frozen=True)
class DailyConfig:
    """What a daily run does. Everything is a plain value, so a queue can carry it."""

    as_of: datetime
    horizon_days: int = 90
    ingest_paths: tuple[str, ...] = ()
    #: Bounds on each ingested file, plain values (``max_file_mb``, ``max_line_kb``,
    #: ``max_rejects``; None: the domain's adapter's defaults).
    ingest_limits: Mapping[str, Any] | None = None
    skip_ingest: bool = False
    skip_features: bool = False
    skip_train: bool = False
    skip_predictions: bool = False
    #: Seasons simulated per competition with a season in progress, after predicting (0: the
    #: step is skipped).
    simulations: int = 10_000
    force_train: bool = False
    retrain_days: int = 7
    #: The model types to train (empty: the domain's default type, its first declared).
    model_types: tuple[str, ...] = ()
    use_market: bool = True
    lookback_days: int = 3650
    triggered_by: str = "manual"
    #: Prune snapshots created more than this many days ago (None: no cleanup step).
    retention_days: int | None = None
    #: The API's Redis, warmed after a publish (None: the step is skipped).
    cache: CacheTarget | None = None
    #: The domain's registered name; None: the only registered domain.
    domain: str | None = None

    def __post_init__(self) -> None:
        # Checked before any step runs: a mistyped type must not wait for the others to train.
        domain = resolve_domain(self.domain)
        if not self.model_types:
            object.__setattr__(self, "model_types", (domain.model_types[0].name,))
        for name in self.model_types:
            check_model_options(domain, name, use_market=self.use_market, option="--model-types")
        if self.horizon_days < 1:
            raise ConfigError(f"--horizon: {self.horizon_days} is below 1")


@dataclass
class StepOutcome:
    """One step's result as recorded in ``job_runs``."""

    step: str
    status: str
    rows: int | None = None
    detail: str = ""
    result: Any = None


@dataclass
class DailyResult:
    """Every step of one run, in order."""

    run_id: str
    steps: list[StepOutcome] = field(default_factory=list)

    @property
    def succeeded(self) -> bool:
        """True when no step failed."""
        return all(s.status != "failed" for s in self.steps)


def step_ingest(store: Store, config: DailyConfig) -> StepOutcome:
    """Re-load the configured paths through the domain's source adapter (upserts: unchanged
    rows stay as they are; see :meth:`formline.domain.Domain.ingest_paths`)."""
    from formline.pipeline.ingest import ingest_paths

    if not config.ingest_paths:
        return StepOutcome("ingest", "skipped", detail="no FORMLINE_INGEST_PATHS configured")
    paths = [Path(p) for p in config.ingest_paths]
    done = ingest_paths(store, paths, limits=config.ingest_limits, domain=config.domain)
    return StepOutcome("ingest", "succeeded", rows=done.rows, detail=done.detail)


def step_features(store: Store, config: DailyConfig) -> StepOutcome:
    """Build and store feature snapshots as of the run's instant."""
    from formline.pipeline.features import build_features

    domain = resolve_domain(config.domain)
    build = build_features(store, config.as_of, domain=domain)
    return StepOutcome(
        "features", "succeeded", rows=build.written, detail=counted(domain, len(build.frame))
    )


def training_plan(config: DailyConfig) -> list[tuple[str, bool]]:
    """(model type, use_market) pairs to train: each type in every information state it has.

    With market features allowed, a type that can read prices is trained twice, with and
    without them, so there is a champion for matches whose prices are observed and one for
    matches further out (``market`` needs prices; ``elo`` and ``dixon-coles`` never read them).
    """
    domain = resolve_domain(config.domain)
    plan: list[tuple[str, bool]] = []
    for name in config.model_types:
        declared = model_type(domain, name, option="--model-types")
        if declared.uses_market is not None:
            plan.append((name, declared.uses_market))
        elif not config.use_market:
            plan.append((name, False))
        else:
            plan += [(name, True), (name, False)]
    return plan


def training_due(store: Store, config: DailyConfig) -> tuple[bool, str]:
    """Train when forced, when a slot the plan fills has no champion as of the run's instant,
    or when the oldest of those champions is older than ``retrain_days``."""
    resolved = resolve_domain(config.domain)
    domain = resolved.name
    if config.force_train:
        return True, "forced"
    states = sorted({resolved.information_needed(market) for _, market in training_plan(config)})
    champions = promotions.champions_at(store, domain, config.as_of)
    missing = [s for s in states if promotions.Slot(domain, ALL_SCOPE, s) not in champions]
    if missing:
        return True, f"no champion as of {config.as_of:%Y-%m-%d %H:%M} for {', '.join(missing)}"
    trained = min(
        champions[promotions.Slot(domain, ALL_SCOPE, s)].training_as_of.replace(tzinfo=None)
        for s in states
    )
    age = config.as_of - trained
    if age >= timedelta(days=config.retrain_days):
        return True, f"champion trained {age.days} days before"
    return False, f"champion trained {age.days} days before (retrain every {config.retrain_days})"


def step_train(
    store: Store, config: DailyConfig, model_dir: Path, job_run_id: int | None = None
) -> StepOutcome:
    """Train each configured model type (in each information state) when due;
    champion/challenger decides deployment. ``job_run_id`` (the step's ``job_runs`` row) links
    each version to the run training it."""
    from formline.pipeline.train import TrainConfig, TrainingData, train_model

    due, why = training_due(store, config)
    if not due:
        return StepOutcome("train", "skipped", detail=why)
    # The features are built once for every model.
    data = TrainingData(store, config.as_of, domain=resolve_domain(config.domain))
    results = []
    for name, use_market in training_plan(config):
        train_config = TrainConfig(
            model_type=name,
            as_of=config.as_of,
            lookback_days=config.lookback_days,
            use_market=use_market,
            horizon_days=config.horizon_days,
            job_run_id=job_run_id,
            domain=config.domain,
        )
        results.append(train_model(store, train_config, model_dir, data))
    deployed = [r.version.name for r in results if r.decision == "deployed"]
    trained = ", ".join(r.version.name for r in results)
    return StepOutcome(
        "train",
        "succeeded",
        rows=len(results),
        detail=f"{why}; trained {trained}; deployed {', '.join(deployed) or 'none'}",
        result=results,
    )


def step_predictions(store: Store, config: DailyConfig) -> StepOutcome:
    """Publish the deployed model's predictions for the horizon."""
    from formline.pipeline.predict import run_predictions

    domain = resolve_domain(config.domain)
    result = run_predictions(store, config.as_of, config.horizon_days, domain=domain)
    missed = "".join(
        f"; {counted(domain, n)} ({state}) without a champion for that information"
        for state, n in sorted(result.unpredicted.items())
    )
    if result.snapshot_id is None:
        return StepOutcome(
            "predictions",
            "succeeded",
            rows=0,
            detail=f"no {plural(domain.event_noun)} predicted{missed}",
        )
    state = "new" if result.created else "unchanged"
    if not result.published:
        state += ", not published: the current snapshot is as of a later instant"
    return StepOutcome(
        "predictions",
        "succeeded",
        rows=len(result.predictions),
        detail=f"snapshot {result.snapshot_id} ({state}){missed}",
        result=result,
    )


def step_simulations(store: Store, config: DailyConfig) -> StepOutcome:
    """Simulate every season in progress from the champions deployed as of the run's instant
    and publish each (see :func:`formline.pipeline.simulate.simulate_in_progress`); skipped,
    with the reason, when the domain keeps no league tables or no season is in progress."""
    from formline.domain import season_simulator
    from formline.pipeline.simulate import simulate_in_progress

    domain = resolve_domain(config.domain)
    if config.simulations < 1:
        return StepOutcome("simulations", "skipped", detail="no simulations configured")
    if season_simulator(domain) is None:
        return StepOutcome(
            "simulations", "skipped", detail=f"domain {domain.name} keeps no league tables"
        )
    results, refused = simulate_in_progress(
        store, config.as_of, n_sims=config.simulations, domain=domain
    )
    parts = [
        f"{r.competition} {r.season}: simulation {r.simulation_id} "
        f"({'new' if r.created else 'unchanged'}{'' if r.published else ', not published'})"
        for r in results
    ]
    parts += [f"{competition} not simulated: {why}" for competition, why in refused.items()]
    if not results:
        why = "; ".join(parts) or f"no season in progress at {config.as_of:%Y-%m-%d %H:%M}"
        return StepOutcome("simulations", "skipped", rows=0, detail=why)
    return StepOutcome(
        "simulations", "succeeded", rows=len(results), detail="; ".join(parts), result=results
    )


def step_warm_cache(store: Store, config: DailyConfig) -> StepOutcome:
    """Warm the API's Redis with the new snapshot's hot responses.

    A Redis that does not answer skips the step (with the reason) instead of failing the run: the
    API answers from the store and fills the cache on its first requests.
    """
    from formline.pipeline.warm import warm_api_cache

    if config.cache is None:
        return StepOutcome(
            "warm_cache", "skipped", detail="no REDIS_URL: API processes warm their own caches"
        )
    try:
        warmed = warm_api_cache(store, config.cache)
    except CacheError as exc:
        return StepOutcome("warm_cache", "skipped", detail=f"Redis did not answer: {exc}")
    if warmed.snapshot_id is None:
        return StepOutcome("warm_cache", "skipped", rows=0, detail="nothing published yet")
    return StepOutcome(
        "warm_cache",
        "succeeded",
        rows=warmed.written,
        detail=f"snapshot {warmed.snapshot_id}: {warmed.written} responses cached, "
        f"{warmed.present} already there",
    )


def step_cleanup(store: Store, config: DailyConfig) -> StepOutcome:
    """Prune prediction snapshots older than the retention (see formline.store.retention)."""
    from formline.store.retention import prune_snapshots

    if config.retention_days is None:
        return StepOutcome("cleanup", "skipped", detail="no retention configured")
    # Snapshots record when they were written (wall clock), so the cutoff is on that clock too,
    # whatever as_of the run replays.
    cutoff = utcnow() - timedelta(days=config.retention_days)
    pruned = prune_snapshots(store, cutoff=cutoff)
    return StepOutcome(
        "cleanup",
        "succeeded",
        rows=pruned.snapshots_deleted,
        detail=f"{pruned.snapshots_deleted} snapshots ({pruned.predictions_deleted} predictions) "
        f"created before {cutoff:%Y-%m-%d} deleted; kept {pruned.kept_current} current and "
        f"{pruned.kept_for_evaluation} needed to evaluate the deployed model",
        result=pruned,
    )


def run_daily(
    store: Store,
    config: DailyConfig,
    model_dir: Path,
    on_step: Callable[[StepOutcome], None] | None = None,
    run_id: str | None = None,
    predict: Callable[[Store, DailyConfig], StepOutcome] | None = None,
) -> DailyResult:
    """Run every step not skipped, in order, stopping at the first failure.

    ``predict`` replaces the prediction step (default :func:`step_predictions`): a task queue's
    version predicts the partitions on its workers and publishes them together (formline.jobs).

    Each step's ``job_runs`` row records its outcome and detail (a skipped step's reason
    included); a step interrupted (Ctrl-C, SIGTERM) is recorded ``aborted``. ``run_id`` groups
    the steps with the command's own row (default: a new id).
    """
    run = DailyResult(run_id=run_id or str(uuid.uuid4()))
    job_ids: dict[str, int] = {}
    predict_step = predict or step_predictions
    steps: list[tuple[str, bool, Callable[[], StepOutcome]]] = [
        ("ingest", config.skip_ingest, lambda: step_ingest(store, config)),
        ("features", config.skip_features, lambda: step_features(store, config)),
        (
            "train",
            config.skip_train,
            lambda: step_train(store, config, model_dir, job_ids.get("train")),
        ),
        ("predictions", config.skip_predictions, lambda: predict_step(store, config)),
        ("simulations", config.skip_predictions, lambda: step_simulations(store, config)),
        ("warm_cache", config.skip_predictions, lambda: step_warm_cache(store, config)),
        ("cleanup", False, lambda: step_cleanup(store, config)),
    ]
    params = {"as_of": config.as_of.isoformat(), "horizon_days": config.horizon_days}
    for name, skipped, call in steps:
        job_id = start_job(
            store, run_id=run.run_id, step=name, triggered_by=config.triggered_by, params=params
        )
        job_ids[name] = job_id
        if skipped:
            outcome = StepOutcome(name, "skipped", detail="skipped by option")
        else:
            try:
                outcome = call()
            except Exception as exc:
                message = f"{type(exc).__name__}: {exc}"
                finish_job(store, job_id, status="failed", error=message)
                outcome = StepOutcome(name, "failed", detail=message)
                run.steps.append(outcome)
                if on_step:
                    on_step(outcome)
                raise
            except BaseException as exc:  # Ctrl-C, SIGTERM: never left "running"
                why = f"interrupted: {exc or type(exc).__name__}"
                fail_training_versions(store, job_id, f"aborted: {why}")
                finish_job(store, job_id, status="aborted", error=why)
                raise
        finish_job(
            store,
            job_id,
            status=outcome.status,
            rows=outcome.rows,
            error=None,
            detail=outcome.detail or None,
        )
        run.steps.append(outcome)
        if on_step:
            on_step(outcome)
    return run
