"""Point-in-time runner features, set-based in DuckDB.

Every runner on a card is asked at its race's cutoff ``T = min(start_at, as_of)``, and every
feature uses only facts observed before ``T``. The racing traps are avoided by construction:

* Histories are aggregated per (entity, race) first and accumulated over races ordered by
  (result ``observed_at``, ``start_at``, race id); one state row is kept per (entity,
  ``observed_at``) and read with a strict ASOF join (``cutoff_at > observed_at``). A trainer with
  two runners in a race adds both in one step, seen only by races whose cutoff is after the
  result; no frame ever runs over the runner rows of one race.
* In-race facts (finishing order, margins, running positions, sectionals) live in
  ``runner_results`` and are observed when the race ends, after its own cutoff.
* The race card of the race itself (draw, weights, ratings, the field) is known before it.
* Market features read the latest win odds observed at or before the cutoff: final odds,
  observed at the off, reach a race asked at its off (they are ``uses_market`` features, left
  out of a fundamental model), never one asked earlier.

The learned rating is a recurrence (:mod:`formline.races.features.rating`), run once over all
known results and joined back like any other history.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import duckdb
import numpy as np
import pandas as pd

from formline.races.features.rating import weng_lin_ratings
from formline.races.features.registry import (
    DISTANCE_BANDS,
    RaceFeatureParams,
    race_feature_set,
)
from formline.races.frames import N_CALLS

#: The builder's input tables and their columns (timestamps naive UTC).
RACE_INPUT_COLUMNS: dict[str, dict[str, str]] = {
    "races": {
        "race_id": "int",
        "venue_id": "int",
        "start_at": "timestamp",
        "distance": "int",
        "surface": "text",
        "race_class": "text",
        "observed_at": "timestamp",
    },
    "runners": {
        "runner_id": "int",
        "race_id": "int",
        "horse_id": "int",
        "jockey_id": "int",
        "trainer_id": "int",
        "draw": "int",
        "carried_weight": "float",
        "declared_weight": "float",
        "rating": "int",
        "horse_age": "int",
        "observed_at": "timestamp",
    },
    "runner_results": {
        "runner_id": "int",
        "status": "text",
        "finish_position": "int",
        "lengths_behind": "float",
        "position_1": "int",
        **{f"section_time_{i}": "float" for i in range(1, N_CALLS + 1)},
        "observed_at": "timestamp",
    },
    "race_odds": {
        "runner_id": "int",
        "market": "text",
        "kind": "text",
        "value": "float",
        "observed_at": "timestamp",
    },
}
_DUCKDB_TYPES = {
    "int": "BIGINT",
    "float": "DOUBLE",
    "text": "VARCHAR",
    "timestamp": "TIMESTAMP",
    "bool": "BOOLEAN",
}
#: Result statuses of runners that did not take part: not a run.
NOT_RUN = ("withdrawn", "took_no_part")
#: The status of a runner taken out of the field before the off: from when it is observed (at
#: the latest the off, like the final odds), the runner is no longer asked, nor counted in the
#: field of its race.
WITHDRAWN = "withdrawn"
#: The order facts became known in (``runs.race_seq``: by result ``observed_at``, then start,
#: then race id).
_RACE_ORDER = "race_seq"


def create_input_tables(con: duckdb.DuckDBPyConnection, frames: Mapping[str, pd.DataFrame]) -> None:
    """Create the builder's input tables from DataFrames (naive UTC timestamps), typed as
    :data:`RACE_INPUT_COLUMNS`."""
    for name, columns in RACE_INPUT_COLUMNS.items():
        frame = frames[name]
        casts = ", ".join(f"CAST({c} AS {_DUCKDB_TYPES[k]}) AS {c}" for c, k in columns.items())
        con.register(f"_input_{name}", frame[list(columns)])
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT {casts} FROM _input_{name}")
        con.unregister(f"_input_{name}")


def _band_sql(distance: str) -> str:
    cases = " ".join(f"WHEN {distance} <= {b} THEN {i}" for i, b in enumerate(DISTANCE_BANDS))
    return f"CASE {cases} ELSE {len(DISTANCE_BANDS)} END"


def _draw_category_sql(draw: str, size: str) -> str:
    # Integer arithmetic, so every implementation draws the same lines.
    return (
        f"CASE WHEN {draw} IS NULL OR {size} < 2 THEN NULL "
        f"WHEN 3 * ({draw} - 1) < {size} - 1 THEN 0 "
        f"WHEN 3 * ({draw} - 1) < 2 * ({size} - 1) THEN 1 ELSE 2 END"
    )


def _create_cards(con: duckdb.DuckDBPyConnection) -> None:
    """``cards``: every runner with its race's card facts, ``withdrawn_at`` (when its
    withdrawal was observed, if at or before ``as_of``) and the field: the card's runners not
    known by ``as_of`` to be withdrawn (each query counts its own field, see
    :func:`_create_queries`)."""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE cards AS
        WITH withdrawals AS (
            SELECT x.runner_id, min(x.observed_at) AS withdrawn_at
            FROM runner_results x, build_params p
            WHERE x.status = '{WITHDRAWN}' AND x.observed_at <= p.as_of
            GROUP BY x.runner_id
        )
        SELECT u.runner_id, u.race_id, u.horse_id, u.jockey_id, u.trainer_id, u.draw,
               u.carried_weight, u.declared_weight, u.rating, u.horse_age,
               u.observed_at AS card_observed_at, w.withdrawn_at,
               r.venue_id, r.start_at, r.distance,
               coalesce(r.surface, '') AS surface,
               TRY_CAST(r.race_class AS BIGINT) AS race_class,
               {_band_sql("r.distance")} AS distance_band,
               count(*) FILTER (WHERE w.withdrawn_at IS NULL) OVER (PARTITION BY u.race_id)
                   AS field_size
        FROM runners u JOIN races r ON r.race_id = u.race_id
        LEFT JOIN withdrawals w ON w.runner_id = u.runner_id
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE cards AS
        SELECT *, {_draw_category_sql("draw", "field_size")} AS draw_category FROM cards
        """
    )


