"""Point-in-time match features, set-based in DuckDB.

For every match (finished or scheduled) the cutoff is ``T = min(kickoff_at, as_of)`` and every
feature uses only facts with ``observed_at < T``. Team state, head-to-head records and league
tables are histories keyed by ``observed_at``; each match reads them with a strict ASOF join
(``cutoff_at > observed_at``), which is what makes the rule hold by construction. Market features
take the latest odds observed before the cutoff, so a match's own closing odds (observed at
kickoff) never reach it.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import numpy as np
import pandas as pd

from formline.core.markets import implied_probabilities, overround
from formline.matches.features.league_table import create_league_table
from formline.matches.features.registry import (
    FORM_METRICS,
    LONG_FORM_METRICS,
    MARGIN_STATS,
    VENUE_METRICS,
    FeatureParams,
    match_feature_set,
)
from formline.matches.features.team_state import (
    RECENT_KICKOFFS,
    create_results,
    create_team_ratings,
    create_team_state,
)

#: The columns the builder reads, per input table. Timestamps are naive UTC.
MATCH_INPUT_COLUMNS = {
    "match_id": "int",
    "competition_id": "int",
    "season": "text",
    "kickoff_at": "timestamp",
    "home_team_id": "int",
    "away_team_id": "int",
    "status": "text",
    "home_goals": "int",
    "away_goals": "int",
    "home_shots": "int",
    "away_shots": "int",
    "home_shots_on_target": "int",
    "away_shots_on_target": "int",
    "home_xg": "float",
    "away_xg": "float",
    "home_corners": "int",
    "away_corners": "int",
    "observed_at": "timestamp",
}
ODDS_INPUT_COLUMNS = {
    "match_id": "int",
    "bookmaker": "text",
    "market": "text",
    "selection": "text",
    "line": "float",
    "kind": "text",
    "price": "float",
    "observed_at": "timestamp",
}
#: Bookmakers left out of market features: the best price across books is not a market.
EXCLUDED_BOOKMAKERS = ("market_max",)
#: The stored bookmakers the market features read (an allow-list, applied where the pipeline
#: reads the store): the store keeps every book a source has, and a new book must not change
#: feature values. These are the books the features have always averaged over.
FEATURE_BOOKMAKERS = ("bet365", "demo_book", "demo_exchange", "market_avg", "pinnacle")


#: Per-side state columns emitted as ``{side}_{column}``.
_SIDE_COLUMNS = ("elo", "rest_days", "first_match", "form_matches")

_DUCKDB_TYPES = {"int": "BIGINT", "float": "DOUBLE", "text": "VARCHAR", "timestamp": "TIMESTAMP"}


def create_input_tables(
    con: duckdb.DuckDBPyConnection, matches: pd.DataFrame, odds: pd.DataFrame
) -> None:
    """Create the builder's input tables ``matches`` and ``odds`` from DataFrames (naive UTC
    timestamps), typed as :data:`MATCH_INPUT_COLUMNS` and :data:`ODDS_INPUT_COLUMNS`."""
    for name, frame, columns in (
        ("matches", matches, MATCH_INPUT_COLUMNS),
        ("odds", odds, ODDS_INPUT_COLUMNS),
    ):
        casts = ", ".join(f"CAST({c} AS {_DUCKDB_TYPES[k]}) AS {c}" for c, k in columns.items())
        con.register(f"_input_{name}", frame[list(columns)])
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT {casts} FROM _input_{name}")
        con.unregister(f"_input_{name}")


def _create_queries(con: duckdb.DuckDBPyConnection, explicit: bool) -> None:
    """``queries``: one row per (match, cutoff) to compute, with a ``query_id``.

    Without explicit queries every match is asked once, as of the build's ``as_of``; with them
    (table ``query_cutoffs``: match_id, cutoff_at) each given pair is asked. Either way the
    cutoff is at most the kickoff.
    """
    asked = (
        "SELECT DISTINCT c.match_id, least(m.kickoff_at, c.cutoff_at) AS cutoff_at "
        "FROM query_cutoffs c JOIN matches m ON m.match_id = c.match_id"
        if explicit
        else "SELECT m.match_id, least(m.kickoff_at, p.as_of) AS cutoff_at "
        "FROM matches m, build_params p"
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE queries AS
        SELECT row_number() OVER (ORDER BY a.match_id, a.cutoff_at) AS query_id,
               m.match_id, m.competition_id, m.season, m.kickoff_at, m.home_team_id,
               m.away_team_id, a.cutoff_at
        FROM ({asked}) a JOIN matches m ON m.match_id = a.match_id
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE query_teams AS
        SELECT query_id, match_id, 'home' AS side, home_team_id AS team_id, competition_id,
               season, kickoff_at, cutoff_at FROM queries
        UNION ALL
        SELECT query_id, match_id, 'away', away_team_id, competition_id, season, kickoff_at,
               cutoff_at
        FROM queries
        """
    )


