"""Per-match lookups of the pandas reference: head-to-head, league tables and market prices.

Each function loops over the matches and looks up what was known before each cutoff in
structures grouped once up front (see :mod:`pandas_reference`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from formline.core.markets import Method, implied_probabilities, overround
from formline.matches.features.build import EXCLUDED_BOOKMAKERS

_METHODS: dict[Method, str] = {
    "shin": "market",
    "power": "market_power",
    "multiplicative": "market_multiplicative",
}


def head_to_head(m: pd.DataFrame, rows: pd.DataFrame, window: int) -> pd.DataFrame:
    """Per match: the last ``window`` known meetings of the two teams, either venue."""
    home_rows = rows[rows["is_home"]].sort_values(["observed_at", "match_id"])
    team, opponent = home_rows["team_id"].to_numpy(), home_rows["opponent_id"].to_numpy()
    lo, hi = np.minimum(team, opponent), np.maximum(team, opponent)
    columns = [home_rows[c].to_numpy() for c in ("observed_at", "team_id")]
    goal_diff = (home_rows["goals_for"] - home_rows["goals_against"]).to_numpy()
    meetings = {
        (int(lo[i[0]]), int(hi[i[0]])): (columns[0][i], columns[1][i], goal_diff[i])
        for i in pd.DataFrame({"lo": lo, "hi": hi}).groupby(["lo", "hi"]).indices.values()
    }
    out = []
    for home, away, cutoff in zip(
        m["home_team_id"].to_numpy(),
        m["away_team_id"].to_numpy(),
        m["cutoff_at"].to_numpy(),
        strict=True,
    ):
        found = meetings.get((min(home, away), max(home, away)))
        k = 0 if found is None else int(np.searchsorted(found[0], cutoff))
        if found is None or k == 0:
            out.append((0, math.nan, math.nan))
            continue
        hosts, gd = found[1][max(0, k - window) : k], found[2][max(0, k - window) : k]
        gd = np.where(hosts == home, gd, -gd)
        points = np.where(gd > 0, 3.0, np.where(gd == 0, 1.0, 0.0))
        out.append((len(gd), points.mean(), gd.mean()))
    return pd.DataFrame(out, columns=["h2h_meetings", "h2h_home_points", "h2h_home_goal_diff"])


def league_table(m: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Per match: both teams' league standings in its competition-season as of the cutoff,
    ranked over every team with a fixture in that season (computed once per distinct cutoff).

    A pandas ``groupby`` per cutoff costs about 10 ms of overhead (there are ~150,000 distinct
    cutoffs in the 250k world), so each table is summed with ``np.bincount`` over the season's
    known results instead.
    """
    season_teams = {
        key: np.unique(np.concatenate([g["home_team_id"], g["away_team_id"]]))
        for key, g in m.groupby(["competition_id", "season"])
    }
    season_rows = {}
    for key, g in rows.groupby(["competition_id", "season"]):
        g = g.sort_values(["observed_at", "match_id"])
        code = np.searchsorted(season_teams[key], g["team_id"].to_numpy())
        values = g[["points", "goals_for", "goals_against"]].to_numpy(dtype=float)
        season_rows[key] = (g["observed_at"].to_numpy(), code, values)
    tables: dict[tuple[Any, ...], dict[Any, tuple[float, ...]]] = {}
    out = []
    for comp, season, cutoff, home, away in zip(
        *(m[c].to_numpy() for c in ("competition_id", "season", "cutoff_at")),
        m["home_team_id"].to_numpy(),
        m["away_team_id"].to_numpy(),
        strict=True,
    ):
        key = (comp, season, cutoff)
        if key not in tables:
            teams = season_teams[(comp, season)]
            observed, code, values = season_rows.get(
                (comp, season), (np.array([], dtype="M8[us]"), np.array([], int), np.zeros((0, 3)))
            )
            k = int(np.searchsorted(observed, cutoff))
            played = np.bincount(code[:k], minlength=len(teams)).astype(float)
            points, gf, ga = (
                np.bincount(code[:k], values[:k, j], minlength=len(teams)) for j in range(3)
            )
            order = points * 1e10 + (gf - ga + 1e4) * 1e5 + gf
            with np.errstate(invalid="ignore", divide="ignore"):
                position = (order[None, :] > order[:, None]).sum(axis=1) + 1.0
                position = np.where(played > 0, position, np.nan)
                ppg = np.where(played > 0, points / played, np.nan)
                gdpg = np.where(played > 0, (gf - ga) / played, np.nan)
            tables[key] = dict(
                zip(teams, zip(position, ppg, gdpg, played, strict=True), strict=True)
            )
        out.append([*tables[key][home], *tables[key][away]])
    names = ["position", "points_per_game", "goal_diff_per_game", "played"]
    return pd.DataFrame(out, columns=[f"{s}_table_{n}" for s in ("home", "away") for n in names])


