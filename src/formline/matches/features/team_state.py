"""Per-team state after each known result: recent form, venue form, ratings, recent kickoffs.

One row per (team, result), ordered by ``observed_at``. A match reads the latest row of each of
its teams observed strictly before its cutoff with an ASOF join (see build.py), so every window
here is over results that were already known then. Rating recurrences run once over all results
in the order they became known (numba kernels), never per query.
"""

from __future__ import annotations

import math
from typing import Any

import duckdb
import numba
import numpy as np

from formline.core.ratings.elo import elo_kernel
from formline.core.ratings.home_advantage import home_advantage_kernel
from formline.core.ratings.margin import margin_kernel
from formline.core.ratings.pi import pi_kernel
from formline.matches.features.registry import (
    FORM_METRICS,
    LONG_FORM_METRICS,
    MARGIN_STATS,
    VENUE_METRICS,
    FeatureParams,
)

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
    "corners_for": ("home_corners", "away_corners"),
    "corners_against": ("away_corners", "home_corners"),
}
#: Margin-rated statistic -> (home column, away column) of ``results``.
_MARGIN_COLUMNS = {
    "goals": ("home_goals", "away_goals"),
    "sot": ("home_shots_on_target", "away_shots_on_target"),
    "shots": ("home_shots", "away_shots"),
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
    "corners_for": "corners_for",
    "corners_against": "corners_against",
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


#: Results kept per team to count recent matches (no team plays more often in 14 days).
RECENT_KICKOFFS = 7


@numba.njit(cache=True)
def _weighted_window_loop(values: np.ndarray, group_start: np.ndarray, window: int) -> np.ndarray:
    n = values.shape[0]
    out = np.empty(n, dtype=np.float64)
    for t in range(n):
        total = 0.0
        weight = 0.0
        first = max(group_start[t], t - window + 1)
        for i in range(first, t + 1):
            value = values[i]
            if not np.isnan(value):
                w = float(window - (t - i))
                total += w * value
                weight += w
        out[t] = total / weight if weight > 0 else np.nan
    return out


def weighted_rolling_means(
    values: dict[str, np.ndarray], group_start: np.ndarray, window: int
) -> dict[str, np.ndarray]:
    """Linearly weighted means over each row's last ``window`` rows of its group (newest weight
    ``window``, oldest 1), skipping NaN, for rows sorted by group then time.

    Each row's mean is summed from its own window only (never as a difference of running sums
    over the whole array), so a team's value is bit for bit the same whatever other rows, or
    later results, the build holds: a match's features as of a cutoff do not depend on the
    build's ``as_of``.
    """
    starts = np.ascontiguousarray(group_start, dtype=np.int64)
    return {
        name: _weighted_window_loop(np.ascontiguousarray(column, dtype=np.float64), starts, window)
        for name, column in values.items()
    }


@numba.njit(cache=True)
def _exponential_loop(values: np.ndarray, group_start: np.ndarray, decay: float) -> np.ndarray:
    n = values.shape[0]
    out = np.empty(n)
    total = 0.0
    weight = 0.0
    for i in range(n):
        if group_start[i] == i:
            total = 0.0
            weight = 0.0
        value = values[i]
        if not math.isnan(value):
            total = decay * total + value
            weight = decay * weight + 1.0
        out[i] = total / weight if weight > 0.0 else math.nan
    return out


def exponential_means(
    values: dict[str, np.ndarray], group_start: np.ndarray, half_life: float
) -> dict[str, np.ndarray]:
    """Exponentially weighted means over each row and every earlier row of its group, for rows
    sorted by group then time: weight ``0.5 ** (age / half_life)`` with age counted in non-NaN
    rows, NaN rows skipped (pandas' ``ewm(halflife=..., ignore_na=True).mean()``).
    """
    decay = 0.5 ** (1.0 / half_life)
    starts = np.ascontiguousarray(group_start, dtype=np.int64)
    return {
        name: _exponential_loop(np.ascontiguousarray(column, dtype=np.float64), starts, decay)
        for name, column in values.items()
    }


def _group_starts(keys: list[np.ndarray]) -> np.ndarray:
    n = len(keys[0])
    change = np.zeros(n, dtype=bool)
    if n:
        change[0] = True
        for key in keys:
            change[1:] |= key[1:] != key[:-1]
    starts = np.flatnonzero(change)
    return np.repeat(starts, np.diff(np.append(starts, n)))


def _last_per_instant(group_start: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """True for the last row of each (group, observed_at): the state after every fact known
    at that instant."""
    n = len(observed)
    last = np.ones(n, dtype=bool)
    if n > 1:
        same_group = group_start[1:] == group_start[:-1]
        last[:-1] = ~(same_group & (observed[1:] == observed[:-1]))
    return last


def _numeric(column: Any) -> np.ndarray:
    if np.ma.isMaskedArray(column):
        return np.ma.filled(column.astype(np.float64), np.nan)
    return np.asarray(column, dtype=np.float64)


def create_team_state(con: duckdb.DuckDBPyConnection, params: FeatureParams) -> None:
    """``team_state`` and ``venue_state``: one row per (team, result) in the order results
    became known, keeping for each (team, observed_at) only the last row.

    Expects ``results`` and ``team_ratings`` (see :func:`create_team_ratings`).
    """
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE team_results AS
        SELECT t.*, k.* EXCLUDE (match_id, is_home),
               CASE WHEN gf > ga THEN 3 WHEN gf = ga THEN 1 ELSE 0 END AS points
        FROM ({_team_rows_sql()}) t
        JOIN team_ratings k ON k.match_id = t.match_id AND k.is_home = t.is_home
        """
    )
    metrics = sorted({_METRIC_COLUMN[m] for m, _ in (*FORM_METRICS, *LONG_FORM_METRICS)})
    rows = con.execute(
        "SELECT * FROM team_results ORDER BY team_id, observed_at, match_id"
    ).fetchnumpy()
    team = np.asarray(rows["team_id"])
    observed = np.asarray(rows["observed_at"])
    kickoff = np.asarray(rows["kickoff_at"])
    start = _group_starts([team])
    values = {m: _numeric(rows[m]) for m in metrics}
    state: dict[str, np.ndarray] = {
        "team_id": team,
        "observed_at": observed,
        "season": np.asarray(rows["season"]),
        "last_kickoff_at": kickoff,
        "form_matches": np.minimum(np.arange(len(team)) - start + 1, max(params.form_windows)),
    }
    for lag in range(RECENT_KICKOFFS):
        shifted = np.full(len(kickoff), np.datetime64("NaT"), dtype=kickoff.dtype)
        source = np.arange(len(kickoff)) - lag
        ok = source >= start
        shifted[ok] = kickoff[source[ok]]
        state[f"kickoff_{lag}"] = shifted
    for window in params.form_windows:
        means = weighted_rolling_means(values, start, window)
        for metric, _ in FORM_METRICS:
            state[f"form{window}_{metric}"] = means[_METRIC_COLUMN[metric]]
    long_means = exponential_means(values, start, params.long_form_half_life)
    for metric, _ in LONG_FORM_METRICS:
        state[f"ewm_{metric}"] = long_means[_METRIC_COLUMN[metric]]
    ratings = ["elo_after", "pi_home_after", "pi_away_after"]
    for name in [*ratings, *(f"{stat}_rating_after" for stat in MARGIN_STATS)]:
        state[name] = _numeric(rows[name])
    keep = _last_per_instant(start, observed)
    _register(con, "team_state", {k: v[keep] for k, v in state.items()})

    venue_rows = con.execute(
        "SELECT team_id, is_home, observed_at, "
        + ", ".join(sorted({_METRIC_COLUMN[m] for m in VENUE_METRICS}))
        + " FROM team_results ORDER BY team_id, is_home, observed_at, match_id"
    ).fetchnumpy()
    venue_team = np.asarray(venue_rows["team_id"])
    venue_home = np.asarray(venue_rows["is_home"])
    venue_observed = np.asarray(venue_rows["observed_at"])
    venue_start = _group_starts([venue_team, venue_home])
    venue_means = weighted_rolling_means(
        {m: _numeric(venue_rows[m]) for m in sorted({_METRIC_COLUMN[m] for m in VENUE_METRICS})},
        venue_start,
        params.venue_window,
    )
    venue: dict[str, np.ndarray] = {
        "team_id": venue_team,
        "is_home": venue_home,
        "observed_at": venue_observed,
    }
    for metric in VENUE_METRICS:
        venue[f"venue{params.venue_window}_{metric}"] = venue_means[_METRIC_COLUMN[metric]]
    keep = _last_per_instant(venue_start, venue_observed)
    _register(con, "venue_state", {k: v[keep] for k, v in venue.items()})


def _register(con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, np.ndarray]) -> None:
    import pyarrow as pa

    con.register(f"_{name}", pa.table(columns))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _{name}")
    con.unregister(f"_{name}")


def create_team_ratings(con: duckdb.DuckDBPyConnection, params: FeatureParams) -> None:
    """``team_ratings``: Elo, pi- and margin ratings of both teams after each result in
    ``results``; ``competition_state``: each competition's margin home advantages after each
    result (the last per ``observed_at``).

    The recurrences run over results in the order they became known (``observed_at``, then
    ``match_id`` to break ties). A team's first Elo rating is the mean, or the mean less the
    promoted-team penalty when it first appears after its competition's first season.
    """
    rows = con.execute(
        """
        WITH first_season AS (
            SELECT competition_id, min(season) AS season FROM matches GROUP BY competition_id
        )
        SELECT r.match_id, r.observed_at, r.home_team_id, r.away_team_id, r.home_goals,
               r.away_goals, r.home_shots_on_target, r.away_shots_on_target, r.home_shots,
               r.away_shots, r.competition_id,
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
    competitions, competition_idx = np.unique(
        np.asarray(rows["competition_id"], dtype=np.int64), return_inverse=True
    )
    competition_state: dict[str, np.ndarray] = {
        "competition_id": np.asarray(rows["competition_id"], dtype=np.int64),
        "observed_at": np.asarray(rows["observed_at"]),
    }
    for stat, (home_column, away_column) in _MARGIN_COLUMNS.items():
        margin = _numeric(rows[home_column]) - _numeric(rows[away_column])
        out = margin_kernel(
            home_idx,
            away_idx,
            competition_idx,
            np.asarray(rows["season_idx"], dtype=np.int64),
            margin,
            len(teams),
            len(competitions),
            params.margin_k(stat),
            params.margin_home_k,
            params.margin_season_regression,
        )
        ratings[f"{stat}_rating_after"] = np.concatenate([out[3], out[4]])
        competition_state[f"{stat}_home_advantage"] = out[5]
        _, recent = home_advantage_kernel(
            competition_idx,
            margin - (out[0] - out[1]),
            len(competitions),
            params.home_advantage_half_life,
        )
        competition_state[f"{stat}_recent_home_advantage"] = recent
    _register(con, "team_ratings", ratings)
    # The home advantage after every result, read per competition as of each cutoff.
    order = np.lexsort([match_id, competition_state["observed_at"], competition_idx])
    ordered = {k: v[order] for k, v in competition_state.items()}
    start = _group_starts([ordered["competition_id"]])
    keep = _last_per_instant(start, ordered["observed_at"])
    _register(con, "competition_state", {k: v[keep] for k, v in ordered.items()})