def _create_side_features(con: duckdb.DuckDBPyConnection, params: FeatureParams) -> None:
    """``side_features``: per (query, side), the team's state as of the query's cutoff."""
    form_cols = ", ".join(f"s.form{n}_{m}" for n in params.form_windows for m, _ in FORM_METRICS)
    venue_cols = ", ".join(f"v.venue{params.venue_window}_{m}" for m in VENUE_METRICS)
    recent_sum = " + ".join(
        f"CASE WHEN s.kickoff_{i} >= q.kickoff_at - INTERVAL {params.congestion_days} DAY "
        "THEN 1 ELSE 0 END"
        for i in range(RECENT_KICKOFFS)
    )
    mean, penalty = params.elo_mean, params.elo_promoted_penalty
    keep = 1.0 - params.elo_season_regression
    long_cols = ", ".join(f"s.ewm_{m}" for m, _ in LONG_FORM_METRICS)
    margin_keep = 1.0 - params.margin_season_regression
    cap = float(params.rest_cap_days)
    margin_cols = ", ".join(
        f"CASE WHEN s.{stat}_rating_after IS NULL THEN 0.0 "
        f"WHEN s.season = q.season THEN s.{stat}_rating_after "
        f"ELSE s.{stat}_rating_after * {margin_keep} END AS {stat}_rating"
        for stat in MARGIN_STATS
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE side_features AS
        WITH first_season AS (
            SELECT competition_id, min(season) AS season FROM matches GROUP BY competition_id
        )
        SELECT q.query_id, q.side,
               CASE
                   WHEN s.elo_after IS NULL THEN
                       CASE WHEN q.season = f.season THEN {mean} ELSE {mean - penalty} END
                   WHEN s.season = q.season THEN s.elo_after
                   ELSE {mean} + (s.elo_after - {mean}) * {keep}
               END AS elo,
               coalesce(s.pi_home_after, 0.0) AS pi_home,
               coalesce(s.pi_away_after, 0.0) AS pi_away,
               {form_cols}, coalesce(s.form_matches, 0) AS form_matches, {venue_cols},
               {long_cols}, {margin_cols},
               least(coalesce(date_diff('second', s.last_kickoff_at, q.kickoff_at) / 86400.0,
                              {cap}), {cap}) AS rest_days,
               CASE WHEN s.last_kickoff_at IS NULL
                         OR date_diff('second', s.last_kickoff_at, q.kickoff_at)
                            > {params.first_match_gap_days * 86400.0}
                    THEN 1 ELSE 0 END AS first_match,
               CASE WHEN s.team_id IS NULL THEN 0 ELSE {recent_sum} END AS recent_matches
        FROM query_teams q
        JOIN first_season f ON f.competition_id = q.competition_id
        ASOF LEFT JOIN team_state s
            ON s.team_id = q.team_id AND q.cutoff_at > s.observed_at
        ASOF LEFT JOIN venue_state v
            ON v.team_id = q.team_id AND v.is_home = (q.side = 'home')
           AND q.cutoff_at > v.observed_at
        """
    )


def _create_head_to_head(con: duckdb.DuckDBPyConnection, params: FeatureParams) -> None:
    n = params.h2h_window
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE h2h_state AS
        WITH meetings AS (
            SELECT match_id, observed_at,
                   least(home_team_id, away_team_id) AS team_lo,
                   greatest(home_team_id, away_team_id) AS team_hi,
                   CASE WHEN home_team_id < away_team_id THEN home_goals - away_goals
                        ELSE away_goals - home_goals END AS gd_lo
            FROM results
        ), ordered AS (
            SELECT *, row_number() OVER (
                PARTITION BY team_lo, team_hi ORDER BY observed_at, match_id) AS r
            FROM meetings
        )
        SELECT team_lo, team_hi, observed_at,
               COUNT(*) OVER w AS meetings,
               AVG(CASE WHEN gd_lo > 0 THEN 3 WHEN gd_lo = 0 THEN 1 ELSE 0 END) OVER w AS pts_lo,
               AVG(CASE WHEN gd_lo < 0 THEN 3 WHEN gd_lo = 0 THEN 1 ELSE 0 END) OVER w AS pts_hi,
               AVG(gd_lo) OVER w AS gd_lo
        FROM ordered
        WINDOW w AS (PARTITION BY team_lo, team_hi ORDER BY r
                     ROWS BETWEEN {n - 1} PRECEDING AND CURRENT ROW)
        QUALIFY r = max(r) OVER (PARTITION BY team_lo, team_hi, observed_at)
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE h2h_features AS
        SELECT q.query_id,
               coalesce(h.meetings, 0) AS h2h_meetings,
               CASE WHEN q.home_team_id < q.away_team_id THEN h.pts_lo ELSE h.pts_hi END
                   AS h2h_home_points,
               CASE WHEN q.home_team_id < q.away_team_id THEN h.gd_lo ELSE -h.gd_lo END
                   AS h2h_home_goal_diff
        FROM queries q
        ASOF LEFT JOIN h2h_state h
            ON h.team_lo = least(q.home_team_id, q.away_team_id)
           AND h.team_hi = greatest(q.home_team_id, q.away_team_id)
           AND q.cutoff_at > h.observed_at
        """
    )


