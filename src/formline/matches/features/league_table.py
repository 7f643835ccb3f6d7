"""League tables as of every cutoff: position, points and goal difference per game.

For each competition-season, each result counts from the first cutoff strictly after it was
observed (an ASOF join in DuckDB). Standings at every cutoff are then running sums over a dense
(cutoff x team) grid per season, ranked by points, goal difference and goals scored, all in
vectorised numpy: a set-based pass with no per-match queries.
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pyarrow as pa


def _ranks(keys: list[np.ndarray], group: np.ndarray) -> np.ndarray:
    """Competition ranks (1 + number of rows strictly ahead) within each group, larger keys
    first; ties share a rank."""
    order = np.lexsort([*(-k for k in reversed(keys)), group])
    n = len(group)
    sorted_group = group[order]
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = sorted_group[1:] != sorted_group[:-1]
    new_key = new_group.copy()
    for key in keys:
        sorted_key = key[order]
        new_key[1:] |= sorted_key[1:] != sorted_key[:-1]
    position = np.arange(n)
    group_start = np.maximum.accumulate(np.where(new_group, position, 0))
    key_start = np.maximum.accumulate(np.where(new_key, position, 0))
    ranks = np.empty(n, dtype=np.int64)
    ranks[order] = key_start - group_start + 1
    return ranks


def create_league_table(con: duckdb.DuckDBPyConnection) -> None:
    """``table_features``: (competition_id, season, cutoff_at, team_id) -> played, position,
    points_per_game, goal_diff_per_game, for every team with a fixture in the season and every
    distinct cutoff of its matches. Position is NULL for a team that has not played yet.

    Expects ``queries``, ``matches`` and ``team_results``; leaves ``table_cutoffs`` and
    ``table_slots`` behind.
    """
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE table_cutoffs AS
        SELECT competition_id, season, cutoff_at,
               dense_rank() OVER (ORDER BY competition_id, season) - 1 AS block,
               row_number() OVER (PARTITION BY competition_id, season ORDER BY cutoff_at) - 1
                   AS ci
        FROM (SELECT DISTINCT competition_id, season, cutoff_at FROM queries)
        """
    )
    cutoffs = con.execute(
        "SELECT block, ci, competition_id, season, cutoff_at FROM table_cutoffs ORDER BY block, ci"
    ).fetchnumpy()
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE table_slots AS
        WITH season_teams AS (
            SELECT DISTINCT competition_id, season, home_team_id AS team_id FROM matches
            UNION
            SELECT DISTINCT competition_id, season, away_team_id FROM matches
        )
        SELECT b.block, t.team_id,
               row_number() OVER (PARTITION BY b.block ORDER BY t.team_id) - 1 AS slot
        FROM season_teams t
        JOIN (SELECT DISTINCT competition_id, season, block FROM table_cutoffs) b
          USING (competition_id, season)
        """
    )
    teams = con.execute(
        "SELECT block, team_id, slot FROM table_slots ORDER BY block, slot"
    ).fetchnumpy()
    # Each result joins the first cutoff of its season strictly after it was observed.
    increments = con.execute(
        """
        SELECT c.block, c.ci, s.slot, count(*) AS played, sum(r.points) AS points,
               sum(r.gf) AS goals_for, sum(r.gf - r.ga) AS goal_diff
        FROM team_results r
        ASOF JOIN table_cutoffs c
          ON c.competition_id = r.competition_id AND c.season = r.season
         AND r.observed_at < c.cutoff_at
        JOIN table_slots s ON s.block = c.block AND s.team_id = r.team_id
        GROUP BY ALL
        """
    ).fetchnumpy()
    _rank_grid(con, cutoffs, teams, increments)


def _rank_grid(
    con: duckdb.DuckDBPyConnection,
    cutoffs: dict[str, Any],
    teams: dict[str, Any],
    increments: dict[str, Any],
) -> None:
    n_blocks = int(cutoffs["block"].max()) + 1 if len(cutoffs["block"]) else 0
    n_cut = np.bincount(np.asarray(cutoffs["block"], dtype=np.int64), minlength=n_blocks)
    n_team = np.bincount(np.asarray(teams["block"], dtype=np.int64), minlength=n_blocks)
    sizes = n_cut * n_team
    offset = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    total = int(sizes.sum())
    # Grid rows ordered (block, slot, ci): running sums along ci are one cumsum per column.
    block = np.repeat(np.arange(n_blocks), sizes)
    local = np.arange(total) - offset[block]
    slot = local // n_cut[block]
    ci = local % n_cut[block]
    inc_block = np.asarray(increments["block"], dtype=np.int64)
    inc_index = (
        offset[inc_block]
        + np.asarray(increments["slot"], dtype=np.int64) * n_cut[inc_block]
        + np.asarray(increments["ci"], dtype=np.int64)
    )
    series_start = np.arange(total) - ci  # first row of the same (block, slot)
    running = {}
    for name in ("played", "points", "goals_for", "goal_diff"):
        grid = np.zeros(total, dtype=np.float64)
        np.add.at(grid, inc_index, np.asarray(increments[name], dtype=np.float64))
        cumulative = np.cumsum(grid)
        before = np.where(series_start > 0, cumulative[np.maximum(series_start - 1, 0)], 0.0)
        running[name] = cumulative - before
    group = offset[block] + ci  # one group per (block, cutoff)
    position = _ranks([running["points"], running["goal_diff"], running["goals_for"]], group)
    played = running["played"]
    with np.errstate(invalid="ignore", divide="ignore"):
        ppg = np.where(played > 0, running["points"] / played, np.nan)
        gdpg = np.where(played > 0, running["goal_diff"] / played, np.nan)
    cutoff_row = np.concatenate([[0], np.cumsum(n_cut)[:-1]])[block] + ci
    team_row = np.concatenate([[0], np.cumsum(n_team)[:-1]])[block] + slot
    table = pa.table(
        {
            "competition_id": np.asarray(cutoffs["competition_id"])[cutoff_row],
            "season": np.asarray(cutoffs["season"])[cutoff_row],
            "cutoff_at": np.asarray(cutoffs["cutoff_at"])[cutoff_row],
            "team_id": np.asarray(teams["team_id"])[team_row],
            "played": played.astype(np.int64),
            "position": pa.array(position, mask=played == 0),
            "points_per_game": ppg,
            "goal_diff_per_game": gdpg,
        }
    )
    con.register("_table_features", table)
    con.execute("CREATE OR REPLACE TEMP TABLE table_features AS SELECT * FROM _table_features")
    con.unregister("_table_features")