def _create_runs(con: duckdb.DuckDBPyConnection) -> None:
    """``runs``: one row per runner of a race whose result was known before ``as_of``, with the
    race's in-race facts normalised within the race."""
    final = "coalesce(" + ", ".join(f"x.section_time_{i}" for i in range(N_CALLS, 0, -1)) + ")"
    excluded = ", ".join(f"'{s}'" for s in NOT_RUN)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE runs AS
        WITH known AS (
            SELECT c.*, x.observed_at, x.status, x.finish_position, x.lengths_behind,
                   x.position_1, {final} AS final_section_time
            FROM runner_results x JOIN cards c ON c.runner_id = x.runner_id, build_params p
            WHERE x.observed_at < p.as_of AND x.status NOT IN ({excluded})
        ), sized AS (
            SELECT *, count(*) OVER (PARTITION BY race_id) AS started,
                   count(position_1) OVER (PARTITION BY race_id) AS called,
                   avg(final_section_time) OVER (PARTITION BY race_id) AS field_final_time
            FROM known
        )
        SELECT *,
               CASE WHEN finish_position IS NULL THEN 1.0
                    WHEN started < 2 THEN 0.0
                    ELSE (finish_position - 1) / (started - 1) END AS norm_finish,
               CASE WHEN finish_position = 1 THEN 1 ELSE 0 END AS won,
               CASE WHEN finish_position <= 3 THEN 1 ELSE 0 END AS placed,
               CASE WHEN position_1 IS NULL THEN NULL WHEN called < 2 THEN 0.0
                    ELSE (position_1 - 1) / (called - 1) END AS early_norm,
               field_final_time - final_section_time AS sectional,
               -- the rank for the rating: finishers by position, the rest tied behind them
               coalesce(finish_position, 1000) AS rating_rank,
               dense_rank() OVER (ORDER BY observed_at, start_at, race_id) AS race_seq
        FROM sized
        """
    )


def _create_ratings(con: duckdb.DuckDBPyConnection, params: RaceFeatureParams) -> None:
    """``horse_ratings`` and ``band_ratings``: the learned rating after each run."""
    rows = con.execute(
        f"""
        SELECT runner_id, race_id, horse_id, observed_at, rating_rank,
               dense_rank() OVER (ORDER BY horse_id) - 1 AS horse_index,
               dense_rank() OVER (ORDER BY horse_id, surface, distance_band) - 1 AS band_index
        FROM runs ORDER BY {_RACE_ORDER}, runner_id
        """
    ).fetchnumpy()
    race = np.asarray(rows["race_id"], dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, race[1:] != race[:-1]]) if len(race) else race
    rank = np.asarray(rows["rating_rank"], dtype=np.float64)
    kwargs = {
        "mu": params.rating_mu,
        "sigma": params.rating_sigma,
        "beta": params.rating_beta,
        "tau": params.rating_tau,
    }
    horse = np.asarray(rows["horse_index"], dtype=np.int64)
    band = np.asarray(rows["band_index"], dtype=np.int64)
    _, _, mu, sigma = weng_lin_ratings(starts, horse, rank, **kwargs)
    _, _, band_mu, _ = weng_lin_ratings(starts, band, rank, **kwargs)
    frame = pd.DataFrame(
        {
            "runner_id": np.asarray(rows["runner_id"], dtype=np.int64),
            "rating_mu": mu,
            "rating_sigma": sigma,
            "band_rating_mu": band_mu,
        }
    )
    con.register("_ratings", frame)
    con.execute("CREATE OR REPLACE TEMP TABLE run_ratings AS SELECT * FROM _ratings")
    con.unregister("_ratings")


def _cumulative(
    con: duckdb.DuckDBPyConnection, name: str, keys: list[str], values: dict[str, str]
) -> None:
    """``name``: per ``keys`` and result ``observed_at``, running totals of ``values`` (SQL
    aggregates over the runs of one race) over every race known up to then."""
    key = ", ".join(keys)
    per_race = ", ".join(f"{sql} AS {v}" for v, sql in values.items())
    totals = ", ".join(
        f"sum({v}) OVER (PARTITION BY {key} ORDER BY {_RACE_ORDER} ROWS UNBOUNDED PRECEDING) AS {v}"
        for v in values
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {name} AS
        WITH per_race AS (
            SELECT {key}, race_seq, observed_at, {per_race}
            FROM runs WHERE {" AND ".join(f"{k} IS NOT NULL" for k in keys)}
            GROUP BY {key}, race_seq, observed_at
        )
        SELECT {key}, observed_at, {totals}
        FROM per_race
        -- the last race of each instant holds the totals as of that instant
        QUALIFY lead(observed_at) OVER (PARTITION BY {key} ORDER BY race_seq)
                IS DISTINCT FROM observed_at
        """
    )


