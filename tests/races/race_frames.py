"""Runner frames in the races domain's frame contract for the evaluation tests: a seeded
synthetic world with a known score (fast) and the demo world through the feature builder."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from formline.core.grouped import grouped_softmax
from formline.engine import compute_session
from formline.races.demo import generate_race_world
from formline.races.features import RACE_FEATURES, build_race_features, create_input_tables
from formline.races.features.inputs import input_frames

NOW = datetime(2025, 6, 1)
START = datetime(2023, 1, 1, 12, 0)


def _finish(score: np.ndarray, codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A finishing order per race drawn by Gumbel-max on ``score`` (Harville's model)."""
    key = score + rng.gumbel(size=score.shape[0])
    order = np.lexsort((-key, codes))
    position = np.empty(score.shape[0])
    first = np.r_[True, codes[order][1:] != codes[order][:-1]]
    starts = np.maximum.accumulate(np.where(first, np.arange(order.size), 0))
    position[order] = np.arange(order.size) - starts + 1
    return position


def synthetic_frame(
    n_races: int = 400,
    seed: int = 0,
    hidden: float = 1.0,
    public_noise: float = 0.2,
    card_share: float = 0.0,
    per_slot: int = 2,
) -> pd.DataFrame:
    """``n_races`` races of 5 to 12 runners in the frame contract's columns.

    A runner's true score is ``rating_mu / 4 + 0.8 * horse_win_rate_z + hidden * z``: the
    rating features carry part of it, ``horse_win_rate`` another part, and ``z`` is known
    only to the public, whose probabilities are the true softmax with ``public_noise``. Every
    other registry feature is noise. ``per_slot`` races share each start time (two venues),
    slots 6 hours apart; ``card_share`` of the races have no odds (information ``card``).
    """
    rng = np.random.default_rng(seed)
    sizes = rng.integers(5, 13, n_races)
    codes = np.repeat(np.arange(n_races), sizes)
    n = codes.shape[0]
    frame = pd.DataFrame(
        rng.normal(size=(n, len(RACE_FEATURES.names))), columns=RACE_FEATURES.names
    )
    ability = rng.normal(size=n)
    form = rng.normal(size=n)
    z = rng.normal(size=n)
    frame["rating_mu"] = 25.0 + 4.0 * ability + rng.normal(scale=1.0, size=n)
    frame["rating_mu_vs_field"] = frame["rating_mu"] - pd.Series(frame["rating_mu"]).groupby(
        codes
    ).transform("mean")
    frame["horse_win_rate"] = 0.1 + 0.05 * form
    frame.loc[rng.random(n) < 0.1, "horse_win_rate"] = np.nan  # first runs: missing
    score = ability + 0.8 * form + hidden * z
    position = _finish(score, codes, rng)
    public = grouped_softmax(score + rng.normal(scale=public_noise, size=n), codes)
    slot = np.arange(n_races) // per_slot
    start = pd.Timestamp(START) + pd.to_timedelta(slot * 6, unit="h")
    field_size = sizes[codes].astype(float)
    card = (rng.random(n_races) < card_share)[codes]
    odds = np.where(card, np.nan, np.round(1.0 / (public * 1.18), 1).clip(1.01, 999.0))
    inverse = 1.0 / odds
    q = inverse / pd.Series(inverse).groupby(codes).transform("sum").to_numpy()
    frame["public_prob"] = q
    frame.loc[
        card, ["public_prob", "public_overround", "public_rank", "is_favourite", "is_longshot"]
    ] = np.nan
    frame["field_size"] = field_size
    ids = pd.DataFrame(
        {
            "race_id": codes + 1,
            "runner_id": np.arange(1, n + 1),
            "horse_id": rng.integers(1, 500, n),
            "start_at": start[codes].astype("datetime64[us]"),
            "cutoff_at": start[codes].astype("datetime64[us]"),
            "venue": np.where(np.arange(n_races) % per_slot == 0, "ST", "HV")[codes],
            "season": start[codes].year.astype(str),
            "information": np.where(card, "card", "market"),
            "finished": True,
            "result_observed_at": (start[codes] + pd.Timedelta(minutes=10)).astype(
                "datetime64[us]"
            ),
            "finish_position": position,
            "won": (position == 1).astype(float),
            "placed": (position <= np.where(field_size >= 7, 3, 2)).astype(float),
            "public_win_probability": q,
            "win_odds": odds,
            "public_place_probability": np.nan,
        }
    )
    out = pd.concat([ids, frame], axis=1)
    return out.sort_values(["start_at", "race_id", "runner_id"], ignore_index=True)


