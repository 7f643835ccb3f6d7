"""Per-team state after each known result: recent form, venue form, ratings, recent kickoffs.

One row per (team, result), ordered by ``observed_at``. A match reads the latest row of each of
its teams observed strictly before its cutoff with an ASOF join (see build.py), so every window
here is over results that were already known then. Rating recurrences run once over all results
in the order they became known (numba kernels), never per query.
"""

from __future__ import annotations

import duckdb
import numpy as np

from formline.core.ratings.elo import elo_kernel
from formline.core.ratings.pi import pi_kernel
from formline.matches.features.registry import FORM_METRICS, VENUE_METRICS, FeatureParams

# The value columns of a team-perspective result row, from the home side's point of view.
_PERSPECTIVE = {
    "gf": ("home_goals", "away_goals"),
    "ga": ("away_goals", "home_goals"),
    "shots_for": ("home_shots", "away_shots"),
    "shots_against": ("away_shots", "home_shots"),
    "sot_for": ("home_shots_on_target", "away_shots_on_target"),
    "sot_against": ("away_shots_on_target", "home_shots_on_target"),
    "xg_for": ("home_xg", "away_xg"),
    "xg_against": ("away_xg", "home_xg"),
}
# Feature metric name -> column of the team-perspective rows.
_METRIC_COLUMN = {
    "points": "points",
    "goals_for": "gf",
    "goals_against": "ga",
    "shots_for": "shots_for",
    "shots_against": "shots_against",
    "sot_for": "sot_for",
    "sot_against": "sot_against",
    "xg_for": "xg_for",
    "xg_against": "xg_against",
}


def create_results(con: duckdb.DuckDBPyConnection) -> None:
    """``results``: finished matches whose result was observed before the build's ``as_of``.

    Expects tables ``matches`` and ``build_params`` (one row with ``as_of``).
    """
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE results AS
        SELECT m.*
        FROM matches m, build_params p
        WHERE m.status = 'finished' AND m.observed_at IS NOT NULL AND m.observed_at < p.as_of
          AND m.home_goals IS NOT NULL AND m.away_goals IS NOT NULL
        """
    )


def _team_rows_sql() -> str:
    sides = []
    for is_home, (own, other) in ((True, ("home", "away")), (False, ("away", "home"))):
        values = ", ".join(
            f"{pair[0 if is_home else 1]} AS {name}" for name, pair in _PERSPECTIVE.items()
        )
        sides.append(
            f"SELECT match_id, observed_at, kickoff_at, competition_id, season, "
            f"{own}_team_id AS team_id, {other}_team_id AS opponent_id, "
            f"{str(is_home).upper()} AS is_home, {values} FROM results"
        )
    return " UNION ALL ".join(sides)


def _weighted_mean(column: str, window: int, frame: str, r: str = "r") -> str:
    """Linearly weighted mean of ``column`` over the last ``window`` rows (newest weight
    ``window``, oldest 1), skipping NULLs, as plain window sums over the row ordinal ``r``."""
    base = f"({r} - {window})"
    num = f"SUM({r} * {column}) OVER {frame} - {base} * SUM({column}) OVER {frame}"
    den = (
        f"SUM(CASE WHEN {column} IS NOT NULL THEN {r} END) OVER {frame} "
        f"- {base} * COUNT({column}) OVER {frame}"
    )
    return f"({num}) / NULLIF({den}, 0)"


def create_team_state(con: duckdb.DuckDBPyConnection, params: FeatureParams) -> None:
    """``team_state`` and ``venue_state``: one row per (team, result), deduplicated so that each
    (team, observed_at) has one row (the last one processed).

    Expects ``results`` and ``team_ratings`` (see :func:`create_team_ratings`).
    """
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE team_results AS
        SELECT *,
               CASE WHEN gf > ga THEN 3 WHEN gf = ga THEN 1 ELSE 0 END AS points,
               row_number() OVER (PARTITION BY team_id ORDER BY observed_at, match_id) AS r,
               row_number() OVER (
                   PARTITION BY team_id, is_home ORDER BY observed_at, match_id
               ) AS venue_r
        FROM ({_team_rows_sql()})
        """
    )
    longest = max(params.form_windows)
    window_defs = [
        f"w{n} AS (PARTITION BY team_id ORDER BY r ROWS BETWEEN {n - 1} PRECEDING AND CURRENT ROW)"
        for n in params.form_windows
    ]
    form_cols = [
        f"{_weighted_mean(_METRIC_COLUMN[metric], n, f'w{n}')} AS form{n}_{metric}"
        for n in params.form_windows
        for metric, _ in FORM_METRICS
    ]
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE team_state AS
        SELECT t.team_id, t.observed_at, t.season, t.kickoff_at AS last_kickoff_at,
               COUNT(*) OVER w{longest} AS form_matches,
               list(t.kickoff_at) OVER w{longest} AS recent_kickoffs,
               {", ".join(form_cols)},
               k.elo_after, k.pi_home_after, k.pi_away_after
        FROM team_results t
        JOIN team_ratings k ON k.match_id = t.match_id AND k.is_home = t.is_home
        WINDOW {", ".join(window_defs)}
        QUALIFY r = max(r) OVER (PARTITION BY t.team_id, t.observed_at)
        """
    )
    n = params.venue_window
    venue_frame = (
        f"(PARTITION BY team_id, is_home ORDER BY venue_r "
        f"ROWS BETWEEN {n - 1} PRECEDING AND CURRENT ROW)"
    )
    venue_cols = ", ".join(
        f"{_weighted_mean(_METRIC_COLUMN[m], n, 'wv', r='venue_r')} AS venue{n}_{m}"
        for m in VENUE_METRICS
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE venue_state AS
        SELECT team_id, is_home, observed_at, {venue_cols}
        FROM team_results
        WINDOW wv AS {venue_frame}
        QUALIFY venue_r = max(venue_r) OVER (PARTITION BY team_id, is_home, observed_at)
        """
    )