def _create_histories(con: duckdb.DuckDBPyConnection, params: RaceFeatureParams) -> None:
    n = params.form_window
    frame = f"(PARTITION BY horse_id ORDER BY {_RACE_ORDER} ROWS {n - 1} PRECEDING)"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE horse_state AS
        SELECT r.horse_id, r.observed_at,
               count(*) OVER w AS runs, sum(won) OVER w AS wins, sum(placed) OVER w AS places,
               sum(norm_finish) OVER w AS norm_sum,
               avg(norm_finish) OVER {frame} AS last_norm,
               avg(lengths_behind) OVER {frame} AS last_lengths,
               avg(early_norm) OVER {frame} AS early_position,
               avg(sectional) OVER {frame} AS final_sectional,
               r.norm_finish AS last_norm_finish, r.start_at AS last_start_at,
               r.distance AS last_distance, r.race_class AS last_class,
               r.declared_weight AS last_declared_weight,
               g.rating_mu, g.rating_sigma
        FROM runs r JOIN run_ratings g ON g.runner_id = r.runner_id
        WINDOW w AS (PARTITION BY horse_id ORDER BY {_RACE_ORDER} ROWS UNBOUNDED PRECEDING)
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE band_state AS
        SELECT r.horse_id, r.surface, r.distance_band, r.observed_at, g.band_rating_mu
        FROM runs r JOIN run_ratings g ON g.runner_id = r.runner_id
        """
    )
    counts = {"runs": "count(*)", "wins": "sum(won)"}
    con.execute("CREATE OR REPLACE TEMP TABLE runs AS SELECT *, 1 AS one FROM runs")
    _cumulative(con, "all_state", ["one"], counts)
    _cumulative(con, "jockey_state", ["jockey_id"], counts)
    _cumulative(con, "trainer_state", ["trainer_id"], counts)
    _cumulative(con, "jockey_horse_state", ["jockey_id", "horse_id"], counts)
    _cumulative(con, "jockey_trainer_state", ["jockey_id", "trainer_id"], counts)
    _cumulative(
        con,
        "draw_state",
        ["venue_id", "surface", "distance_band", "draw_category"],
        {"runs": "count(*)", "norm_sum": "sum(norm_finish)"},
    )


def _create_queries(con: duckdb.DuckDBPyConnection, explicit: bool) -> None:
    """``queries``: one row per (runner, cutoff) to compute, with a ``query_id``.

    Without explicit queries every runner is asked once, at ``min(start_at, as_of)``; with them
    (table ``query_cutoffs``: race_id, cutoff_at) each runner of each given race is asked at
    ``min(start_at, cutoff_at)``. Either way only runners whose card was known before the cutoff
    are asked, and not those whose withdrawal was observed at or before it (a withdrawal known
    at the off, as final odds are, takes the runner out of the race asked at its off); the
    field (``field_size``, ``draw_category``) is the runners asked at that cutoff.
    """
    asked = (
        "SELECT DISTINCT race_id, cutoff_at FROM query_cutoffs"
        if explicit
        else "SELECT race_id, CAST(NULL AS TIMESTAMP) AS cutoff_at FROM races"
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE queries AS
        WITH asked AS (
            SELECT c.* EXCLUDE (field_size, draw_category, withdrawn_at),
                   least(c.start_at, coalesce(a.cutoff_at, p.as_of)) AS cutoff_at,
                   c.withdrawn_at, p.recent_days
            FROM cards c JOIN ({asked}) a ON a.race_id = c.race_id, build_params p
        ), fielded AS (
            SELECT * EXCLUDE (withdrawn_at),
                   count(*) OVER (PARTITION BY race_id, cutoff_at) AS field_size
            FROM asked
            WHERE card_observed_at < cutoff_at
              AND (withdrawn_at IS NULL OR withdrawn_at > cutoff_at)
        )
        SELECT * EXCLUDE (recent_days),
               {_draw_category_sql("draw", "field_size")} AS draw_category,
               row_number() OVER (ORDER BY cutoff_at, race_id, runner_id) AS query_id,
               cutoff_at - INTERVAL (recent_days) DAY AS recent_from
        FROM fielded
        """
    )