def runner_frame(frames: dict[str, pd.DataFrame], built: pd.DataFrame) -> pd.DataFrame:
    """The builder's features (``built``) of the runners of ``frames`` (the builder's inputs)
    that ran in a race with a result, in the frame contract: the finishing position, ``won``,
    ``placed`` (3 places from 7 runners, else 2), final win odds de-margined (a race with a
    runner lacking them is ``card``), ``venue`` (by venue id), ``season`` (the Hong Kong
    season: from September), ``finished`` and ``result_observed_at``."""
    results = frames["runner_results"].set_index("runner_id")
    built = built[built["runner_id"].isin(results.index)]
    status = results["status"].reindex(built["runner_id"]).to_numpy()
    built = built[~np.isin(status, ("withdrawn", "took_no_part"))].reset_index(drop=True)
    races = frames["races"].set_index("race_id")
    position = (
        results["finish_position"]
        .astype("Float64")
        .reindex(built["runner_id"])
        .to_numpy(dtype=float, na_value=np.nan)
    )
    codes = built["race_id"].to_numpy()
    counted = pd.Series(codes).map(pd.Series(codes).value_counts()).to_numpy().astype(float)
    odds_frame = frames["race_odds"]
    final = odds_frame[(odds_frame["market"] == "win") & (odds_frame["kind"] == "final")]
    odds = final.set_index("runner_id")["value"].reindex(built["runner_id"]).to_numpy(dtype=float)
    no_odds = pd.Series(~(np.isfinite(odds) & (odds > 0))).groupby(codes).transform("max")
    odds = np.where(no_odds.to_numpy(), np.nan, odds)
    inverse = 1.0 / odds
    q = inverse / pd.Series(inverse).groupby(codes).transform("sum").to_numpy()
    start = pd.to_datetime(built["start_at"])
    season = np.where(start.dt.month >= 9, start.dt.year, start.dt.year - 1)
    venue = races["venue_id"].reindex(codes).to_numpy()
    ids = pd.DataFrame(
        {
            "venue": pd.Series(venue).map(lambda v: f"V{v}").to_numpy(),
            "season": [f"{y}-{(y + 1) % 100:02d}" for y in season],
            "information": np.where(no_odds.to_numpy(), "card", "market"),
            "finished": True,
            "result_observed_at": (start + pd.Timedelta(minutes=10)).to_numpy(
                dtype="datetime64[us]"
            ),
            "finish_position": position,
            "won": (position == 1).astype(float),
            "placed": (position <= np.where(counted >= 7, 3, 2)).astype(float),
            "public_win_probability": q,
            "win_odds": odds,
            "public_place_probability": np.nan,
        }
    )
    features = built.drop(columns=["field_size"]).assign(field_size=counted)
    out = pd.concat([features.reset_index(drop=True), ids], axis=1)
    out = out[[*(c for c in out.columns if c not in RACE_FEATURES.names), *RACE_FEATURES.names]]
    return out.sort_values(["start_at", "race_id", "runner_id"], ignore_index=True)


def demo_frame(
    seed: int = 3, n_days: int = 150, n_horses: int = 150, card_every: int = 5
) -> pd.DataFrame:
    """The demo world's finished runners with their builder features as of :data:`NOW`, in
    the frame contract (:func:`runner_frame`); every ``card_every``-th race loses its final
    odds (information ``card``)."""
    world = generate_race_world(
        seed=seed, now=NOW, n_days=n_days, n_horses=n_horses, n_jockeys=8, n_trainers=6
    )
    frames = input_frames(world.batch)
    odds = frames["race_odds"]
    race_of = frames["runners"].set_index("runner_id")["race_id"]
    dropped = race_of.reindex(odds["runner_id"]).to_numpy() % card_every == 0
    frames["race_odds"] = odds[~dropped].reset_index(drop=True)
    con = compute_session(1)
    try:
        create_input_tables(con, frames)
        built = build_race_features(con, NOW)
    finally:
        con.close()
    return runner_frame(frames, built)
