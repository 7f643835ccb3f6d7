"""A straightforward pandas version of the racing features (the reference the DuckDB builder
is compared with, and the baseline of benchmarks/races_features.py).

Same definitions as formline.races.features.build, written the way a pandas user would:
groupby, cumulative sums, rolling windows and ``merge_asof`` (strict) over the same tables; the
learned rating is a plain Python loop of the Weng-Lin update.
"""

from __future__ import annotations

import math
from datetime import datetime
from itertools import pairwise

import numpy as np
import pandas as pd

from formline.races.features.registry import (
    DISTANCE_BANDS,
    RaceFeatureParams,
    race_feature_set,
)

CALLS = 6
NOT_RUN = ("withdrawn", "took_no_part")
WITHDRAWN = "withdrawn"
ORDER = ["observed_at", "start_at", "race_id"]


def weng_lin_python(
    races: list[list[tuple[int, float]]], params: RaceFeatureParams
) -> list[list[tuple[float, float]]]:
    """Per race (a list of (entity, rank)), each runner's (mu, sigma) after the race."""
    mu: dict[int, float] = {}
    var: dict[int, float] = {}
    beta2 = params.rating_beta**2
    out = []
    for field in races:
        m = [mu.get(e, params.rating_mu) for e, _ in field]
        v = [var.get(e, params.rating_sigma**2) + params.rating_tau**2 for e, _ in field]
        ranks = [r for _, r in field]
        if len(field) < 2:
            for k, (e, _) in enumerate(field):
                var[e] = v[k]
                mu[e] = m[k]
            out.append([(m[k], math.sqrt(v[k])) for k in range(len(field))])
            continue
        c = math.sqrt(sum(v) + len(field) * beta2)
        strength = [math.exp(x / c) for x in m]
        size = len(field)
        sum_q = [sum(strength[i] for i in range(size) if ranks[i] >= ranks[q]) for q in range(size)]
        a_q = [sum(1 for i in range(size) if ranks[i] == ranks[q]) for q in range(size)]
        after = []
        for i in range(size):
            omega = delta = 0.0
            for q in range(size):
                if ranks[q] <= ranks[i]:
                    share = strength[i] / sum_q[q]
                    omega += ((1 - share) if q == i else -share) / a_q[q]
                    delta += share * (1 - share) / a_q[q]
            eta = (math.sqrt(v[i]) / c) * (v[i] / c**2) * delta
            after.append((m[i] + v[i] / c * omega, v[i] * max(1 - eta, 1e-4)))
        for k, (e, _) in enumerate(field):
            mu[e], var[e] = after[k]
        out.append([(a, math.sqrt(b)) for a, b in after])
    return out


def _draw_category(draw: pd.Series, size: pd.Series) -> pd.Series:
    draw = draw.astype("Float64")
    category = np.where(
        3 * (draw - 1) < size - 1, 0, np.where(3 * (draw - 1) < 2 * (size - 1), 1, 2)
    )
    return pd.Series(category, index=draw.index, dtype="float64").where(
        draw.notna().to_numpy() & (size >= 2).to_numpy()
    )


def _cards(frames: dict[str, pd.DataFrame], as_of: datetime) -> pd.DataFrame:
    races = frames["races"].rename(columns={"observed_at": "race_observed_at"})
    cards = frames["runners"].rename(columns={"observed_at": "card_observed_at"})
    cards = cards.merge(races, on="race_id", how="inner")
    results = frames["runner_results"]
    withdrawn = results[(results["status"] == WITHDRAWN) & (results["observed_at"] <= as_of)]
    withdrawn_at = withdrawn.groupby("runner_id", as_index=False)["observed_at"].min()
    withdrawn_at = withdrawn_at.rename(columns={"observed_at": "withdrawn_at"})
    cards = cards.merge(withdrawn_at, on="runner_id", how="left")
    cards["surface"] = cards["surface"].astype("string").fillna("")
    cards["race_class"] = pd.to_numeric(cards["race_class"], errors="coerce")
    cards["distance_band"] = np.digitize(
        cards["distance"].astype(float), DISTANCE_BANDS, right=True
    )
    # The field of the runs: the card's runners not known by as_of to be withdrawn.
    fielded = cards["withdrawn_at"].isna()
    cards["field_size"] = fielded.groupby(cards["race_id"]).transform("sum")
    cards["draw_category"] = _draw_category(cards["draw"], cards["field_size"])
    for c in ("draw", "carried_weight", "declared_weight", "rating", "horse_age", "jockey_id",
              "trainer_id", "horse_id"):  # fmt: skip
        cards[c] = cards[c].astype("float64")
    return cards


