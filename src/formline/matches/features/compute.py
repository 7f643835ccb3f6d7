"""The match features from the store: what they read (the input SQL), the build in a DuckDB
session, and the columns naming each match in an export (``features:export``)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from formline.domain import EventFrame
from formline.engine import InputQuery, compute_session, fetch_arrow, load_inputs
from formline.errors import map_errors
from formline.matches.features.build import (
    FEATURE_BOOKMAKERS,
    MATCH_INPUT_COLUMNS,
    ODDS_INPUT_COLUMNS,
    build_match_features,
)
from formline.matches.features.registry import FeatureParams, match_feature_set
from formline.matches.sports import SERVED_SPORTS_SQL
from formline.pipeline.progress import NoProgress, Progress
from formline.store.db import Store

_BOOKS = ", ".join(f"'{b}'" for b in FEATURE_BOOKMAKERS)

#: What the match features read from the store. Odds are narrowed to the markets features use.
MATCH_FEATURE_INPUTS = {
    "matches": InputQuery(
        "SELECT id AS match_id, " + ", ".join(list(MATCH_INPUT_COLUMNS)[1:]) + " FROM matches "
        f"WHERE sport IN ({SERVED_SPORTS_SQL})",
        MATCH_INPUT_COLUMNS,
    ),
    # Odds observed at or after kickoff (closing lines) can never precede a cutoff, which is at
    # most the kickoff: leaving them in the store halves what is read.
    "odds": InputQuery(
        "SELECT " + ", ".join(f"o.{c}" for c in ODDS_INPUT_COLUMNS) + " FROM odds o "
        "JOIN matches m ON m.id = o.match_id "
        f"WHERE m.sport IN ({SERVED_SPORTS_SQL}) AND o.bookmaker IN ({_BOOKS}) "
        "AND o.observed_at < m.kickoff_at "
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
    "JOIN teams h ON h.id = m.home_team_id JOIN teams a ON a.id = m.away_team_id "
    f"WHERE m.sport IN ({SERVED_SPORTS_SQL})",
    _EXPORT_COLUMNS,
)
#: The columns naming each exported match, in order; the targets follow with ``--with-targets``.
EXPORT_ID_COLUMNS = ["match_id", "competition", "season", "kickoff_at", "home_team", "away_team"]
EXPORT_TARGET_COLUMNS = ["home_goals", "away_goals", "outcome"]


def compute_match_features(
    store: Store,
    as_of: datetime,
    params: FeatureParams | None = None,
    progress: Progress | None = None,
    queries: pd.DataFrame | None = None,
) -> EventFrame:
    """Every match feature as of ``as_of`` (naive UTC), computed without writing anything.

    With ``queries`` (``match_id``, ``cutoff_at``), each given match is computed as of each of
    its cutoffs instead (see :func:`~formline.matches.features.build_match_features`).
    """
    progress = progress or NoProgress()
    feature_set = match_feature_set(params)
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
    return EventFrame(frame, as_of, feature_set.schema_hash, feature_set.names)


def export_names(store: Store, as_of: datetime, with_targets: bool = False) -> pd.DataFrame:
    """Every match's :data:`EXPORT_ID_COLUMNS`, then with ``with_targets`` the
    :data:`EXPORT_TARGET_COLUMNS` known at ``as_of`` (see :func:`known_results`)."""
    names = fetch_arrow(store, _EXPORT_QUERY).to_pandas()
    columns = list(EXPORT_ID_COLUMNS)
    if with_targets:
        names = known_results(names, as_of)
        columns += EXPORT_TARGET_COLUMNS
    selected: pd.DataFrame = names[columns]
    return selected


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
