"""Feature steps: build point-in-time features and store snapshots; export them to a file."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from formline.domain import Domain, resolve_domain, row_keys
from formline.pipeline.outputs import check_output, csv_timestamps, utc_timestamps, write_atomically
from formline.pipeline.progress import NoProgress, Progress
from formline.store.db import Store
from formline.store.features import save_feature_snapshots


@dataclass
class FeatureBuild:
    """The result of computing features as of one instant."""

    frame: pd.DataFrame
    as_of: datetime
    feature_version: str
    feature_names: list[str]
    seconds: float
    written: int = 0


def compute_features(
    store: Store,
    as_of: datetime,
    params: Any = None,
    progress: Progress | None = None,
    queries: pd.DataFrame | None = None,
    domain: Domain | str | None = None,
) -> FeatureBuild:
    """Compute every feature of ``domain`` (None: the only registered one) as of ``as_of``
    (naive UTC) without writing anything.

    With ``queries`` (the event key and ``cutoff_at``), each given event is computed as of each
    of its cutoffs instead (see :meth:`formline.domain.Domain.compute_features`); ``params`` are
    the domain's feature parameters (its defaults unless given).
    """
    started = time.perf_counter()
    built = resolve_domain(domain).compute_features(
        store, as_of, params=params, progress=progress or NoProgress(), queries=queries
    )
    return FeatureBuild(
        frame=built.frame,
        as_of=as_of,
        feature_version=built.feature_version,
        feature_names=built.feature_names,
        seconds=time.perf_counter() - started,
    )


def build_features(
    store: Store,
    as_of: datetime,
    params: Any = None,
    progress: Progress | None = None,
    domain: Domain | str | None = None,
) -> FeatureBuild:
    """Compute features as of ``as_of`` and store them as snapshots (one transaction)."""
    progress = progress or NoProgress()
    resolved = resolve_domain(domain)
    build = compute_features(store, as_of, params, progress, domain=resolved)
    progress.start("saving snapshots", None)
    snapshots = build.frame
    if resolved.unit_key is not None:
        # One snapshot per unit of an event (a race's runners), keyed by the unit's id.
        snapshots = snapshots.assign(unit=snapshots[resolved.unit_key].astype("string"))
    build.written = save_feature_snapshots(
        store,
        snapshots,
        build.feature_names,
        build.feature_version,
        as_of,
        build.seconds,
        domain=resolved.name,
        event_column=resolved.event_key,
    )
    progress.finish("saving snapshots")
    return build


@dataclass(frozen=True)
class FeatureExport:
    """What :func:`export_features` wrote."""

    path: Path
    rows: int
    #: Features with no value for any exported event: the stored data cannot feed them (for
    #: example xG when no source fills it). Their columns are written all empty.
    empty_features: list[str]


def export_features(
    store: Store,
    as_of: datetime,
    out: Path,
    params: Any = None,
    progress: Progress | None = None,
    with_targets: bool = False,
    domain: Domain | str | None = None,
) -> FeatureExport:
    """Write one row per event with its names, season and every feature as of ``as_of`` to
    ``out`` (``.parquet`` or ``.csv``), atomically, ordered by start then event.

    Timestamps are UTC with their zone: timezone-aware in Parquet, ISO 8601 with ``+00:00`` in
    CSV. With ``with_targets``, the domain's targets (for matches ``home_goals``, ``away_goals``
    and ``outcome``) follow the names for the events whose result was observed before
    ``as_of``, and are empty for the others: a result known only later is never exported (see
    :meth:`formline.domain.Domain.export_frame`).

    Every feature of the feature set is a column, also one the stored data cannot feed (all
    empty): files keep the feature set's columns whatever the store holds. Such features are
    listed in :attr:`FeatureExport.empty_features`.

    Raises
    ------
    ConfigError
        If ``out`` is not a ``.parquet`` or ``.csv`` file, or cannot be written.
    """
    suffix = check_output(out, suffixes=(".parquet", ".csv")).suffix.lower()
    resolved = resolve_domain(domain)
    build = compute_features(store, as_of, params, progress, domain=resolved)
    names = resolved.export_frame(store, as_of, with_targets=with_targets)
    keys = row_keys(resolved)
    built = build.frame.drop(columns=["cutoff_at"])
    # The feature frame's own copies of the names (a start, an id) give way to the export's.
    built = built.drop(columns=[c for c in names.columns if c in built and c not in keys])
    frame = names.merge(built, on=keys)
    order = [resolved.start_column, *keys]
    frame = frame.sort_values(order, kind="stable").reset_index(drop=True)
    empty = [n for n in build.feature_names if n in frame and frame[n].isna().all()]
    stamps = [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]
    if suffix == ".parquet":
        aware = utc_timestamps(frame, stamps)
        write_atomically(out, lambda tmp: aware.to_parquet(tmp, index=False))
    else:
        text = csv_timestamps(frame, stamps)
        write_atomically(out, lambda tmp: text.to_csv(tmp, index=False))
    return FeatureExport(out, len(frame), empty)
