"""The straightforward pandas version of the match features, for benchmarks and cross-checks.

Same definitions as :func:`formline.matches.features.build_match_features`: the cutoff of a match
is ``min(kickoff_at, as_of)`` and only facts with ``observed_at < cutoff`` count. Written the way
a team would write it without DuckDB: a plain-Python Elo/pi loop over results in the order they
became known, ``groupby().rolling().apply()`` for form, ``merge_asof`` to read each team's state
before a cutoff, and per-match lookups for head-to-head, league tables and market prices.

``benchmarks/crosscheck_features.py`` compares it with the DuckDB builder column by column, and
``benchmarks/features_build.py`` times the two on equal inputs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from formline.core.ratings.pi import pi_expected_goal_difference
from formline.matches.features.registry import (
    FORM_METRICS,
    LONG_FORM_METRICS,
    MARGIN_STATS,
    VENUE_METRICS,
    FeatureParams,
    match_feature_set,
)
from pandas_lookups import head_to_head, league_table, market

# Team-perspective value columns: (own side's column, other side's column) for the home team.
_PERSPECTIVE = {
    "goals_for": ("home_goals", "away_goals"),
    "goals_against": ("away_goals", "home_goals"),
    "shots_for": ("home_shots", "away_shots"),
    "shots_against": ("away_shots", "home_shots"),
    "sot_for": ("home_shots_on_target", "away_shots_on_target"),
    "sot_against": ("away_shots_on_target", "home_shots_on_target"),
    "xg_for": ("home_xg", "away_xg"),
    "xg_against": ("away_xg", "home_xg"),
    "corners_for": ("home_corners", "away_corners"),
    "corners_against": ("away_corners", "home_corners"),
}
_MARGIN_COLUMNS = {
    "goals": ("home_goals", "away_goals"),
    "sot": ("home_shots_on_target", "away_shots_on_target"),
    "shots": ("home_shots", "away_shots"),
}


def _weighted_mean(window: int) -> Callable[[np.ndarray], float]:
    """Linearly weighted mean of a rolling window (newest weight ``window``), NaNs skipped."""
    weights = np.arange(1, window + 1, dtype=np.float64)

    def mean(x: np.ndarray) -> float:
        w = weights[-len(x) :]
        ok = ~np.isnan(x)
        total = w[ok].sum()
        return float((x[ok] * w[ok]).sum() / total) if total else math.nan

    return mean


def ratings_loop(
    results: pd.DataFrame, first_season: Mapping[Any, str], p: FeatureParams
) -> dict[tuple[int, bool], tuple[float, float, float]]:
    """Elo and pi-ratings after every result, in a plain Python loop over ``results`` (already in
    the order the results became known). Returns ``{(match_id, is_home): (elo, pi_h, pi_a)}``."""
    elo: dict[int, float] = {}
    elo_season: dict[int, str] = {}
    pi_home: dict[int, float] = {}
    pi_away: dict[int, float] = {}
    keep = 1.0 - p.elo_season_regression
    c, b = 3.0, 10.0
    out = {}
    rows = results[["match_id", "competition_id", "season", "home_team_id", "away_team_id"]]
    goals = results[["home_goals", "away_goals"]].to_numpy(dtype=float)
    for (match_id, comp, season, home, away), (hg, ag) in zip(
        rows.itertuples(index=False, name=None), goals, strict=True
    ):
        initial = p.elo_mean - (p.elo_promoted_penalty if season != first_season[comp] else 0.0)
        for team in (home, away):
            if team not in elo:
                elo[team] = initial
            elif elo_season[team] != season:
                elo[team] = p.elo_mean + (elo[team] - p.elo_mean) * keep
            elo_season[team] = season
        diff = elo[home] - elo[away] + p.elo_home_advantage
        expected = 1.0 / (1.0 + 10.0 ** (-diff / 400.0))
        gd = hg - ag
        actual = 1.0 if gd > 0 else (0.0 if gd < 0 else 0.5)
        multiplier = 1.0
        if p.elo_use_mov and gd != 0:
            winner_diff = diff if gd > 0 else -diff
            multiplier = math.log(abs(gd) + 1.0) / math.log(2.0) * 2.2 / (winner_diff * 0.001 + 2.2)
        delta = p.elo_k * multiplier * (actual - expected)
        elo[home] += delta
        elo[away] -= delta

        r_home, r_away = pi_home.get(home, 0.0), pi_away.get(away, 0.0)
        g_home = math.copysign(b ** (abs(r_home) / c) - 1.0, r_home)
        g_away = math.copysign(b ** (abs(r_away) / c) - 1.0, r_away)
        error = gd - (g_home - g_away)
        psi = math.copysign(c * math.log1p(abs(error)) / math.log(b), error)
        change = psi * p.pi_learning_rate
        pi_home[home] = r_home + change
        pi_away[home] = pi_away.get(home, 0.0) + change * p.pi_cross_rate
        pi_away[away] = r_away - change
        pi_home[away] = pi_home.get(away, 0.0) - change * p.pi_cross_rate
        out[(match_id, True)] = (elo[home], pi_home[home], pi_away[home])
        out[(match_id, False)] = (elo[away], pi_home[away], pi_away[away])
    return out


def margin_loop(
    results: pd.DataFrame, p: FeatureParams
) -> tuple[dict[tuple[int, bool], list[float]], pd.DataFrame]:
    """Margin ratings after every result, in a plain Python loop over ``results`` (in the order
    the results became known). Returns ``{(match_id, is_home): [rating per stat]}`` and one row
    per result with its competition's home advantages after it."""
    rating: dict[tuple[str, int], float] = {}
    advantage: dict[tuple[str, int], float] = {}
    season_of: dict[int, str] = {}
    keep = 1.0 - p.margin_season_regression
    decay = 0.5 ** (1.0 / p.home_advantage_half_life)
    recent: dict[tuple[str, int], tuple[float, float]] = {}  # weighted sum, weight
    out: dict[tuple[int, bool], list[float]] = {}
    competition_rows = []
    stats = list(MARGIN_STATS)
    rows = results[["match_id", "competition_id", "season", "home_team_id", "away_team_id"]]
    values = {
        stat: (results[h].astype(float) - results[a].astype(float)).to_numpy()
        for stat, (h, a) in _MARGIN_COLUMNS.items()
    }
    observed = results["observed_at"].to_numpy()
    for i, (match_id, comp, season, home, away) in enumerate(rows.itertuples(False, None)):
        for team in (home, away):
            if team in season_of and season_of[team] != season:
                for stat in stats:
                    rating[(stat, team)] = rating.get((stat, team), 0.0) * keep
            season_of[team] = season
        after = {"competition_id": comp, "observed_at": observed[i]}
        for stat in stats:
            margin = values[stat][i]
            h, a = rating.get((stat, home), 0.0), rating.get((stat, away), 0.0)
            c = advantage.get((stat, comp), 0.0)
            if not math.isnan(margin):
                error = margin - (h - a + c)
                rating[(stat, home)] = h + p.margin_k(stat) * error
                rating[(stat, away)] = a - p.margin_k(stat) * error
                advantage[(stat, comp)] = c + p.margin_home_k * error
                total, weight = recent.get((stat, comp), (0.0, 0.0))
                recent[(stat, comp)] = (decay * total + margin - (h - a), decay * weight + 1.0)
            after[f"{stat}_home_advantage"] = advantage.get((stat, comp), 0.0)
            total, weight = recent.get((stat, comp), (0.0, 0.0))
            after[f"{stat}_recent_home_advantage"] = total / weight if weight else math.nan
        competition_rows.append(after)
        out[(match_id, True)] = [rating.get((stat, home), 0.0) for stat in stats]
        out[(match_id, False)] = [rating.get((stat, away), 0.0) for stat in stats]
    return out, pd.DataFrame(competition_rows)