def _runs(frames: dict[str, pd.DataFrame], cards: pd.DataFrame, as_of: datetime) -> pd.DataFrame:
    results = frames["runner_results"]
    results = results[(results["observed_at"] < as_of) & ~results["status"].isin(NOT_RUN)]
    runs = results.merge(cards, on="runner_id", how="inner")
    sections = runs[[f"section_time_{i}" for i in range(CALLS, 0, -1)]].astype("float64")
    runs["final_time"] = sections.bfill(axis=1).iloc[:, 0]
    by_race = runs.groupby("race_id")
    runs["started"] = by_race["runner_id"].transform("size")
    runs["called"] = by_race["position_1"].transform("count")
    runs["field_final"] = by_race["final_time"].transform("mean")
    position = runs["finish_position"].astype("float64")
    runs["norm_finish"] = np.where(
        position.isna(),
        1.0,
        np.where(runs["started"] < 2, 0.0, (position - 1) / (runs["started"] - 1)),
    )
    runs["won"] = (position == 1).astype(float)
    runs["placed"] = (position <= 3).astype(float)
    first = runs["position_1"].astype("float64")
    runs["early_norm"] = np.where(
        first.isna(), np.nan, np.where(runs["called"] < 2, 0.0, (first - 1) / (runs["called"] - 1))
    )
    runs["sectional"] = runs["field_final"] - runs["final_time"]
    runs["lengths_behind"] = runs["lengths_behind"].astype("float64")
    runs["rating_rank"] = position.fillna(1000.0)
    return runs.sort_values([*ORDER, "runner_id"]).reset_index(drop=True)


def _ratings(runs: pd.DataFrame, params: RaceFeatureParams) -> pd.DataFrame:
    out = runs[["runner_id"]].copy()
    for column, keys in (
        ("rating", ["horse_id"]),
        ("band", ["horse_id", "surface", "distance_band"]),
    ):
        entity = runs.groupby(keys, sort=False).ngroup().to_numpy()
        rank = runs["rating_rank"].to_numpy()
        bounds = np.flatnonzero(
            np.r_[True, runs["race_id"].to_numpy()[1:] != runs["race_id"].to_numpy()[:-1], True]
        )
        fields = [
            list(zip(entity[a:b].tolist(), rank[a:b].tolist(), strict=True))
            for a, b in pairwise(bounds)
        ]
        after = [pair for field in weng_lin_python(fields, params) for pair in field]
        out[f"{column}_mu"] = [a for a, _ in after]
        if column == "rating":
            out["rating_sigma"] = [b for _, b in after]
    return out.rename(columns={"band_mu": "band_rating_mu"})


def _cumulative(runs: pd.DataFrame, keys: list[str], values: dict[str, str]) -> pd.DataFrame:
    """Per keys and observed_at, totals over the races known up to then."""
    known = runs.dropna(subset=keys)
    per_race = (
        known.groupby([*keys, "race_id", "observed_at", "start_at"], sort=False)
        .agg(**{v: (col, "size" if col == "runner_id" else "sum") for v, col in values.items()})
        .reset_index()
        .sort_values(ORDER)
    )
    for v in values:
        per_race[v] = per_race.groupby(keys, sort=False)[v].cumsum()
    last = per_race.drop_duplicates([*keys, "observed_at"], keep="last")
    return last[[*keys, "observed_at", *values]].sort_values("observed_at")