def market(m: pd.DataFrame, odds: pd.DataFrame) -> pd.DataFrame:
    """Per match: each bookmaker's latest prices before the cutoff, de-margined, averaged."""
    o = odds[
        ~odds["bookmaker"].isin(EXCLUDED_BOOKMAKERS)
        & ((odds["market"] == "1x2") | ((odds["market"] == "over_under") & (odds["line"] == 2.5)))
    ].copy()
    o["closing"] = o["kind"] == "closing"
    o = o.sort_values(["match_id", "observed_at", "closing"], kind="stable")
    columns = [o[c].to_numpy() for c in ("observed_at", "bookmaker", "market", "selection")]
    price = o["price"].to_numpy(dtype=float)
    ids = o["match_id"].to_numpy()
    starts = dict(zip(*np.unique(ids, return_index=True), strict=True))
    ends = dict(zip(ids, np.arange(1, len(ids) + 1), strict=True))  # last one wins
    one_x_two: list[list[float]] = []
    over_under: list[list[float]] = []
    for match_id, cutoff in zip(m["match_id"].to_numpy(), m["cutoff_at"].to_numpy(), strict=True):
        if match_id not in starts:
            continue
        latest: dict[tuple[str, str], dict[str, float]] = {}
        for i in range(starts[match_id], ends[match_id]):
            if columns[0][i] < cutoff:  # rows are in time order: later rows win
                latest.setdefault((columns[1][i], columns[2][i]), {})[columns[3][i]] = price[i]
        for (_, market), prices in latest.items():
            sel = ("home", "draw", "away") if market == "1x2" else ("over", "under")
            if all(s in prices for s in sel):
                target = one_x_two if market == "1x2" else over_under
                target.append([match_id, *(prices[s] for s in sel)])
    frames = []
    if one_x_two:
        arr = np.array(one_x_two, dtype=np.float64)
        frame = pd.DataFrame({"match_id": arr[:, 0].astype(np.int64)})
        for method, prefix in _METHODS.items():
            probs = implied_probabilities(arr[:, 1:], method=method)
            for i, outcome in enumerate(("home", "draw", "away")):
                frame[f"{prefix}_p_{outcome}"] = probs[:, i]
        frame["market_margin_1x2"] = overround(arr[:, 1:])
        frame = frame.dropna()
        agg = {c: "mean" for c in frame.columns if c != "match_id"}
        grouped = frame.groupby("match_id").agg({**agg, "match_id": "size"})
        frames.append(grouped.rename(columns={"match_id": "market_bookmakers"}))
    if over_under:
        arr = np.array(over_under, dtype=np.float64)
        frame = pd.DataFrame(
            {
                "match_id": arr[:, 0].astype(np.int64),
                "market_p_over_2_5": implied_probabilities(arr[:, 1:], method="shin")[:, 0],
                "market_margin_over_under": overround(arr[:, 1:]),
            }
        ).dropna()
        frames.append(frame.groupby("match_id").mean())
    if not frames:
        return pd.DataFrame({"match_id": pd.Series(dtype="int64")})
    return pd.concat(frames, axis=1).rename_axis("match_id").reset_index()
