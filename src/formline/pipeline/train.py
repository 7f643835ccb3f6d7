"""Training step: walk-forward validation, calibration, the registry and champion/challenger.

``train_model`` is what ``formline model:train`` and the daily pipeline call. It never splits at
random: rows are ordered by their start, validated walk-forward with a gap, calibrated on later
folds, and compared with the domain's reference model and the market's closing line on the same
events. What a model fits on, how it is scored and what the registry keeps of its validation
are the domain's (:class:`formline.domain.Domain`); this module holds the flow only.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from formline.core.calibration import CalibrationMethod
from formline.core.comparison import paired_bootstrap
from formline.core.splits import walk_forward_splits
from formline.domain import (
    Domain,
    EventFrame,
    check_model_options,
    model_type,
    plural,
    reference_metrics_key,
    resolve_domain,
    row_keys,
    uses_market,
)
from formline.errors import ConfigError, DataError
from formline.pipeline.leads import frames_at_leads, scores_by_lead
from formline.store import promotions, registry
from formline.store.artifacts import load_bundle, save_bundle
from formline.store.db import Store
from formline.store.promotions import Slot
from formline.store.tables import ALL_SCOPE
from formline.timeutil import utc_now_naive

log = logging.getLogger(__name__)

BUNDLE_FORMAT = 1
#: Keyword arguments every model type takes from the pipeline rather than its hyperparameters.
_PIPELINE_PARAMS = ("use_market", "random_state")


@dataclass(frozen=True)
class TrainConfig:
    """What to train, on which rows, and how to validate it (``model_type`` empty: the
    domain's default type, its first declared)."""

    model_type: str = ""
    as_of: datetime | None = None
    lookback_days: int = 3650
    competition: str | None = None
    use_market: bool = True
    trials: int = 0
    n_splits: int = 5
    gap_days: int = 7
    calibration: CalibrationMethod = "temperature"
    random_state: int = 0
    horizon_days: int = 90
    n_boot: int = 2000
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    #: Leads (days before the start) at which validation also scores the validated events;
    #: None: the domain's (``Domain.validation_leads``).
    validation_leads: tuple[float, ...] | None = None
    #: The job run training it (a dead run's version is failed with it).
    job_run_id: int | None = None
    #: The domain's registered name; None: the only registered domain.
    domain: str | None = None

    def __post_init__(self) -> None:
        if not self.model_type:
            object.__setattr__(self, "model_type", self.resolved_domain.model_types[0].name)
        check_model_options(
            self.resolved_domain, self.model_type, use_market=self.use_market, trials=self.trials
        )
        for name, value, least in (
            ("--lookback", self.lookback_days, 0),
            ("--seed", self.random_state, 0),
            ("horizon_days", self.horizon_days, 1),
            ("n_splits", self.n_splits, 2),
            ("gap_days", self.gap_days, 0),
        ):
            if value < least:
                raise ConfigError(f"{name}: {value} is below {least}")

    @property
    def resolved_domain(self) -> Domain:
        """The domain the config trains for."""
        return resolve_domain(self.domain)

    @property
    def leads(self) -> tuple[float, ...]:
        """The validation leads: :attr:`validation_leads`, else the domain's."""
        if self.validation_leads is not None:
            return tuple(self.validation_leads)
        return tuple(self.resolved_domain.validation_leads)


@dataclass
class TrainResult:
    """What training produced and what promotion decided."""

    version: registry.ModelVersion
    metrics: dict[str, Any]
    market_metrics: dict[str, Any] | None
    decision: str  # "deployed" or "kept"
    reason: str


def training_rows(
    frame: pd.DataFrame, as_of: datetime, config: TrainConfig, information: str | None = None
) -> pd.DataFrame:
    """Finished events starting in ``[as_of - lookback, as_of)`` (and the competition) whose
    information state admits a model needing ``information`` (None: the poorest state, a model
    without prices): a model that reads prices is trained and validated only on events whose
    prices were observed, the only ones it will ever be asked to predict."""
    domain = config.resolved_domain
    if information is None:
        information = domain.information_needed(False)
    start_at = frame[domain.start_column]
    start = as_of - timedelta(days=config.lookback_days)
    rows = frame[frame["finished"] & (start_at >= start) & (start_at < as_of)]
    if config.competition:
        rows = rows[rows[domain.scope_column] == config.competition]
        if rows.empty:
            events = plural(domain.event_noun)
            raise DataError(f"--competition {config.competition}: no finished {events} to train on")
    rows = rows[domain.admits(information, rows)]
    return rows.reset_index(drop=True)


def model_name(config: TrainConfig, information: str) -> str:
    """The registry name: type, ``-no-market`` for a model without prices (unless its type never
    reads them, as declared by the domain), and the competition scope."""
    domain = config.resolved_domain
    name = config.model_type
    declared = model_type(domain, config.model_type)
    if information != domain.information_needed(True) and declared.uses_market is not False:
        name += "-no-market"
    return f"{name}-{config.competition}" if config.competition else name


def build_prototype(
    model_type: str, config: TrainConfig, params: dict[str, Any], use_market: bool | None = None
) -> Any:
    """An unfitted model of ``model_type`` with the pipeline's and the given parameters."""
    clean = {k: v for k, v in params.items() if k not in _PIPELINE_PARAMS}
    market = config.use_market if use_market is None else use_market
    return config.resolved_domain.make_model(
        model_type, use_market=market, random_state=config.random_state, **clean
    )


def _champion_losses(
    store: Store,
    champion: registry.ModelVersion,
    X: pd.DataFrame,
    y: Any,
    splits: list[Any],
    config: TrainConfig,
) -> Any:
    """The champion's procedure (type and hyperparameters) refitted on the same folds."""
    prototype = build_prototype(
        champion.model_type, config, champion.hyperparameters, use_market=champion.uses_market
    )
    return config.resolved_domain.walk_forward(prototype, X, y, splits, config.calibration)


def decide_promotion(
    challenger_loss: np.ndarray,
    incumbent_loss: np.ndarray,
    incumbent: str,
    n_boot: int,
    seed: int,
    *,
    loss: str,
    events: str,
) -> tuple[bool, str]:
    """Deploy only on a lower headline ``loss`` (its name, from the domain) with a paired
    bootstrap interval that excludes zero; ``events`` names what the losses are of."""
    boot = paired_bootstrap(challenger_loss, incumbent_loss, n_boot=n_boot, random_state=seed)
    summary = (
        f"{loss} {challenger_loss.mean():.4f} vs {incumbent} {incumbent_loss.mean():.4f} "
        f"on {len(challenger_loss)} {events}; difference {boot.mean_diff:+.4f} "
        f"(95% CI {boot.low:+.4f} to {boot.high:+.4f})"
    )
    if boot.mean_diff < 0 and boot.high < 0:
        return True, f"beats {incumbent}: {summary}"
    return False, f"does not beat {incumbent}: {summary}"


def training_window(
    frame: EventFrame, as_of: datetime, config: TrainConfig, information: str
) -> tuple[pd.DataFrame, list[Any]]:
    """The training rows (see :func:`training_rows`) and their walk-forward splits.

    Raises
    ------
    DataError
        When there are fewer than 200 rows to validate on.
    """
    domain = config.resolved_domain
    rows = training_rows(frame.frame, as_of, config, information)
    if len(rows) < 200:
        reads_prices = information == domain.information_needed(True)
        what = " with observed prices" if reads_prices else ""
        raise DataError(
            f"only {len(rows)} finished {plural(domain.event_noun)}{what} in the training "
            "window; need at least 200"
        )
    start = domain.start_column
    splits = walk_forward_splits(
        rows[start].to_numpy(), n_splits=config.n_splits, gap=timedelta(days=config.gap_days)
    )
    return rows, splits


@dataclass
class Validated:
    """A model's walk-forward validation beside its domain's reference model and the market."""

    #: Out-of-fold predictions of the model and of the reference, aligned with each other (the
    #: domain's objects: ``rows`` are the scored positions in the training rows).
    result: Any
    reference: Any
    #: The model's metrics, with the reference's, the market comparison and the lead breakdown.
    metrics: dict[str, Any]
    #: The closing line's metrics on the events with closing odds (None when too few have it).
    market_metrics: dict[str, Any] | None
    #: One row per validated event: ids, result, fold, probabilities, reference, prices.
    frame: pd.DataFrame


def validate(
    prototype: Any,
    rows: pd.DataFrame,
    splits: list[Any],
    config: TrainConfig,
    information: str,
    lead_frames: dict[str, pd.DataFrame] | None = None,
) -> Validated:
    """Walk ``prototype`` and the domain's reference model forward over ``splits`` of ``rows``
    (calibrated on earlier folds), and score both beside the market's closing line."""
    lead_frames = lead_frames or {}
    domain = config.resolved_domain
    y = domain.targets(rows)
    result = domain.walk_forward(prototype, rows, y, splits, config.calibration, extra=lead_frames)
    reference = domain.walk_forward(
        build_prototype(domain.reference_model, config, {}),
        rows,
        y,
        splits,
        config.calibration,
        extra=lead_frames,
    )
    scored = rows.iloc[result.rows].reset_index(drop=True)
    metrics = domain.evaluate(scored, result)
    metrics["raw"] = domain.evaluate_headline(scored, result, raw=True)
    on_market, market_metrics = domain.evaluate_market(scored, result)
    if on_market is not None:
        metrics[f"on_market_{plural(domain.event_noun)}"] = on_market
    reference_key = reference_metrics_key(domain)
    metrics[reference_key] = domain.evaluate(scored, reference)
    metrics["by_lead"] = scores_by_lead(domain, rows, information, lead_frames, result)
    # The reference never reads prices: it is scored on every event at every lead.
    metrics[reference_key]["by_lead"] = scores_by_lead(
        domain, rows, domain.information_needed(False), lead_frames, reference
    )
    frame = domain.validation_frame(rows, result, reference)
    return Validated(result, reference, metrics, market_metrics, frame)


@dataclass
class TrainingData:
    """The modelling frame as of one instant, and every finished event as known at each
    validation lead, each computed once on first use: the models one daily run trains share
    them instead of building the features again per model."""

    store: Store
    as_of: datetime
    #: The validation leads (None: the domain's, ``Domain.validation_leads``).
    leads: tuple[float, ...] | None = None
    #: The domain (None: the only registered one).
    domain: Domain | None = None
    _frame: EventFrame | None = None
    _at_leads: dict[str, pd.DataFrame] | None = None

    @property
    def resolved_domain(self) -> Domain:
        """The domain whose events these are."""
        return resolve_domain(self.domain)

    @property
    def resolved_leads(self) -> tuple[float, ...]:
        """The validation leads: :attr:`leads`, else the domain's."""
        if self.leads is not None:
            return tuple(self.leads)
        return tuple(self.resolved_domain.validation_leads)

    @property
    def match_frame(self) -> EventFrame:
        """Every event with its features as of ``as_of``."""
        if self._frame is None:
            self._frame = self.resolved_domain.load_frame(self.store, self.as_of)
        return self._frame

    def lead_frames(self, rows: pd.DataFrame) -> dict[str, pd.DataFrame]:
        """``rows`` (finished events of :attr:`match_frame`) as known at each lead, row for
        row (see :func:`~formline.pipeline.leads.frames_at_leads`)."""
        if self._at_leads is None:
            frame = self.match_frame.frame
            finished = frame[frame["finished"]].reset_index(drop=True)
            self._at_leads = frames_at_leads(
                self.store, self.as_of, finished, self.resolved_leads, self.resolved_domain
            )
        keys = row_keys(self.resolved_domain)
        out = {}
        for label, frame in self._at_leads.items():
            positions = frame[keys].assign(_position=np.arange(len(frame)))
            picked = rows[keys].merge(positions, on=keys, how="left", validate="m:1")
            out[label] = frame.iloc[picked["_position"].to_numpy()].reset_index(drop=True)
        return out


def train_model(
    store: Store, config: TrainConfig, model_dir: Path, data: TrainingData | None = None
) -> TrainResult:
    """Train, validate, register and (if it earns it) deploy one model.

    ``data``, when given, is the modelling frame (and lead frames) as of ``config.as_of``,
    shared with other models trained as of the same instant.

    Raises
    ------
    DataError
        When there are too few finished events to validate walk-forward.
    """
    as_of = config.as_of or utc_now_naive()
    params = dict(config.hyperparameters)
    prototype = build_prototype(config.model_type, config, params)
    domain = config.resolved_domain
    declared = model_type(domain, config.model_type)
    reads_prices = uses_market(declared, config.use_market)
    information = domain.information_needed(reads_prices)
    if (
        data is None
        or data.as_of != as_of
        or data.resolved_domain.name != domain.name
        or data.resolved_leads != config.leads
    ):
        data = TrainingData(store, as_of, config.leads, domain)
    match_frame: EventFrame = data.match_frame
    rows, splits = training_window(match_frame, as_of, config, information)
    X = rows
    y = domain.targets(rows)
    started = time.perf_counter()
    slot = Slot(domain.name, config.competition or ALL_SCOPE, information)
    version = registry.create_model_version(
        store,
        name=model_name(config, information),
        domain=domain.name,
        information=information,
        model_type=config.model_type,
        horizon_days=config.horizon_days,
        training_as_of=as_of,
        window_start=rows[domain.start_column].min().to_pydatetime(),
        window_end=rows[domain.start_column].max().to_pydatetime(),
        feature_version=match_frame.feature_version,
        feature_names=domain.model_features(prototype),
        uses_market=reads_prices,
        hyperparameters=_json_params(prototype),
        competition=config.competition,
        random_state=config.random_state,
        job_run_id=config.job_run_id,
    )
    try:
        if config.trials and declared.tunable:
            from formline.pipeline.tuning import tune

            params.update(tune(store, X, y, splits, config, match_frame.feature_version, as_of))
            prototype = build_prototype(config.model_type, config, params)
        validated = validate(prototype, rows, splits, config, information, data.lead_frames(rows))
        result, reference = validated.result, validated.reference
        metrics, market_metrics = validated.metrics, validated.market_metrics
        scored = rows.iloc[result.rows].reset_index(drop=True)
        final = clone_fit(prototype, X, y)
        validation = validated.frame
        bundle = {
            "format_version": BUNDLE_FORMAT,
            "model_type": config.model_type,
            "model": final,
            **domain.final_calibrators(result, y, config.calibration),
            "feature_version": match_frame.feature_version,
            "feature_names": domain.model_features(final),
            "metrics": metrics,
            "validation": validation,
            "hyperparameters": _json_params(final),
        }
        path, checksum = save_bundle(model_dir, version.name, version.version, bundle)
        version = registry.complete_model_version(
            store,
            version.id,
            n_train=len(rows),
            n_validation=len(result.rows),
            metrics=metrics,
            market_metrics=market_metrics,
            validation={
                f"{domain.event_key}s": [int(m) for m in pd.unique(validation[domain.event_key])]
            },
            artifact_path=str(path),
            artifact_sha256=checksum,
            train_seconds=time.perf_counter() - started,
            hyperparameters=bundle["hyperparameters"],
        )
        # Promotion: the same validation events, the champion's procedure refitted on them,
        # compared by the domain's headline loss.
        loss, losses = domain.headline_loss(scored, result)
        with store.connect("reading the champion") as conn:
            champion = promotions.champion_at(conn, slot, as_of)
        if champion is not None and champion.id != version.id:
            incumbent = _champion_losses(store, champion, X, y, splits, config)
            _, incumbent_loss = domain.headline_loss(scored, incumbent)
            label = f"champion {champion.name} v{champion.version} of {slot}"
        else:
            _, incumbent_loss = domain.headline_loss(scored, reference)
            label = f"the {domain.reference_model} reference"
        deploy, reason = decide_promotion(
            losses,
            incumbent_loss,
            label,
            config.n_boot,
            config.random_state,
            loss=loss,
            events=plural(domain.event_noun),
        )
        if deploy:
            version = promotions.deploy(store, version.id, reason=reason, effective_at=as_of)
        else:
            promotions.reject(store, version.id, reason=reason)
            version = registry.get_model_version(store, version.id)
        return TrainResult(
            version, metrics, market_metrics, "deployed" if deploy else "kept", reason
        )
    except Exception as exc:
        registry.fail_model_version(store, version.id, f"{type(exc).__name__}: {exc}")
        raise


def clone_fit(prototype: Any, X: pd.DataFrame, y: Any) -> Any:
    """A clone of ``prototype`` fitted on every row."""
    from sklearn.base import clone

    return clone(prototype).fit(X, y)


_JSON_SCALARS = (int, float, str, bool, type(None))


def _json_params(model: Any) -> dict[str, Any]:
    """The model's own hyperparameters that JSON holds: scalars and lists of scalars (a
    scikit-learn ``Pipeline``'s ``steps``, estimators, are left out)."""
    params = model.get_params(deep=False) if hasattr(model, "get_params") else {}
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, tuple | list):
            value = list(value)
            if not all(isinstance(v, _JSON_SCALARS) for v in value):
                continue
        if isinstance(value, (*_JSON_SCALARS, list)):
            out[key] = value
    return out