def _shrunk(wins: str, runs: str, prior: str, m: float) -> str:
    return f"({wins} + {m} * {prior}) / ({runs} + {m})"


def _create_runner_state(con: duckdb.DuckDBPyConnection, params: RaceFeatureParams) -> None:
    """``runner_state``: per query, the histories as of its cutoff."""
    m = params.shrink_runs
    md = params.draw_shrink_runs
    prior = "(ga.wins / ga.runs)"

    def rate(alias: str, recent: str | None = None) -> str:
        if recent is None:
            return _shrunk(f"coalesce({alias}.wins, 0)", f"coalesce({alias}.runs, 0)", prior, m)
        wins = f"(coalesce({alias}.wins, 0) - coalesce({recent}.wins, 0))"
        runs = f"(coalesce({alias}.runs, 0) - coalesce({recent}.runs, 0))"
        return _shrunk(wins, runs, prior, m)

    # One narrow ASOF join per history, then hash joins on the runner: chaining the ASOF joins
    # in one statement carries every column through every join's sort (several times slower).
    lookups = {
        "h": ("horse_state", "h.horse_id = q.horse_id", "cutoff_at"),
        "b": (
            "band_state",
            "b.horse_id = q.horse_id AND b.surface = q.surface "
            "AND b.distance_band = q.distance_band",
            "cutoff_at",
        ),
        "ga": ("all_state", "ga.one = 1", "cutoff_at"),
        "j": ("jockey_state", "j.jockey_id = q.jockey_id", "cutoff_at"),
        "jr": ("jockey_state", "jr.jockey_id = q.jockey_id", "recent_from"),
        "t": ("trainer_state", "t.trainer_id = q.trainer_id", "cutoff_at"),
        "tr": ("trainer_state", "tr.trainer_id = q.trainer_id", "recent_from"),
        "jh": (
            "jockey_horse_state",
            "jh.jockey_id = q.jockey_id AND jh.horse_id = q.horse_id",
            "cutoff_at",
        ),
        "jt": (
            "jockey_trainer_state",
            "jt.jockey_id = q.jockey_id AND jt.trainer_id = q.trainer_id",
            "cutoff_at",
        ),
        "d": (
            "draw_state",
            "d.venue_id = q.venue_id AND d.surface = q.surface "
            "AND d.distance_band = q.distance_band AND d.draw_category = q.draw_category",
            "cutoff_at",
        ),
    }
    for alias, (table, on, at) in lookups.items():
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE asof_{alias} AS
            SELECT q.query_id, {alias}.* EXCLUDE (observed_at)
            FROM queries q ASOF JOIN {table} {alias} ON {on} AND q.{at} > {alias}.observed_at
            """
        )
    joins = "\n".join(
        f"LEFT JOIN asof_{alias} {alias} ON {alias}.query_id = q.query_id" for alias in lookups
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE runner_state AS
        SELECT q.query_id,
               coalesce(h.runs, 0) AS horse_runs,
               h.wins / h.runs AS horse_win_rate,
               h.places / h.runs AS horse_place_rate,
               h.norm_sum / h.runs AS horse_norm_finish,
               h.last_norm_finish, h.last_norm, h.last_lengths,
               h.norm_sum / h.runs - h.last_norm AS horse_momentum,
               date_diff('second', h.last_start_at, q.start_at) / 86400.0 AS days_since_last_run,
               q.declared_weight - h.last_declared_weight AS body_weight_change,
               q.distance - h.last_distance AS distance_change,
               coalesce(h.rating_mu, {params.rating_mu}) AS rating_mu,
               coalesce(h.rating_sigma, {params.rating_sigma}) AS rating_sigma,
               coalesce(b.band_rating_mu, {params.rating_mu}) AS band_rating_mu,
               coalesce(j.runs, 0) AS jockey_runs,
               CASE WHEN q.jockey_id IS NOT NULL THEN {rate("j")} END AS jockey_win_rate,
               CASE WHEN q.jockey_id IS NOT NULL THEN {rate("j", "jr")} END
                   AS jockey_win_rate_recent,
               coalesce(t.runs, 0) AS trainer_runs,
               CASE WHEN q.trainer_id IS NOT NULL THEN {rate("t")} END AS trainer_win_rate,
               CASE WHEN q.trainer_id IS NOT NULL THEN {rate("t", "tr")} END
                   AS trainer_win_rate_recent,
               coalesce(jh.runs, 0) AS jockey_horse_runs,
               CASE WHEN q.jockey_id IS NOT NULL THEN {rate("jh")} END AS jockey_horse_win_rate,
               coalesce(jt.runs, 0) AS jockey_trainer_runs,
               CASE WHEN q.jockey_id IS NOT NULL AND q.trainer_id IS NOT NULL
                    THEN {rate("jt")} END AS jockey_trainer_win_rate,
               h.early_position, h.final_sectional,
               q.race_class - h.last_class AS class_change,
               CASE WHEN q.draw_category IS NOT NULL THEN
                   (coalesce(d.norm_sum, 0) + {md} * 0.5) / (coalesce(d.runs, 0) + {md}) - 0.5
               END AS draw_bias
        FROM queries q
        {joins}
        """
    )


