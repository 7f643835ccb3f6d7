"""Feature steps: build point-in-time features and store snapshots; export them to a file."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from formline.engine import (
    InputQuery,
    compute_session,
    fetch_arrow,
    load_inputs,
)
from formline.errors import map_errors
from formline.matches.features import (
    MATCH_INPUT_COLUMNS,
    ODDS_INPUT_COLUMNS,
    FeatureParams,
    build_match_features,
    match_feature_set,
)
from formline.matches.features.build import FEATURE_BOOKMAKERS
from formline.matches.prediction_view import DOMAIN
from formline.pipeline.outputs import check_output, csv_timestamps, utc_timestamps, write_atomically
from formline.pipeline.progress import NoProgress, Progress
from formline.store.db import Store
from formline.store.features import save_feature_snapshots

_BOOKS = ", ".join(f"'{b}'" for b in FEATURE_BOOKMAKERS)

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
        f"WHERE o.bookmaker IN ({_BOOKS}) AND o.observed_at < m.kickoff_at "
        "AND (o.market = '1x2' OR (o.market = 'over_under' AND o.line = 2.5))",
        ODDS_INPUT_COLUMNS,
    ),
}

_EXPORT_COLUMNS = {
    "match_id": "int",
    "competition": "text",
    "season": "text",
    "kickoff_at": "timestamp",
    "home_team": "text",
    "away_team": "text",
    "home_goals": "int",
    "away_goals": "int",
    "result_observed_at": "timestamp",
}
_EXPORT_QUERY = InputQuery(
    "SELECT m.id AS match_id, c.code AS competition, m.season, m.kickoff_at, "
    "h.name AS home_team, a.name AS away_team, m.home_goals, m.away_goals, "
    "m.observed_at AS result_observed_at "
    "FROM matches m JOIN competitions c ON c.id = m.competition_id "
    "JOIN teams h ON h.id = m.home_team_id JOIN teams a ON a.id = m.away_team_id",
    _EXPORT_COLUMNS,
)
#: The columns naming each exported match, in order; the targets follow with ``--with-targets``.
EXPORT_ID_COLUMNS = ["match_id", "competition", "season", "kickoff_at", "home_team", "away_team"]
EXPORT_TARGET_COLUMNS = ["home_goals", "away_goals", "outcome"]


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
        with map_errors("computing features"):
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
        store,
        build.frame,
        build.feature_names,
        build.feature_version,
        as_of,
        build.seconds,
        domain=DOMAIN,
        event_column="match_id",
    )
    progress.finish("saving snapshots")
    return build


@dataclass(frozen=True)
class FeatureExport:
    """What :func:`export_features` wrote."""

    path: Path
    rows: int
    #: Features with no value for any exported match: the stored data cannot feed them (for
    #: example xG when no source fills it). Their columns are written all empty.
    empty_features: list[str]


def export_features(
    store: Store,
    as_of: datetime,
    out: Path,
    params: FeatureParams | None = None,
    progress: Progress | None = None,
    with_targets: bool = False,
) -> FeatureExport:
    """Write one row per match with its names, season and every feature as of ``as_of`` to
    ``out`` (``.parquet`` or ``.csv``), atomically.

    Timestamps are UTC with their zone: timezone-aware in Parquet, ISO 8601 with ``+00:00`` in
    CSV. With ``with_targets``, ``home_goals``, ``away_goals`` and ``outcome`` (``home``,
    ``draw``, ``away``) follow the names for the matches whose result was observed before
    ``as_of``, and are empty for the others: a result known only later is never exported.

    Every feature of the feature set is a column, also one the stored data cannot feed (all
    empty): files keep the feature set's columns whatever the store holds. Such features are
    listed in :attr:`FeatureExport.empty_features`.

    Raises
    ------
    ConfigError
        If ``out`` is not a ``.parquet`` or ``.csv`` file, or cannot be written.
    """
    suffix = check_output(out, suffixes=(".parquet", ".csv")).suffix.lower()
    build = compute_features(store, as_of, params, progress)
    names = fetch_arrow(store, _EXPORT_QUERY).to_pandas()
    columns = list(EXPORT_ID_COLUMNS)
    if with_targets:
        names = known_results(names, as_of)
        columns += EXPORT_TARGET_COLUMNS
    frame = names[columns].merge(build.frame.drop(columns=["cutoff_at"]), on="match_id")
    frame = frame.sort_values(["kickoff_at", "match_id"], kind="stable").reset_index(drop=True)
    empty = [n for n in build.feature_names if n in frame and frame[n].isna().all()]
    stamps = [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]
    if suffix == ".parquet":
        aware = utc_timestamps(frame, stamps)
        write_atomically(out, lambda tmp: aware.to_parquet(tmp, index=False))
    else:
        text = csv_timestamps(frame, stamps)
        write_atomically(out, lambda tmp: text.to_csv(tmp, index=False))
    return FeatureExport(out, len(frame), empty)


def known_results(matches: pd.DataFrame, as_of: datetime) -> pd.DataFrame:
    """``matches`` with ``home_goals``, ``away_goals`` and ``outcome`` kept only where the result
    was observed strictly before ``as_of`` (the point-in-time rule), else empty."""
    out = matches.copy()
    known = out["result_observed_at"].notna() & (out["result_observed_at"] < as_of)
    known &= out["home_goals"].notna() & out["away_goals"].notna()
    home = out["home_goals"].where(known).astype("Int64")
    away = out["away_goals"].where(known).astype("Int64")
    outcome = pd.Series(pd.NA, index=out.index, dtype="string")
    outcome[known & (home > away)] = "home"
    outcome[known & (home == away)] = "draw"
    outcome[known & (home < away)] = "away"
    out["home_goals"], out["away_goals"], out["outcome"] = home, away, outcome
    return out
