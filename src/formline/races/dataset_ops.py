"""What ``dataset:status``, ``dataset:rollback`` and ``dataset:export`` do with the racing
training dataset that :mod:`formline.races.rebuild` publishes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import select

from formline.engine import InputQuery, fetch_arrow
from formline.errors import ConfigError, DataError
from formline.races.features import race_feature_set
from formline.races.rebuild import (
    FAILED_TABLE,
    LIVE_TABLE,
    PREVIOUS_TABLE,
    STEP_PREFIX,
)
from formline.store.db import Store
from formline.store.table_swap import count_rows, swap_back, table_columns, table_exists
from formline.store.tables import job_runs

#: The columns of an export before the features (``race_id`` is the source's race id), in order.
EXPORT_ID_COLUMNS = (
    "race_id",
    "start_at",
    "venue",
    "race_date",
    "race_number",
    "horse",
    "saddle_number",
    "cutoff_at",
    "finish_position",
    "won",
    "placed",
)
#: Their kinds as stored (``race_id`` is the source's, text).
_EXPORT_KINDS = {
    "race_id": "text",
    "start_at": "timestamp",
    "venue": "text",
    "race_date": "text",
    "race_number": "int",
    "horse": "text",
    "saddle_number": "int",
    "cutoff_at": "timestamp",
    "finish_position": "int",
    "won": "int",
    "placed": "int",
}
EXPORT_FORMATS = (".parquet", ".csv")


@dataclass(frozen=True)
class DatasetStatus:
    """The dataset tables' rows (None: no such table) and the latest phase runs, newest
    first (the columns of ``job_runs`` and ``seconds``)."""

    tables: dict[str, int | None]
    runs: list[dict[str, Any]]


def dataset_status(store: Store, limit: int = 30) -> DatasetStatus:
    """The live, previous and failed tables' rows and the last ``limit`` phase runs."""
    tables = {name: count_rows(store, name) for name in (LIVE_TABLE, PREVIOUS_TABLE, FAILED_TABLE)}
    query = (
        select(job_runs)
        .where(job_runs.c.step.like(f"{STEP_PREFIX}%"))
        .order_by(job_runs.c.started_at.desc(), job_runs.c.id.desc())
        .limit(limit)
    )
    with store.connect("reading the dataset's runs") as conn:
        runs = [dict(r) for r in conn.execute(query).mappings()]
    for run in runs:
        finished, started = run["finished_at"], run["started_at"]
        run["seconds"] = None if finished is None else (finished - started).total_seconds()
    return DatasetStatus(tables, runs)


def rollback_dataset(store: Store) -> int:
    """Put the previous build back as the live dataset (the live one becomes the previous, so
    a second rollback undoes the first). Returns the rows now live.

    Raises
    ------
    DataError
        If there is no live or no previous build.
    """
    swap_back(store, live=LIVE_TABLE, previous=PREVIOUS_TABLE)
    return count_rows(store, LIVE_TABLE) or 0


def _export_query(columns: list[str]) -> InputQuery:
    features = [c for c in race_feature_set().names if c in columns]
    kinds = {**_EXPORT_KINDS, **dict.fromkeys(features, "float")}
    selected = ["source_race_id AS race_id", *EXPORT_ID_COLUMNS[1:], *features]
    sql = (
        f"SELECT {', '.join(selected)} FROM {LIVE_TABLE} "
        "ORDER BY start_at, source_race_id, saddle_number, runner_id"
    )
    return InputQuery(sql, kinds)


def read_live_dataset(store: Store) -> pa.Table:
    """The live dataset as exported: :data:`EXPORT_ID_COLUMNS` then every feature, by start,
    race and saddle number.

    Raises
    ------
    DataError
        If nothing was published yet, or the live table lacks a feature of the registry.
    """
    if not table_exists(store, LIVE_TABLE):
        raise DataError("no racing dataset is published yet: run `formline dataset:rebuild`")
    columns = table_columns(store, LIVE_TABLE)
    missing = [c for c in race_feature_set().names if c not in columns]
    if missing:
        raise DataError(
            f"the live dataset lacks features {', '.join(missing)}: run `formline dataset:rebuild`"
        )
    return fetch_arrow(store, _export_query(columns))


def export_dataset(store: Store, out: Path) -> int:
    """Write the live dataset (:func:`read_live_dataset`) to ``out``, Parquet or CSV by its
    suffix; returns the rows written.

    Raises
    ------
    ConfigError
        If ``out`` is neither ``.parquet`` nor ``.csv``.
    DataError
        If nothing was published yet.
    """
    suffix = out.suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise ConfigError(f"--out: {out.name} is neither .parquet nor .csv")
    data = read_live_dataset(store)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        pq.write_table(data, partial)
    else:
        data.to_pandas().to_csv(partial, index=False, date_format="%Y-%m-%dT%H:%M:%SZ")
    partial.replace(out)
    return int(data.num_rows)