def _create_market(con: duckdb.DuckDBPyConnection, params: RaceFeatureParams) -> None:
    """``market``: per query, the latest win odds at or before its cutoff (a final price wins
    a tie with an opening one), de-margined over the field."""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE market AS
        WITH latest AS (
            SELECT q.query_id, q.race_id, q.cutoff_at,
                   arg_max(o.value, epoch_us(o.observed_at) * 2 + (o.kind = 'final')::INT)
                       AS odds,
                   arg_max(o.kind, epoch_us(o.observed_at) * 2 + (o.kind = 'final')::INT)
                       AS odds_kind
            FROM queries q JOIN race_odds o ON o.runner_id = q.runner_id
            WHERE o.market = 'win' AND o.observed_at <= q.cutoff_at
            GROUP BY q.query_id, q.race_id, q.cutoff_at
        )
        SELECT query_id, odds_kind,
               (1.0 / odds) / sum(1.0 / odds) OVER field AS public_prob,
               sum(1.0 / odds) OVER field AS public_overround,
               rank() OVER (field ORDER BY odds) AS public_rank,
               CASE WHEN odds = min(odds) OVER field THEN 1 ELSE 0 END
                   AS is_favourite,
               CASE WHEN odds >= {params.longshot_odds} THEN 1 ELSE 0 END AS is_longshot
        FROM latest
        WINDOW field AS (PARTITION BY race_id, cutoff_at)
        """
    )


def _pct(column: str) -> str:
    """Percentile of ``column`` within its race (0 lowest, ties share the lowest), NULLs out."""
    return (
        f"CASE WHEN {column} IS NOT NULL THEN percent_rank() OVER "
        f"(PARTITION BY race_id, cutoff_at, {column} IS NULL ORDER BY {column}) END"
    )


def build_base(
    con: duckdb.DuckDBPyConnection, as_of: datetime, params: RaceFeatureParams | None = None
) -> None:
    """The base stage of :func:`build_race_features`: the build's parameters, ``cards`` (every
    runner with its race's card) and ``runs`` (every known result, in the order facts became
    known)."""
    params = params or RaceFeatureParams()
    con.execute(
        "CREATE OR REPLACE TEMP TABLE build_params AS "
        "SELECT CAST(? AS TIMESTAMP) AS as_of, CAST(? AS BIGINT) AS recent_days",
        [as_of, params.recent_days],
    )
    _create_cards(con)
    _create_runs(con)


def build_career_and_form(
    con: duckdb.DuckDBPyConnection, params: RaceFeatureParams | None = None
) -> None:
    """The career and form stage (after :func:`build_base`): the learned ratings and the
    histories of horses, jockeys, trainers and their combinations."""
    params = params or RaceFeatureParams()
    _create_ratings(con, params)
    _create_histories(con, params)


#: The table :func:`build_advanced` leaves: one row per runner (and cutoff), ids and every
#: feature.
FEATURES_TABLE = "race_features"
#: The id columns of :data:`FEATURES_TABLE` and of :func:`build_race_features`' frame.
FEATURE_ID_COLUMNS = (
    "runner_id",
    "race_id",
    "horse_id",
    "start_at",
    "cutoff_at",
    "public_odds_kind",
)


def build_advanced(
    con: duckdb.DuckDBPyConnection,
    params: RaceFeatureParams | None = None,
    queries: pd.DataFrame | None = None,
) -> None:
    """The advanced stage (after :func:`build_career_and_form`): the queries at each cutoff
    (``queries`` as in :func:`build_race_features`), the runner state as of it, the market and
    the within-race field features, into the temp table :data:`FEATURES_TABLE` (ids and every
    feature, unordered)."""
    params = params or RaceFeatureParams()
    if queries is not None:
        asked = pd.DataFrame(
            {
                "race_id": queries["race_id"].to_numpy(dtype="int64"),
                "cutoff_at": pd.to_datetime(queries["cutoff_at"]).to_numpy(dtype="datetime64[us]"),
            }
        )
        con.register("_query_cutoffs", asked)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE query_cutoffs AS "
            "SELECT CAST(race_id AS BIGINT) AS race_id, CAST(cutoff_at AS TIMESTAMP) AS cutoff_at "
            "FROM _query_cutoffs"
        )
        con.unregister("_query_cutoffs")
    _create_queries(con, explicit=queries is not None)
    _create_runner_state(con, params)
    _create_market(con, params)
    n = params.form_window
    low, mid, high = params.style_cuts
    # Rounded first, so a mean a float's width from a cut falls on the same side everywhere.
    early = "round(s.early_position, 9)"
    style = (
        f"CASE WHEN s.early_position IS NULL THEN NULL WHEN {early} < {low} THEN 0 "
        f"WHEN {early} < {mid} THEN 1 WHEN {early} < {high} THEN 2 ELSE 3 END"
    )
    # The within-race windows run over narrow rows: sorting the wide ones costs several times
    # more.
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE field_stats AS
        WITH narrow AS (
            SELECT q.query_id, q.race_id, q.cutoff_at, q.carried_weight, q.rating, s.rating_mu,
                   {style} AS running_style
            FROM queries q JOIN runner_state s ON s.query_id = q.query_id
        )
        SELECT query_id, running_style,
               rating_mu - avg(rating_mu) OVER field AS rating_mu_vs_field,
               {_pct("rating_mu")} AS rating_mu_field_pct,
               sum(CASE WHEN running_style = 0 THEN 1 ELSE 0 END) OVER field
                   AS field_leaders,
               carried_weight - avg(carried_weight) OVER field
                   AS weight_vs_field,
               {_pct("carried_weight")} AS weight_field_pct,
               rating - avg(rating) OVER field AS rating_vs_field,
               {_pct("rating")} AS rating_field_pct
        FROM narrow
        WINDOW field AS (PARTITION BY race_id, cutoff_at)
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {FEATURES_TABLE} AS
        SELECT q.runner_id, q.race_id, q.horse_id, q.start_at, q.cutoff_at,
               s.horse_runs, s.horse_win_rate, s.horse_place_rate, s.horse_norm_finish,
               s.last_norm_finish AS horse_last_norm_finish,
               s.last_norm AS horse_last{n}_norm_finish,
               s.last_lengths AS horse_last{n}_lengths_behind,
               s.horse_momentum, s.days_since_last_run, s.body_weight_change, s.distance_change,
               s.rating_mu, s.rating_sigma, s.band_rating_mu,
               f.rating_mu_vs_field, f.rating_mu_field_pct,
               s.jockey_runs, s.jockey_win_rate,
               s.jockey_win_rate_recent AS jockey_win_rate_{params.recent_days}d,
               s.trainer_runs, s.trainer_win_rate,
               s.trainer_win_rate_recent AS trainer_win_rate_{params.recent_days}d,
               s.jockey_horse_runs, s.jockey_horse_win_rate, s.jockey_trainer_runs,
               s.jockey_trainer_win_rate,
               s.early_position, f.running_style, f.field_leaders,
               s.final_sectional, q.race_class, s.class_change, q.distance, q.distance_band,
               q.draw,
               CASE WHEN q.field_size > 1 THEN (q.draw - 1) / (q.field_size - 1) END
                   AS draw_relative,
               q.draw_category, s.draw_bias, q.field_size, q.carried_weight,
               f.weight_vs_field, f.weight_field_pct,
               q.rating AS official_rating, f.rating_vs_field, f.rating_field_pct,
               q.horse_age,
               CASE WHEN s.days_since_last_run > {params.stale_days} THEN 1 ELSE 0 END
                   AS is_stale,
               CASE WHEN s.horse_runs < {params.low_sample_runs} THEN 1 ELSE 0 END
                   AS is_low_sample,
               mk.public_prob, mk.public_overround, mk.public_rank, mk.is_favourite,
               mk.is_longshot, mk.odds_kind AS public_odds_kind
        FROM queries q JOIN runner_state s ON s.query_id = q.query_id
        JOIN field_stats f ON f.query_id = q.query_id
        LEFT JOIN market mk ON mk.query_id = q.query_id
        """
    )