def team_rows(results: pd.DataFrame) -> pd.DataFrame:
    """One row per (team, result) from the team's point of view, ordered by team and time."""
    sides = []
    for is_home, own, other in ((True, "home", "away"), (False, "away", "home")):
        side = results[["match_id", "competition_id", "season", "kickoff_at", "observed_at"]].copy()
        side["team_id"] = results[f"{own}_team_id"]
        side["opponent_id"] = results[f"{other}_team_id"]
        side["is_home"] = is_home
        for name, (home_col, away_col) in _PERSPECTIVE.items():
            side[name] = results[home_col if is_home else away_col].astype(float)
        sides.append(side)
    rows = pd.concat(sides, ignore_index=True)
    rows["points"] = np.select(
        [rows["goals_for"] > rows["goals_against"], rows["goals_for"] == rows["goals_against"]],
        [3.0, 1.0],
        0.0,
    )
    return rows.sort_values(["team_id", "observed_at", "match_id"], ignore_index=True)


def _rolling_form(
    rows: pd.DataFrame, by: list[str], window: int, metrics: list[str]
) -> pd.DataFrame:
    rolled = (
        rows.groupby(by, sort=False)[metrics]
        .rolling(window, min_periods=1)
        .apply(_weighted_mean(window), raw=True)
    )
    return rolled.reset_index(level=list(range(len(by))), drop=True).reindex(rows.index)


