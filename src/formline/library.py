"""formline from Python: the library API for notebooks and scripts.

Everything here is also what the command line does, through the same pipeline: the same
point-in-time features, the same walk-forward validation, the same market comparison. Each
function takes a ``domain`` (a registered name, a :class:`~formline.domain.Domain`, or None for
the only registered one)::

    import formline as fl

    store = fl.open_store()                                 # FORMLINE_HOME / DATABASE_URL
    frame = fl.load_features(store, as_of="2024-01-01")     # one row per event, as known then
    catalog = fl.list_features()                            # name, group, description
    report = fl.walk_forward(store, "logistic", as_of="2024-01-01")
    report.metrics["log_loss"], report.market_metrics["log_loss"]

See the README's "Python API" section.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from formline.domain import Domain, resolve_domain
from formline.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

    from formline.core.calibration import CalibrationMethod
    from formline.store.db import Store

__all__ = [
    "WalkForwardReport",
    "get_historical_features",
    "list_features",
    "load_features",
    "open_store",
    "read_predictions",
    "walk_forward",
]


def _instant(value: datetime | str | None) -> datetime:
    from formline.timeutil import parse_instant, utc_now_naive

    if value is None:
        return utc_now_naive()
    if isinstance(value, str):
        return parse_instant(value, "as_of")
    return value.replace(tzinfo=None) if value.tzinfo is None else parse_instant(value.isoformat())


def open_store(url: str | None = None, *, create: bool = False) -> Store:
    """The store at ``url`` (a SQLAlchemy URL), or the configured one (``DATABASE_URL``, else
    the SQLite file under ``FORMLINE_HOME``), migrated to the current schema.

    Raises
    ------
    StoreNotFoundError
        When there is no store there and ``create`` is false.
    """
    from formline.settings import Settings
    from formline.store.db import open_store as open_url

    settings = Settings()
    url = url or settings.resolved_database_url
    return open_url(url, create=create, timeouts=settings.worker_store_timeouts())


def list_features(domain: Domain | str | None = None) -> pd.DataFrame:
    """Every feature of ``domain`` in column order: ``name``, ``group``, ``description``,
    ``uses_market`` (derived from betting odds) and ``version``."""
    import pandas as pd

    specs = resolve_domain(domain).feature_set()
    return pd.DataFrame(
        [
            {
                "name": s.name,
                "group": s.group,
                "description": s.description,
                "uses_market": s.uses_market,
                "version": s.version,
            }
            for s in specs
        ]
    )


def load_features(
    store: Store, as_of: datetime | str | None = None, domain: Domain | str | None = None
) -> pd.DataFrame:
    """Every event with its point-in-time features as of ``as_of`` (default now), its ids, the
    results known at ``as_of`` (blank otherwise; ``finished`` says which) and the market
    reference prices (closing-line probabilities evaluate models; they are never features).

    An event that started before ``as_of`` has the features it had at its start; one after,
    the features as of ``as_of``: exactly what a model could have seen then.
    """
    return resolve_domain(domain).load_frame(store, _instant(as_of)).frame


def get_historical_features(
    store: Store,
    entity_df: pd.DataFrame,
    as_of: datetime | str | None = None,
    domain: Domain | str | None = None,
) -> pd.DataFrame:
    """The features of each row of ``entity_df`` as of that row's own instant (Feast's
    ``get_historical_features``): bitemporal, each row sees only what was observed before it.

    Parameters
    ----------
    entity_df
        One row per (event, instant): the domain's event key (``match_id`` for matches) and
        ``as_of``; other columns are kept as they are.
    as_of
        When the results (targets) are read as of (default now). Features never see past each
        row's own instant; the targets are what is known at ``as_of``.

    Returns
    -------
    pandas.DataFrame
        ``entity_df``'s rows in its order (each repeated once per unit, such as a race's
        runners, for a domain with units), with the features, ids, targets and market
        references; ``cutoff_at`` is each row's instant, capped at the event's start.

    Raises
    ------
    DataError
        When ``entity_df`` lacks the key or ``as_of``, or names an event the store lacks.
    """
    import pandas as pd

    resolved = resolve_domain(domain)
    key, start = resolved.event_key, resolved.start_column
    missing = [c for c in (key, "as_of") if c not in entity_df.columns]
    if missing:
        raise DataError(f"entity_df lacks the column(s) {', '.join(missing)}")
    instants = pd.to_datetime(entity_df["as_of"], utc=True).dt.tz_localize(None)
    queries = pd.DataFrame({key: entity_df[key].to_numpy(), "cutoff_at": instants.to_numpy()})
    built = resolved.load_frame(store, _instant(as_of), queries=queries).frame
    built = built.astype({"cutoff_at": "datetime64[us]"})
    starts = built.drop_duplicates(key).set_index(key)[start]
    known = queries[key].isin(starts.index)
    if not known.all():
        ids = queries.loc[~known, key].head(5).tolist()
        raise DataError(f"entity_df names events the store does not have: {ids}")
    # The builder caps each instant at the event's start (nothing is later than the start).
    event_start = pd.to_datetime(queries[key].map(starts)).astype("datetime64[us]")
    cutoffs = (
        queries["cutoff_at"]
        .astype("datetime64[us]")
        .where(queries["cutoff_at"] < event_start, event_start)
    )
    wanted = pd.DataFrame({key: queries[key], "cutoff_at": cutoffs, "_row": range(len(queries))})
    # An event with units (a race's runners) gives one row per unit, in the entity rows' order.
    joined = wanted.merge(
        built,
        on=[key, "cutoff_at"],
        how="left",
        validate="many_to_one" if resolved.unit_key is None else "many_to_many",
    )
    given = entity_df.reset_index(drop=True).iloc[joined.pop("_row").to_numpy()]
    given = given.reset_index(drop=True)
    return pd.concat([given, joined.drop(columns=[c for c in given if c in joined])], axis=1)


@dataclass
class WalkForwardReport:
    """A model's walk-forward validation as of one instant.

    ``metrics`` are the model's out-of-fold scores (log loss, Brier, RPS, ECE ...) with the
    domain's reference model's beside them and the breakdown by lead; ``market_metrics`` the
    closing line's on the events that have one (None with fewer than 30), and
    ``metrics["on_market_matches"]`` the model's on the same events; ``predictions`` one row per
    validated event (fold, calibrated and raw probabilities, the reference's, the prices).
    """

    model: Any
    metrics: dict[str, Any]
    market_metrics: dict[str, Any] | None
    predictions: pd.DataFrame
    n_train: int


def walk_forward(
    store: Store,
    model: Any = "logistic",
    as_of: datetime | str | None = None,
    *,
    domain: Domain | str | None = None,
    use_market: bool = True,
    lookback_days: int = 3650,
    competition: str | None = None,
    n_splits: int = 5,
    gap_days: int = 7,
    calibration: CalibrationMethod = "temperature",
    random_state: int = 0,
) -> WalkForwardReport:
    """Validate ``model`` walk-forward on the events finished before ``as_of``, exactly as
    ``formline model:train`` does (expanding windows by start time with a gap, calibration on
    earlier folds), beside the domain's reference model and the market; nothing is registered.

    ``model`` is a registered model type (``"logistic"``, ``"lightgbm"`` ...), a model of the
    domain (for matches the ``MatchModel`` contract: ``uses_market``, ``fit(X, y)``,
    ``predict_proba``, ``predict_over_proba``; for races a ``RaceEstimator``), used as it is, or
    any scikit-learn classifier, which the domain wraps (``Domain.as_model``; for matches
    ``ClassifierMatchModel``, one clone per market) and fits on its registered features (without
    the odds-derived ones if ``use_market`` is false).

    Raises
    ------
    ConfigError
        For an unknown model type or bad options.
    DataError
        With fewer than 200 finished events in the window.
    """
    from formline.domain import model_type, uses_market
    from formline.pipeline.train import (
        TrainConfig,
        TrainingData,
        build_prototype,
        training_window,
        validate,
    )

    resolved = resolve_domain(domain)
    instant = _instant(as_of)
    # A custom model still needs a config: the domain's default type stands in for its name.
    name = model if isinstance(model, str) else resolved.model_types[0].name
    config = TrainConfig(
        model_type=name,
        as_of=instant,
        lookback_days=lookback_days,
        competition=competition,
        use_market=use_market,
        n_splits=n_splits,
        gap_days=gap_days,
        calibration=calibration,
        random_state=random_state,
        domain=resolved.name,
    )
    if isinstance(model, str):
        prototype = build_prototype(name, config, {})
        reads_prices = uses_market(model_type(resolved, name), use_market)
    else:
        prototype = resolved.as_model(model, use_market=use_market)
        reads_prices = bool(prototype.uses_market)
    information = resolved.information_needed(reads_prices)
    data = TrainingData(store, instant, domain=resolved)
    rows, splits = training_window(data.match_frame, instant, config, information)
    validated = validate(prototype, rows, splits, config, information, data.lead_frames(rows))
    return WalkForwardReport(
        prototype, validated.metrics, validated.market_metrics, validated.frame, len(rows)
    )


def read_predictions(
    store: Store, publication: str = "default", domain: Domain | str | None = None
) -> pd.DataFrame:
    """The published snapshot's predictions (what the API serves), one row per event in the
    domain's own columns, with the snapshot's id and ``as_of``; empty when the domain has
    published nothing under ``publication``."""
    import pandas as pd

    from formline.store.predictions import current_snapshot

    resolved = resolve_domain(domain)
    snapshot = current_snapshot(store, publication, resolved.name)
    if snapshot is None:
        return pd.DataFrame()
    frame: pd.DataFrame = resolved.read_snapshot(store, int(snapshot["id"]))
    return frame.assign(snapshot_id=int(snapshot["id"]), as_of=snapshot["as_of"])