def _mean_by(keys: np.ndarray, columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """Mean of each column per key (rows with any NaN left out), plus the row count."""
    valid = ~np.isnan(np.column_stack(list(columns.values()))).any(axis=1)
    ids, inverse = np.unique(keys[valid], return_inverse=True)
    counts = np.bincount(inverse, minlength=len(ids)).astype(np.float64)
    out = {"query_id": ids}
    for name, column in columns.items():
        out[name] = np.bincount(inverse, weights=column[valid], minlength=len(ids)) / counts
    frame = pd.DataFrame(out)
    frame["_count"] = counts
    return frame


def _market_features(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """De-margined probabilities from the latest odds of each bookmaker before the cutoff,
    averaged over bookmakers (summed in bookmaker order, so the floats do not depend on the
    order in which the engine hands back the groups)."""
    excluded = ", ".join(f"'{b}'" for b in EXCLUDED_BOOKMAKERS)
    # The latest price of each selection; at equal instants a closing price wins.
    latest = "arg_max(o.price, epoch_us(o.observed_at) * 2 + (o.kind = 'closing')::INT)"
    rows = con.execute(
        f"""
        SELECT q.query_id, o.market = '1x2' AS one_x_two,
               {latest} FILTER (WHERE o.selection IN ('home', 'over')) AS p1,
               {latest} FILTER (WHERE o.selection = 'draw') AS p2,
               {latest} FILTER (WHERE o.selection IN ('away', 'under')) AS p3
        FROM queries q
        JOIN odds o ON o.match_id = q.match_id AND o.observed_at < q.cutoff_at
        WHERE o.bookmaker NOT IN ({excluded})
          AND (o.market = '1x2' OR (o.market = 'over_under' AND o.line = 2.5))
        GROUP BY q.query_id, o.bookmaker, o.market
        ORDER BY q.query_id, o.bookmaker, o.market
        """
    ).fetchnumpy()
    query_id = np.asarray(rows["query_id"], dtype=np.int64)
    one_x_two = np.asarray(rows["one_x_two"], dtype=bool)
    prices = {
        k: np.ma.filled(np.ma.asarray(rows[k], dtype=np.float64), np.nan)
        for k in ("p1", "p2", "p3")
    }
    triple = np.column_stack([prices["p1"], prices["p2"], prices["p3"]])[one_x_two]
    columns: dict[str, np.ndarray] = {}
    for method in ("shin", "power", "multiplicative"):
        prefix = "market" if method == "shin" else f"market_{method}"
        probs = implied_probabilities(triple, method=method)
        for i, outcome in enumerate(("home", "draw", "away")):
            columns[f"{prefix}_p_{outcome}"] = probs[:, i]
    columns["market_margin_1x2"] = overround(triple)
    out = _mean_by(query_id[one_x_two], columns).rename(columns={"_count": "market_bookmakers"})
    pair = np.column_stack([prices["p1"], prices["p3"]])[~one_x_two]
    over = _mean_by(
        query_id[~one_x_two],
        {
            "market_p_over_2_5": implied_probabilities(pair, method="shin")[:, 0],
            "market_margin_over_under": overround(pair),
        },
    ).drop(columns="_count")
    return out.merge(over, on="query_id", how="outer")


def build_match_features(
    con: duckdb.DuckDBPyConnection,
    as_of: datetime,
    params: FeatureParams | None = None,
    queries: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Compute every registered match feature for every match in table ``matches``, or for
    the (match, cutoff) pairs of ``queries``.

    Parameters
    ----------
    con
        A DuckDB connection holding tables ``matches`` and ``odds`` with
        :data:`MATCH_INPUT_COLUMNS` and :data:`ODDS_INPUT_COLUMNS`.
    as_of
        Naive UTC timestamp: nothing observed at or after it is used.
    params
        Feature parameters; the defaults unless given.
    queries
        Optional ``match_id`` and ``cutoff_at`` (naive UTC) columns: compute each match as of
        each of its given cutoffs (capped at its kickoff and at ``as_of``) instead of every match
        as of ``as_of``. A match may be asked at several cutoffs; repeated pairs are asked once.

    Returns
    -------
    pandas.DataFrame
        One row per match (or per distinct query), ordered by ``match_id`` then ``cutoff_at``:
        ``match_id``, ``cutoff_at`` and every feature of the registry, in registry order.
    """
    params = params or FeatureParams()
    feature_set = match_feature_set(params)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE build_params AS SELECT CAST(? AS TIMESTAMP) AS as_of", [as_of]
    )
    if queries is not None:
        asked = pd.DataFrame(
            {
                "match_id": queries["match_id"].to_numpy(dtype=np.int64),
                "cutoff_at": pd.to_datetime(queries["cutoff_at"]).to_numpy(dtype="datetime64[us]"),
            }
        )
        con.register("_query_cutoffs", asked)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE query_cutoffs AS SELECT match_id, "
            "least(cutoff_at, p.as_of) AS cutoff_at FROM _query_cutoffs, build_params p"
        )
        con.unregister("_query_cutoffs")
    create_results(con)
    _create_queries(con, explicit=queries is not None)
    create_team_ratings(con, params)
    create_team_state(con, params)
    _create_side_features(con, params)
    _create_head_to_head(con, params)
    create_league_table(con)
    market_names = [spec.name for spec in feature_set if spec.uses_market]
    market = _market_features(con).reindex(columns=["query_id", *market_names])
    market = market.astype({"query_id": "int64", **dict.fromkeys(market_names, "float64")})
    con.register("_market_features", market)

    hfa = params.elo_home_advantage
    side_cols = [
        c
        for c in con.execute("SELECT * FROM side_features LIMIT 0").df().columns
        if c not in ("query_id", "side")
    ]
    form_cols = {f"form{n}_{m}" for n in params.form_windows for m, _ in FORM_METRICS}

    def side_select(side: str) -> str:
        picks = []
        for col in side_cols:
            if col.startswith("venue"):
                name = f"{side}_{side}_form{col.removeprefix('venue')}"
            elif col == "recent_matches":
                name = f"{side}_matches_{params.congestion_days}d"
            elif col in (*_SIDE_COLUMNS, *form_cols) or col.startswith("ewm_"):
                name = f"{side}_{col}"
            else:
                continue
            picks.append(f"{side[0]}.{col} AS {name}")
        return ", ".join(picks)

    table_cols = ", ".join(
        f"t{a}.{col} AS {side}_table_{name}"
        for side, a in (("home", "h"), ("away", "a"))
        for col, name in (
            ("position", "position"),
            ("points_per_game", "points_per_game"),
            ("goal_diff_per_game", "goal_diff_per_game"),
            ("played", "played"),
        )
    )
    market_cols = ", ".join(f"mk.{spec.name}" for spec in feature_set if spec.uses_market)
    margin_cols = ", ".join(
        f"h.{stat}_rating - a.{stat}_rating AS {stat}_rating_diff, "
        f"coalesce(cs.{stat}_home_advantage, 0.0) AS {stat}_home_advantage, "
        f"h.{stat}_rating - a.{stat}_rating + coalesce(cs.{stat}_home_advantage, 0.0) "
        f"AS {stat}_expected_margin, cs.{stat}_recent_home_advantage"
        for stat in MARGIN_STATS
    )
    frame = con.execute(
        f"""
        SELECT q.match_id, q.cutoff_at,
               {side_select("home")}, {side_select("away")},
               h.elo - a.elo AS elo_diff,
               1.0 / (1.0 + pow(10.0, -(h.elo - a.elo + {hfa}) / 400.0)) AS elo_home_expected,
               h.pi_home AS home_pi_home, a.pi_away AS away_pi_away,
               sign(h.pi_home) * (pow(10.0, abs(h.pi_home) / 3.0) - 1.0)
                 - sign(a.pi_away) * (pow(10.0, abs(a.pi_away) / 3.0) - 1.0)
                 AS pi_expected_goal_diff,
               x.h2h_meetings, x.h2h_home_points, x.h2h_home_goal_diff,
               {margin_cols},
               {table_cols},
               {market_cols}
        FROM queries q
        JOIN side_features h ON h.query_id = q.query_id AND h.side = 'home'
        JOIN side_features a ON a.query_id = q.query_id AND a.side = 'away'
        JOIN h2h_features x ON x.query_id = q.query_id
        LEFT JOIN table_features th ON th.competition_id = q.competition_id
             AND th.season = q.season AND th.cutoff_at = q.cutoff_at
             AND th.team_id = q.home_team_id
        LEFT JOIN table_features ta ON ta.competition_id = q.competition_id
             AND ta.season = q.season AND ta.cutoff_at = q.cutoff_at
             AND ta.team_id = q.away_team_id
        LEFT JOIN _market_features mk ON mk.query_id = q.query_id
        ASOF LEFT JOIN competition_state cs
            ON cs.competition_id = q.competition_id AND q.cutoff_at > cs.observed_at
        ORDER BY q.query_id
        """
    ).df()
    con.unregister("_market_features")
    feature_set.check_columns(c for c in frame.columns if c not in ("match_id", "cutoff_at"))
    return frame[["match_id", "cutoff_at", *feature_set.names]]