def _shifted_form(
    rows: pd.DataFrame, by: list[str], window: int, metrics: list[str]
) -> pd.DataFrame:
    """The same weighted means, vectorised: a sum of ``groupby().shift(age)`` columns weighted
    ``window - age`` (the variant a performance-minded pandas user would write)."""
    grouped = rows.groupby(by, sort=False)[metrics]
    num = pd.DataFrame(0.0, index=rows.index, columns=metrics)
    den = num.copy()
    for age in range(window):
        x = grouped.shift(age) if age else rows[metrics]
        num += x.fillna(0.0) * (window - age)
        den += x.notna() * (window - age)
    return num / den.where(den > 0)


def merge_asof(queries: pd.DataFrame, state: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Each query row with the latest ``state`` row observed strictly before its cutoff."""
    return pd.merge_asof(
        queries,
        state.sort_values("observed_at"),
        left_on="cutoff_at",
        right_on="observed_at",
        by=by,
        allow_exact_matches=False,
    )


def reference_features(
    matches: pd.DataFrame,
    odds: pd.DataFrame,
    as_of: datetime,
    params: FeatureParams | None = None,
    timings: dict[str, float] | None = None,
    form: str = "rolling",
) -> pd.DataFrame:
    """Every registered match feature for every match, computed with pandas.

    ``matches`` and ``odds`` have the builder's input columns (naive UTC timestamps). Returns one
    row per match ordered by ``match_id``: ``match_id``, ``cutoff_at`` and the features in
    registry order. ``timings``, if given, receives seconds per stage. ``form`` is
    ``"rolling"`` (``groupby().rolling().apply()``, the straightforward way) or ``"shift"``
    (vectorised weighted sums of shifted columns).
    """
    rolling_form = {"rolling": _rolling_form, "shift": _shifted_form}[form]
    p = params or FeatureParams()
    timings = timings if timings is not None else {}
    clock = [time.perf_counter()]

    def lap(stage: str) -> None:
        now = time.perf_counter()
        timings[stage] = timings.get(stage, 0.0) + now - clock[0]
        clock[0] = now

    as_of_ts = pd.Timestamp(as_of)
    m = matches.sort_values("match_id", ignore_index=True)
    m["cutoff_at"] = m["kickoff_at"].where(m["kickoff_at"] < as_of_ts, as_of_ts)
    known = (
        (m["status"] == "finished")
        & m["observed_at"].notna()
        & (m["observed_at"] < as_of_ts)
        & m["home_goals"].notna()
        & m["away_goals"].notna()
    )
    results = m[known].sort_values(["observed_at", "match_id"], ignore_index=True)
    first_season = dict(m.groupby("competition_id")["season"].min().items())

    # Ratings: one Python loop over results in the order they became known.
    ratings = ratings_loop(results, first_season, p)
    rows = team_rows(results)
    keys = zip(rows["match_id"], rows["is_home"], strict=True)
    rows[["elo_after", "pi_home_after", "pi_away_after"]] = [ratings[k] for k in keys]
    margins, competition_state = margin_loop(results, p)
    margin_cols = [f"{stat}_rating_after" for stat in MARGIN_STATS]
    keys = zip(rows["match_id"], rows["is_home"], strict=True)
    rows[margin_cols] = [margins[k] for k in keys]
    competition_state = competition_state.drop_duplicates(
        ["competition_id", "observed_at"], keep="last"
    )
    lap("ratings")

    # Form: weighted rolling means per team (and per team and venue).
    metric_cols = [metric for metric, _ in FORM_METRICS]
    state = rows[["team_id", "observed_at", "season"]].copy()
    state[["elo_after", "pi_home_after", "pi_away_after", *margin_cols]] = rows[
        ["elo_after", "pi_home_after", "pi_away_after", *margin_cols]
    ]
    long_cols = [metric for metric, _ in LONG_FORM_METRICS]
    long_form = rows.groupby("team_id", sort=False)[long_cols].transform(
        lambda x: x.ewm(halflife=p.long_form_half_life, ignore_na=True).mean()
    )
    for metric in long_cols:
        state[f"ewm_{metric}"] = long_form[metric]
    for n in p.form_windows:
        rolled = rolling_form(rows, ["team_id"], n, metric_cols)
        for metric in metric_cols:
            state[f"form{n}_{metric}"] = rolled[metric]
    longest = max(p.form_windows)
    state["form_matches"] = np.minimum(rows.groupby("team_id").cumcount() + 1, longest)
    state = state.drop_duplicates(["team_id", "observed_at"], keep="last")
    venue_rows = rows.sort_values(["team_id", "is_home", "observed_at", "match_id"])
    venue = venue_rows[["team_id", "is_home", "observed_at"]].copy()
    rolled = rolling_form(venue_rows, ["team_id", "is_home"], p.venue_window, list(VENUE_METRICS))
    for metric in VENUE_METRICS:
        venue[f"venue_{metric}"] = rolled[metric]
    venue = venue.drop_duplicates(["team_id", "is_home", "observed_at"], keep="last")
    lap("form")

    # Each side's state as of the cutoff: the latest row observed strictly before it.
    sides = {}
    for side in ("home", "away"):
        q = m[["match_id", "competition_id", "season", "kickoff_at", "cutoff_at"]].copy()
        q["team_id"] = m[f"{side}_team_id"]
        q["is_home"] = side == "home"
        q = q.sort_values("cutoff_at")
        s = merge_asof(q, state, ["team_id"])
        s = s.rename(columns={"season_x": "season", "season_y": "state_season"})
        v = merge_asof(q, venue, ["team_id", "is_home"])
        s = s.merge(v[["match_id", *(f"venue_{x}" for x in VENUE_METRICS)]], on="match_id")
        sides[side] = s.sort_values("match_id", ignore_index=True)
    lap("state lookup")

    # Rest and congestion: per match, the team's known results before the cutoff.
    by_team = {
        team: (rows["observed_at"].to_numpy()[i], rows["kickoff_at"].to_numpy()[i])
        for team, i in rows.groupby("team_id").indices.items()
    }
    span = np.timedelta64(p.congestion_days, "D")
    day = np.timedelta64(1, "D")
    empty = np.array([], dtype="datetime64[us]")
    for s in sides.values():
        rest, first, recent = [], [], []
        gap = np.timedelta64(int(p.first_match_gap_days * 86400), "s")
        for team, cutoff, kickoff in zip(
            s["team_id"].to_numpy(),
            s["cutoff_at"].to_numpy(),
            s["kickoff_at"].to_numpy(),
            strict=True,
        ):
            observed, kickoffs = by_team.get(team, (empty, empty))
            k = int(np.searchsorted(observed, cutoff))
            if k == 0:
                rest.append(p.rest_cap_days)
                first.append(1)
                recent.append(0)
                continue
            last = kickoffs[max(0, k - longest) : k]
            rest.append(min((kickoff - last[-1]) / day, p.rest_cap_days))
            first.append(int(kickoff - last[-1] > gap))
            recent.append(int((last >= kickoff - span).sum()))
        s["rest_days"], s["first_match"], s["recent_matches"] = rest, first, recent
    lap("rest")

    out = pd.DataFrame({"match_id": m["match_id"], "cutoff_at": m["cutoff_at"]})
    mean, penalty, keep = p.elo_mean, p.elo_promoted_penalty, 1.0 - p.elo_season_regression
    for side, s in sides.items():
        first = s["competition_id"].map(first_season)
        unseen = np.where(s["season"] == first, mean, mean - penalty)
        regressed = np.where(
            s["state_season"] == s["season"], s["elo_after"], mean + (s["elo_after"] - mean) * keep
        )
        out[f"{side}_elo"] = np.where(s["elo_after"].isna(), unseen, regressed)
        out[f"{side}_pi"] = s["pi_home_after" if side == "home" else "pi_away_after"].fillna(0.0)
        for n in p.form_windows:
            for metric in metric_cols:
                out[f"{side}_form{n}_{metric}"] = s[f"form{n}_{metric}"]
        out[f"{side}_form_matches"] = s["form_matches"].fillna(0)
        for metric in VENUE_METRICS:
            out[f"{side}_{side}_form{p.venue_window}_{metric}"] = s[f"venue_{metric}"]
        out[f"{side}_rest_days"] = s["rest_days"]
        out[f"{side}_first_match"] = s["first_match"]
        out[f"{side}_matches_{p.congestion_days}d"] = s["recent_matches"]
        for metric in long_cols:
            out[f"{side}_ewm_{metric}"] = s[f"ewm_{metric}"]
        margin_keep = 1.0 - p.margin_season_regression
        for stat in MARGIN_STATS:
            after = s[f"{stat}_rating_after"]
            regressed = np.where(s["state_season"] == s["season"], after, after * margin_keep)
            out[f"_{side}_{stat}_rating"] = np.where(after.isna(), 0.0, regressed)
    out["elo_diff"] = out["home_elo"] - out["away_elo"]
    out["elo_home_expected"] = 1.0 / (
        1.0 + 10.0 ** (-(out["elo_diff"] + p.elo_home_advantage) / 400.0)
    )
    out["home_pi_home"], out["away_pi_away"] = out.pop("home_pi"), out.pop("away_pi")
    q = m[["match_id", "competition_id", "cutoff_at"]].sort_values("cutoff_at")
    advantage = merge_asof(q, competition_state, ["competition_id"]).set_index("match_id")
    for stat in MARGIN_STATS:
        diff = out.pop(f"_home_{stat}_rating") - out.pop(f"_away_{stat}_rating")
        home = advantage[f"{stat}_home_advantage"].reindex(out["match_id"]).fillna(0.0)
        out[f"{stat}_rating_diff"] = diff
        out[f"{stat}_home_advantage"] = home.to_numpy()
        out[f"{stat}_expected_margin"] = diff + home.to_numpy()
        recent = advantage[f"{stat}_recent_home_advantage"].reindex(out["match_id"])
        out[f"{stat}_recent_home_advantage"] = recent.to_numpy()
    out["pi_expected_goal_diff"] = pi_expected_goal_difference(
        out["home_pi_home"], out["away_pi_away"]
    )
    lap("assemble")

    out = out.join(head_to_head(m, rows, p.h2h_window))
    lap("h2h")
    out = out.join(league_table(m, rows))
    lap("table")
    out = out.merge(market(m, odds), on="match_id", how="left")
    lap("market")
    names = match_feature_set(p).names
    return out[["match_id", "cutoff_at", *names]]