def create_team_ratings(con: duckdb.DuckDBPyConnection, params: FeatureParams) -> None:
    """``team_ratings``: Elo and pi-ratings of both teams after each result in ``results``.

    The recurrences run over results in the order they became known (``observed_at``, then
    ``match_id`` to break ties). A team's first Elo rating is the mean, or the mean less the
    promoted-team penalty when it first appears after its competition's first season.
    """
    rows = con.execute(
        """
        WITH first_season AS (
            SELECT competition_id, min(season) AS season FROM matches GROUP BY competition_id
        )
        SELECT r.match_id, r.home_team_id, r.away_team_id, r.home_goals, r.away_goals,
               dense_rank() OVER (ORDER BY r.season) AS season_idx,
               (r.season <> f.season) AS promoted_possible
        FROM results r JOIN first_season f USING (competition_id)
        ORDER BY r.observed_at, r.match_id
        """
    ).fetchnumpy()
    match_id = np.asarray(rows["match_id"], dtype=np.int64)
    teams, codes = np.unique(
        np.concatenate([rows["home_team_id"], rows["away_team_id"]]), return_inverse=True
    )
    n = len(match_id)
    home_idx = codes[:n].astype(np.int64)
    away_idx = codes[n:].astype(np.int64)
    home_goals = np.asarray(rows["home_goals"], dtype=np.float64)
    away_goals = np.asarray(rows["away_goals"], dtype=np.float64)
    initial = np.where(
        np.asarray(rows["promoted_possible"], dtype=bool),
        params.elo_mean - params.elo_promoted_penalty,
        params.elo_mean,
    ).astype(np.float64)
    _, _, elo_home, elo_away = elo_kernel(
        home_idx,
        away_idx,
        home_goals,
        away_goals,
        np.asarray(rows["season_idx"], dtype=np.int64),
        initial,
        initial,
        params.elo_k,
        params.elo_home_advantage,
        params.elo_season_regression,
        params.elo_mean,
        params.elo_use_mov,
    )
    pi = pi_kernel(
        home_idx,
        away_idx,
        home_goals,
        away_goals,
        len(teams),
        params.pi_learning_rate,
        params.pi_cross_rate,
    )
    hh_after, ha_after, ah_after, aa_after = pi[4:]
    ratings = {
        "match_id": np.concatenate([match_id, match_id]),
        "is_home": np.concatenate([np.ones(n, dtype=bool), np.zeros(n, dtype=bool)]),
        "elo_after": np.concatenate([elo_home, elo_away]),
        "pi_home_after": np.concatenate([hh_after, ah_after]),
        "pi_away_after": np.concatenate([ha_after, aa_after]),
    }
    con.register("_team_ratings", _to_arrow(ratings))
    con.execute("CREATE OR REPLACE TEMP TABLE team_ratings AS SELECT * FROM _team_ratings")
    con.unregister("_team_ratings")


def _to_arrow(columns: dict[str, np.ndarray]) -> object:
    import pyarrow as pa

    return pa.table(columns)
