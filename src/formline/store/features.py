"""Feature snapshots: stored feature values keyed by (domain, event, unit, as_of, feature
version)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import select, text

from formline.store.db import Store
from formline.store.staging import now_param, stage, upsert_sql
from formline.store.tables import feature_builds, feature_snapshots
from formline.store.types import utcnow

#: The primary key of feature_snapshots.
_KEY = ("domain", "event_id", "unit", "as_of", "feature_version")


def _json_records(frame: pd.DataFrame) -> pd.Series:
    """One JSON object per row (NaN becomes null), keys in column order, floats in their
    shortest round-trip form. DuckDB serialises in C++, far faster than pandas' ``to_json``."""
    import duckdb

    fields = ", ".join(f'"{c}" := "{c}"' for c in frame.columns)
    con = duckdb.connect()
    try:
        con.register("_features", frame)
        table = con.sql(
            f"SELECT to_json(struct_pack({fields})) AS j FROM _features"
        ).to_arrow_table()
    finally:
        con.close()
    records: pd.Series = table.column("j").to_pandas()
    return records


def save_feature_snapshots(
    store: Store,
    frame: pd.DataFrame,
    feature_names: list[str],
    feature_version: str,
    as_of: datetime,
    seconds: float,
    *,
    domain: str,
    event_column: str = "event_id",
) -> int:
    """Upsert one snapshot row per event (and unit) and record the build. Returns rows written
    or changed.

    ``frame`` has the event id (column ``event_column``), ``cutoff_at``, the features, and
    ``unit`` when the domain predicts parts of events (else every row is of its event, unit
    ""). A snapshot's ``as_of`` is the event's cutoff, ``min(start, as_of)``: a finished
    event's features are the same for every later build, so rebuilding writes nothing new for
    it, while each build adds a row for every event still to come.
    """
    staged = pd.DataFrame(
        {
            "event_id": frame[event_column].astype("int64"),
            "unit": frame["unit"] if "unit" in frame.columns else "",
            "as_of": frame["cutoff_at"],
            "features": _json_records(frame[feature_names]).to_numpy(),
        }
    )
    computed_at = utcnow()
    with store.begin("saving feature snapshots") as conn:
        dialect = conn.dialect.name
        stage(
            conn,
            "stage_features",
            {"event_id": "int", "unit": "text", "as_of": "timestamp", "features": "text"},
            staged,
        )
        features_sql = "CAST(features AS JSONB)" if dialect == "postgresql" else "features"
        now = now_param(dialect)
        sql = upsert_sql(
            dialect,
            "feature_snapshots",
            [*_KEY[:3], "as_of", "feature_version", "features", "computed_at"],
            f"SELECT :domain, event_id, unit, as_of, :version, {features_sql}, :now "
            "FROM stage_features",
            conflict=list(_KEY),
            update=["features"],
            touch=("computed_at",),
        ).replace("RETURNING id", "RETURNING event_id")
        params = {"domain": domain, "version": feature_version, "now": now}
        written = len(conn.execute(text(sql), params).fetchall())
        conn.execute(
            feature_builds.insert().values(
                domain=domain,
                as_of=as_of,
                feature_version=feature_version,
                feature_names=feature_names,
                n_matches=len(frame),
                n_written=written,
                seconds=seconds,
                created_at=computed_at,
            )
        )
    return written


def load_feature_snapshot(
    store: Store,
    event_id: int,
    as_of: datetime,
    feature_version: str,
    *,
    domain: str,
    unit: str = "",
) -> dict[str, Any] | None:
    """The stored features of one event (or unit of it) of ``domain`` as of ``as_of``: the
    latest snapshot at or before it, None if there is none."""
    with store.connect("reading feature snapshots") as conn:
        row = conn.execute(
            select(feature_snapshots.c.features)
            .where(
                (feature_snapshots.c.domain == domain)
                & (feature_snapshots.c.event_id == event_id)
                & (feature_snapshots.c.unit == unit)
                & (feature_snapshots.c.feature_version == feature_version)
                & (feature_snapshots.c.as_of <= as_of)
            )
            .order_by(feature_snapshots.c.as_of.desc())
            .limit(1)
        ).first()
    if row is None:
        return None
    value = row[0]
    return json.loads(value) if isinstance(value, str) else dict(value)