def build_race_features(
    con: duckdb.DuckDBPyConnection,
    as_of: datetime,
    params: RaceFeatureParams | None = None,
    queries: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Compute every registered racing feature for every runner in table ``runners`` whose
    card was known before its cutoff ``min(start_at, as_of)`` (or, given ``queries``, each
    cutoff of its race there).

    The stages are :func:`build_base`, :func:`build_career_and_form` and
    :func:`build_advanced`, in that order (a rebuild times them as its phases).

    Parameters
    ----------
    con
        A DuckDB connection holding the tables of :data:`RACE_INPUT_COLUMNS` (from the store,
        see :mod:`formline.races.features.inputs`, or :func:`create_input_tables`).
    as_of
        Naive UTC timestamp: no fact observed at or after it is used.
    params
        Feature parameters; the defaults unless given.
    queries
        ``race_id`` and ``cutoff_at`` (naive UTC): every runner of each given race is computed
        as of ``min(start_at, cutoff_at)`` (features as known at a lead before the race), one
        row per runner and cutoff. Facts observed at or after ``as_of`` stay unused.

    Returns
    -------
    pandas.DataFrame
        One row per runner (and cutoff) ordered by ``start_at``, ``race_id``, ``runner_id``
        (then ``cutoff_at``): ``runner_id``, ``race_id``, ``horse_id``, ``start_at``,
        ``cutoff_at``, ``public_odds_kind`` (the kind of the win odds the market features read:
        ``final``, ``opening``, or missing) and every feature of the registry, in registry
        order.
    """
    params = params or RaceFeatureParams()
    build_base(con, as_of, params)
    build_career_and_form(con, params)
    build_advanced(con, params, queries)
    return read_race_features(con, params)


def read_race_features(
    con: duckdb.DuckDBPyConnection, params: RaceFeatureParams | None = None
) -> pd.DataFrame:
    """:data:`FEATURES_TABLE` (left by :func:`build_advanced`) as :func:`build_race_features`
    returns it: ordered, ids then every feature as float."""
    feature_set = race_feature_set(params)
    frame = con.execute(
        f"SELECT * FROM {FEATURES_TABLE} ORDER BY start_at, race_id, runner_id, cutoff_at"
    ).df()
    ids = list(FEATURE_ID_COLUMNS)
    feature_set.check_columns(c for c in frame.columns if c not in ids)
    features = frame[feature_set.names].astype("float64")
    return pd.concat(
        [
            frame[ids].astype({"start_at": "datetime64[us]", "cutoff_at": "datetime64[us]"}),
            features,
        ],
        axis=1,
    )
