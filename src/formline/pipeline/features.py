"""Feature steps: build point-in-time features and store snapshots; export them to a file."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from formline.engine import InputQuery, compute_session, load_inputs, translate_duckdb_errors
from formline.errors import ConfigError
from formline.matches.features import (
    MATCH_INPUT_COLUMNS,
    ODDS_INPUT_COLUMNS,
    FeatureParams,
    build_match_features,
    match_feature_set,
)
from formline.matches.features.build import EXCLUDED_BOOKMAKERS
from formline.pipeline.progress import NoProgress, Progress
from formline.store.db import Store
from formline.store.features import save_feature_snapshots

_EXCLUDED = ", ".join(f"'{b}'" for b in EXCLUDED_BOOKMAKERS)

#: What the match features read from the store. Odds are narrowed to the markets features use.
MATCH_FEATURE_INPUTS = {
    "matches": InputQuery(
        "SELECT id AS match_id, " + ", ".join(list(MATCH_INPUT_COLUMNS)[1:]) + " FROM matches",
        MATCH_INPUT_COLUMNS,
    ),
    # Odds observed at or after kickoff (closing lines) can never precede a cutoff, which is at
    # most the kickoff: leaving them in the store halves what is read.
    "odds": InputQuery(
        "SELECT " + ", ".join(f"o.{c}" for c in ODDS_INPUT_COLUMNS) + " FROM odds o "
        "JOIN matches m ON m.id = o.match_id "
        f"WHERE o.bookmaker NOT IN ({_EXCLUDED}) AND o.observed_at < m.kickoff_at "
        "AND (o.market = '1x2' OR (o.market = 'over_under' AND o.line = 2.5))",
        ODDS_INPUT_COLUMNS,
    ),
}

_EXPORT_COLUMNS = {
    "match_id": "int",
    "competition": "text",
    "kickoff_at": "timestamp",
    "home_team": "text",
    "away_team": "text",
}
_EXPORT_QUERY = InputQuery(
    "SELECT m.id AS match_id, c.code AS competition, m.kickoff_at, h.name AS home_team, "
    "a.name AS away_team FROM matches m JOIN competitions c ON c.id = m.competition_id "
    "JOIN teams h ON h.id = m.home_team_id JOIN teams a ON a.id = m.away_team_id",
    _EXPORT_COLUMNS,
)


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
    params: FeatureParams | None = None,
    progress: Progress | None = None,
    queries: pd.DataFrame | None = None,
) -> FeatureBuild:
    """Compute every match feature as of ``as_of`` (naive UTC) without writing anything.

    With ``queries`` (``match_id``, ``cutoff_at``), each given match is computed as of each of
    its cutoffs instead (see :func:`~formline.matches.features.build_match_features`).
    """
    progress = progress or NoProgress()
    feature_set = match_feature_set(params)
    started = time.perf_counter()
    con = compute_session()
    try:
        progress.start("loading facts", None)
        load_inputs(con, store, MATCH_FEATURE_INPUTS)
        progress.finish("loading facts")
        progress.start("computing features", None)
        with translate_duckdb_errors("computing features"):
            frame = build_match_features(con, as_of, params, queries)
        progress.finish("computing features")
    finally:
        con.close()
    return FeatureBuild(
        frame=frame,
        as_of=as_of,
        feature_version=feature_set.schema_hash,
        feature_names=feature_set.names,
        seconds=time.perf_counter() - started,
    )


def build_features(
    store: Store,
    as_of: datetime,
    params: FeatureParams | None = None,
    progress: Progress | None = None,
) -> FeatureBuild:
    """Compute features as of ``as_of`` and store them as snapshots (one transaction)."""
    progress = progress or NoProgress()
    build = compute_features(store, as_of, params, progress)
    progress.start("saving snapshots", None)
    build.written = save_feature_snapshots(
        store, build.frame, build.feature_names, build.feature_version, as_of, build.seconds
    )
    progress.finish("saving snapshots")
    return build


def check_export_path(out: Path) -> str:
    """The suffix of an export file (``.parquet`` or ``.csv``).

    Raises
    ------
    ConfigError
        For any other suffix.
    """
    suffix = out.suffix.lower()
    if suffix not in (".parquet", ".csv"):
        raise ConfigError(f"--out {out}: use a .parquet or .csv file")
    return suffix


def export_features(
    store: Store,
    as_of: datetime,
    out: Path,
    params: FeatureParams | None = None,
    progress: Progress | None = None,
) -> int:
    """Write one row per match with its names and every feature as of ``as_of`` to ``out``
    (``.parquet`` or ``.csv``). Returns the number of rows written.
    """
    suffix = check_export_path(out)
    from formline.engine import fetch_arrow

    build = compute_features(store, as_of, params, progress)
    names = fetch_arrow(store, _EXPORT_QUERY).to_pandas()
    frame = names.merge(build.frame.drop(columns=["cutoff_at"]), on="match_id", how="inner")
    frame = frame.sort_values(["kickoff_at", "match_id"], kind="stable").reset_index(drop=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    if suffix == ".parquet":
        frame.to_parquet(tmp, index=False)
    else:
        frame.to_csv(tmp, index=False)
    tmp.replace(out)  # never leave a half-written export behind
    return len(frame)