def load_model_bundle(version: registry.ModelVersion) -> dict[str, Any]:
    """The verified bundle of a model version (checksum and feature version checked first).

    Raises
    ------
    ModelNotFoundError
        When the bundle file is missing.
    SchemaMismatchError
        When the bundle's checksum or feature version does not match the registry.
    """
    return load_bundle(
        Path(version.artifact_path or ""),
        expected_sha256=version.artifact_sha256 or "",
        expected_feature_version=version.feature_version,
    )


def load_champions(
    store: Store, as_of: datetime, domain: Domain | str | None = None
) -> dict[promotions.Slot, tuple[registry.ModelVersion, dict[str, Any]]]:
    """Every slot's champion as of ``as_of`` with its verified bundle.

    The champion as of an instant was deployed from at or before it, so it was trained on data
    observed before it: a replay never uses a model that saw the results it predicts.

    Raises
    ------
    ModelNotFoundError
        When no model was deployed as of ``as_of`` (the message says whether later champions
        exist, trained on data observed after it).
    SchemaMismatchError
        When a bundle's checksum or feature version does not match the registry.
    """
    from formline.errors import ModelNotFoundError

    domain = resolve_domain(domain)
    found = promotions.champions_at(store, domain.name, as_of)
    if not found:
        newest = promotions.champions_at(store, domain.name)
        if newest:
            later = ", ".join(
                f"{m.label} (trained as of {m.training_as_of:%Y-%m-%d %H:%M})"
                for m in newest.values()
            )
            raise ModelNotFoundError(
                f"no model was deployed as of {as_of:%Y-%m-%d %H:%M}: the champions ({later}) "
                "were trained on data observed after it and would predict results they saw; "
                f"train one with `formline model:train --as-of {as_of:%Y-%m-%d}` (or earlier)"
            )
        raise ModelNotFoundError(
            f"no deployed model of domain {domain.name}: train one with `formline model:train "
            f"--domain {domain.name}` (or promote one with `formline model:promote ID`)"
        )
    return {slot: (model, load_model_bundle(model)) for slot, model in found.items()}