def _asof(
    left: pd.DataFrame, right: pd.DataFrame, on: str, by: list[str], suffix: str
) -> pd.DataFrame:
    """Strict as-of: the latest right row (per ``by``) observed before ``left[on]``."""
    right = right.rename(columns={c: f"{c}{suffix}" for c in right.columns if c not in by})
    right = right.astype({k: left[k].dtype for k in by})
    # One resolution on both sides: the lowest supported pandas refuses to merge ns with us.
    right[f"observed_at{suffix}"] = right[f"observed_at{suffix}"].astype("datetime64[ns]")
    left = left.astype({on: "datetime64[ns]"}).sort_values(on)
    merged = pd.merge_asof(
        left, right, left_on=on, right_on=f"observed_at{suffix}", by=by or None,
        allow_exact_matches=False,
    )  # fmt: skip
    return merged


def reference_features(
    frames: dict[str, pd.DataFrame], as_of: datetime, params: RaceFeatureParams | None = None
) -> pd.DataFrame:
    """The racing features of every runner, as the DuckDB builder defines them."""
    params = params or RaceFeatureParams()
    as_of = pd.Timestamp(as_of)
    cards = _cards(frames, as_of)
    runs = _runs(frames, cards, as_of)
    runs = runs.merge(_ratings(runs, params), on="runner_id")
    n = params.form_window

    runs = runs.sort_values([*ORDER, "runner_id"]).reset_index(drop=True)
    horse = runs.groupby("horse_id", sort=False)
    state = runs[["horse_id", "observed_at"]].copy()
    state["runs"] = horse.cumcount() + 1.0
    for name, column in (("wins", "won"), ("places", "placed"), ("norm_sum", "norm_finish")):
        state[name] = horse[column].cumsum()
    for name, column in (
        ("last_norm", "norm_finish"),
        ("last_lengths", "lengths_behind"),
        ("early_position", "early_norm"),
        ("final_sectional", "sectional"),
    ):
        rolled = horse[column].rolling(n, min_periods=1).mean()
        state[name] = rolled.reset_index(level=0, drop=True)
    state["last_norm_finish"] = runs["norm_finish"]
    state["last_start_at"] = runs["start_at"]
    state["last_distance"] = runs["distance"].astype(float)
    state["last_class"] = runs["race_class"]
    state["last_declared_weight"] = runs["declared_weight"]
    state["rating_mu"] = runs["rating_mu"]
    state["rating_sigma"] = runs["rating_sigma"]
    band = runs[["horse_id", "surface", "distance_band", "observed_at", "band_rating_mu"]]

    counts = {"runs": "runner_id", "wins": "won"}
    runs["one"] = 1
    global_state = _cumulative(runs, ["one"], counts)
    tables = {
        "j": (_cumulative(runs, ["jockey_id"], counts), ["jockey_id"]),
        "t": (_cumulative(runs, ["trainer_id"], counts), ["trainer_id"]),
        "jh": (_cumulative(runs, ["jockey_id", "horse_id"], counts), ["jockey_id", "horse_id"]),
        "jt": (_cumulative(runs, ["jockey_id", "trainer_id"], counts), ["jockey_id", "trainer_id"]),
    }
    draw_keys = ["venue_id", "surface", "distance_band", "draw_category"]
    draw_state = _cumulative(runs, draw_keys, {"runs": "runner_id", "norm_sum": "norm_finish"})

    q = cards.copy()
    q["cutoff_at"] = q["start_at"].where(q["start_at"] < as_of, as_of)
    out_of_field = q["withdrawn_at"].notna() & (q["withdrawn_at"] <= q["cutoff_at"])
    q = q[(q["card_observed_at"] < q["cutoff_at"]) & ~out_of_field].copy()
    # The field of each race as asked: the runners asked at its cutoff.
    q["field_size"] = q.groupby("race_id")["runner_id"].transform("size")
    q["draw_category"] = _draw_category(q["draw"], q["field_size"])
    q["recent_from"] = q["cutoff_at"] - pd.Timedelta(days=params.recent_days)
    q["one"] = 1
    q = _asof(q, state.sort_values("observed_at"), "cutoff_at", ["horse_id"], "_h")
    q = _asof(
        q,
        band.sort_values("observed_at"),
        "cutoff_at",
        ["horse_id", "surface", "distance_band"],
        "_b",
    )
    q = _asof(q, global_state, "cutoff_at", ["one"], "_g")
    for alias, (table, keys) in tables.items():
        q = _asof(q, table, "cutoff_at", keys, f"_{alias}")
    for alias in ("j", "t"):
        table, keys = tables[alias]
        q = _asof(q, table, "recent_from", keys, f"_{alias}r")
    q = _asof(q, draw_state, "cutoff_at", draw_keys, "_d")

    out = pd.DataFrame(index=q.index)
    prior = q["wins_g"] / q["runs_g"]
    m = params.shrink_runs

    def shrunk(wins: pd.Series, runs_: pd.Series) -> pd.Series:
        return (wins + m * prior) / (runs_ + m)

    def rate(alias: str, recent: str | None = None) -> pd.Series:
        wins, total = q[f"wins_{alias}"].fillna(0), q[f"runs_{alias}"].fillna(0)
        if recent:
            wins = wins - q[f"wins_{recent}"].fillna(0)
            total = total - q[f"runs_{recent}"].fillna(0)
        return shrunk(wins, total)

    out["horse_runs"] = q["runs_h"].fillna(0)
    out["horse_win_rate"] = q["wins_h"] / q["runs_h"]
    out["horse_place_rate"] = q["places_h"] / q["runs_h"]
    out["horse_norm_finish"] = q["norm_sum_h"] / q["runs_h"]
    out["horse_last_norm_finish"] = q["last_norm_finish_h"]
    out[f"horse_last{n}_norm_finish"] = q["last_norm_h"]
    out[f"horse_last{n}_lengths_behind"] = q["last_lengths_h"]
    out["horse_momentum"] = out["horse_norm_finish"] - q["last_norm_h"]
    out["days_since_last_run"] = (q["start_at"] - q["last_start_at_h"]).dt.total_seconds() / 86400
    out["body_weight_change"] = q["declared_weight"] - q["last_declared_weight_h"]
    out["distance_change"] = q["distance"].astype(float) - q["last_distance_h"]
    out["rating_mu"] = q["rating_mu_h"].fillna(params.rating_mu)
    out["rating_sigma"] = q["rating_sigma_h"].fillna(params.rating_sigma)
    out["band_rating_mu"] = q["band_rating_mu_b"].fillna(params.rating_mu)
    race = q["race_id"]
    out["rating_mu_vs_field"] = out["rating_mu"] - out.groupby(race)["rating_mu"].transform("mean")
    out["rating_mu_field_pct"] = _pct(out["rating_mu"], race)
    jockey, trainer = q["jockey_id"].notna(), q["trainer_id"].notna()
    out["jockey_runs"] = q["runs_j"].fillna(0)
    out["jockey_win_rate"] = rate("j").where(jockey)
    out[f"jockey_win_rate_{params.recent_days}d"] = rate("j", "jr").where(jockey)
    out["trainer_runs"] = q["runs_t"].fillna(0)
    out["trainer_win_rate"] = rate("t").where(trainer)
    out[f"trainer_win_rate_{params.recent_days}d"] = rate("t", "tr").where(trainer)
    out["jockey_horse_runs"] = q["runs_jh"].fillna(0)
    out["jockey_horse_win_rate"] = rate("jh").where(jockey)
    out["jockey_trainer_runs"] = q["runs_jt"].fillna(0)
    out["jockey_trainer_win_rate"] = rate("jt").where(jockey & trainer)
    early = q["early_position_h"]
    out["early_position"] = early
    low, mid, high = params.style_cuts
    rounded = early.round(9)
    style = np.select([rounded < low, rounded < mid, rounded < high], [0.0, 1.0, 2.0], 3.0)
    out["running_style"] = pd.Series(style, index=q.index).where(early.notna())
    out["field_leaders"] = (out["running_style"] == 0).groupby(race).transform("sum").astype(float)
    out["final_sectional"] = q["final_sectional_h"]
    out["race_class"] = q["race_class"]
    out["class_change"] = q["race_class"] - q["last_class_h"]
    out["distance"] = q["distance"].astype(float)
    out["distance_band"] = q["distance_band"].astype(float)
    out["draw"] = q["draw"]
    out["draw_relative"] = ((q["draw"] - 1) / (q["field_size"] - 1)).where(q["field_size"] > 1)
    out["draw_category"] = q["draw_category"]
    md = params.draw_shrink_runs
    bias = (q["norm_sum_d"].fillna(0) + md * 0.5) / (q["runs_d"].fillna(0) + md) - 0.5
    out["draw_bias"] = bias.where(q["draw_category"].notna())
    out["field_size"] = q["field_size"].astype(float)
    out["carried_weight"] = q["carried_weight"]
    out["weight_vs_field"] = q["carried_weight"] - q.groupby(race)["carried_weight"].transform(
        "mean"
    )
    out["weight_field_pct"] = _pct(q["carried_weight"], race)
    out["official_rating"] = q["rating"]
    out["rating_vs_field"] = q["rating"] - q.groupby(race)["rating"].transform("mean")
    out["rating_field_pct"] = _pct(q["rating"], race)
    out["horse_age"] = q["horse_age"]
    out["is_stale"] = (out["days_since_last_run"] > params.stale_days).astype(float)
    out["is_low_sample"] = (out["horse_runs"] < params.low_sample_runs).astype(float)
    market = _market(frames["race_odds"], q, params)
    out = out.join(market)
    ids = q[["runner_id", "race_id", "horse_id", "start_at", "cutoff_at"]].astype(
        {"runner_id": "int64", "race_id": "int64", "horse_id": "int64"}
    )
    frame = pd.concat([ids, out[race_feature_set(params).names].astype("float64")], axis=1)
    return frame.sort_values(["start_at", "race_id", "runner_id"]).reset_index(drop=True)


def _pct(values: pd.Series, race: pd.Series) -> pd.Series:
    known = values.notna()
    ranks = values.groupby(race).rank(method="min")
    size = known.groupby(race).transform("sum")
    return ((ranks - 1) / (size - 1)).where(size > 1, 0.0).where(known)


def _market(odds: pd.DataFrame, q: pd.DataFrame, params: RaceFeatureParams) -> pd.DataFrame:
    win = odds[odds["market"] == "win"].merge(
        q[["runner_id", "race_id", "cutoff_at"]], on="runner_id"
    )
    win = win[win["observed_at"] <= win["cutoff_at"]]
    win = win.assign(final=(win["kind"] == "final").astype(int)).sort_values(
        ["runner_id", "observed_at", "final"]
    )
    latest = win.drop_duplicates("runner_id", keep="last").set_index("runner_id")
    inverse = 1.0 / latest["value"]
    total = inverse.groupby(latest["race_id"]).transform("sum")
    frame = pd.DataFrame(
        {
            "public_prob": inverse / total,
            "public_overround": total,
            "public_rank": latest.groupby("race_id")["value"].rank(method="min"),
            "is_favourite": (
                latest["value"] == latest.groupby("race_id")["value"].transform("min")
            ).astype(float),
            "is_longshot": (latest["value"] >= params.longshot_odds).astype(float),
        }
    )
    return q[["runner_id"]].join(frame, on="runner_id").drop(columns="runner_id")
