"""No leakage between runners, proven: perturbing every fact of race R and of every later race
changes no feature of a runner of an earlier race, nor any non-market feature of R's own
runners; features as of T ignore every fact observed at or after T; a trainer with two runners
in a race never sees the sibling's result."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

import duckdb
import numpy as np
import pandas as pd
import pandas.testing as pdt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from race_world import build, small_frames

from formline.races.features import RACE_FEATURES

FAR = datetime(2030, 1, 1)
NON_MARKET = RACE_FEATURES.without_market()
MARKET = [s.name for s in RACE_FEATURES if s.uses_market]
#: Features made from the race card of the race itself (known before it).
CARD_FEATURES = [
    "body_weight_change", "distance_change", "rating_mu_vs_field", "rating_mu_field_pct",
    "class_change", "race_class", "distance", "distance_band", "draw", "draw_relative",
    "draw_category", "draw_bias", "field_size", "carried_weight", "weight_vs_field",
    "weight_field_pct", "official_rating", "rating_vs_field", "rating_field_pct", "horse_age",
    "band_rating_mu", "field_leaders",
]  # fmt: skip


@cache
def _world(world: int) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, pd.DataFrame]:
    """A small world's frames, its features as of FAR and their non-market columns: built once
    per world (the builder is a pure function of its frames), handed out as copies."""
    frames = small_frames(world)
    features = build(frames, FAR)
    return frames, features, features[NON_MARKET]


def _copied(world: int) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, pd.DataFrame]:
    frames, features, non_market = _world(world)
    return {name: f.copy() for name, f in frames.items()}, features.copy(), non_market.copy()


def _race_order(frames: dict[str, pd.DataFrame]) -> list[int]:
    return frames["races"].sort_values(["start_at", "race_id"])["race_id"].tolist()


def perturb(
    frames: dict[str, pd.DataFrame], races: set[int], seed: int, *, cards: set[int] | None = None
) -> dict[str, pd.DataFrame]:
    """Rewrite every result and odds of ``races`` and every card fact of ``cards`` (results
    reordered, margins, positions and sectionals moved, some runners pulled up or removed,
    odds changed or removed; draws, weights, ratings, jockeys, trainers, distances and classes
    changed). Observation times stay: these are other values known at the same instants."""
    rng = np.random.default_rng(seed)
    out = {name: frame.copy() for name, frame in frames.items()}
    runners = out["runners"]
    race_of = runners.set_index("runner_id")["race_id"]
    results = out["runner_results"]
    hit = race_of.reindex(results["runner_id"]).isin(races).to_numpy()
    k = int(hit.sum())
    if k:
        results.loc[hit, "finish_position"] = rng.permutation(
            results.loc[hit, "finish_position"].to_numpy()
        )
        results.loc[hit, "lengths_behind"] = rng.uniform(0, 20, k)
        results.loc[hit, "position_1"] = rng.integers(1, 15, k)
        for i in range(1, 7):
            column = f"section_time_{i}"
            results.loc[hit, column] = results.loc[hit, column] * rng.uniform(0.9, 1.1, k)
        pulled = hit & (rng.random(len(results)) < 0.1)
        results.loc[pulled, "status"] = "pulled_up"
        results.loc[pulled, "finish_position"] = pd.NA
        out["runner_results"] = results[~(hit & (rng.random(len(results)) < 0.1))]
    odds = out["race_odds"]
    hit_odds = race_of.reindex(odds["runner_id"]).isin(races).to_numpy()
    odds.loc[hit_odds, "value"] = (
        odds.loc[hit_odds, "value"] * rng.uniform(0.5, 2.0, int(hit_odds.sum())) + 0.5
    )
    out["race_odds"] = odds[~(hit_odds & (rng.random(len(odds)) < 0.2))]
    if cards:
        on_card = runners["race_id"].isin(cards).to_numpy()
        c = int(on_card.sum())
        runners.loc[on_card, "draw"] = rng.integers(1, 15, c)
        runners.loc[on_card, "carried_weight"] = rng.uniform(110, 135, c)
        runners.loc[on_card, "declared_weight"] = rng.uniform(950, 1250, c)
        runners.loc[on_card, "rating"] = rng.integers(10, 120, c)
        runners.loc[on_card, "jockey_id"] = rng.integers(1, 9, c)
        runners.loc[on_card, "trainer_id"] = rng.integers(1, 7, c)
        race_rows = out["races"]["race_id"].isin(cards).to_numpy()
        out["races"].loc[race_rows, "distance"] = rng.choice(
            [1000, 1400, 2000, 2400], int(race_rows.sum())
        )
        out["races"].loc[race_rows, "race_class"] = rng.choice(
            ["1", "3", "5"], int(race_rows.sum())
        )
        removed = on_card & (rng.random(len(runners)) < 0.1)
        gone = set(runners.loc[removed, "runner_id"])
        out["runners"] = runners[~removed]
        for name in ("runner_results", "race_odds"):
            out[name] = out[name][~out[name]["runner_id"].isin(gone)]
    return out


def _rows(features: pd.DataFrame, races: list[int], columns: list[str]) -> pd.DataFrame:
    picked = features[features["race_id"].isin(races)]
    return picked.sort_values("runner_id").reset_index(drop=True)[["runner_id", *columns]]


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=12)
@given(seed=st.integers(0, 10_000), where=st.floats(0.1, 0.9), world=st.sampled_from([1, 2, 3]))
def test_race_r_and_later_races_never_reach_earlier_races_nor_rs_own_features(
    seed: int, where: float, world: int
) -> None:
    frames, base, _ = _copied(world)  # base: build(frames, FAR)
    order = _race_order(frames)
    r = int(len(order) * where)
    race, before, later = order[r], order[:r], order[r + 1 :]
    # Every fact of R and of every later race; the cards of later races too.
    changed = build(perturb(frames, {race, *later}, seed, cards=set(later)), FAR)
    pdt.assert_frame_equal(
        _rows(base, before, RACE_FEATURES.names), _rows(changed, before, RACE_FEATURES.names)
    )
    pdt.assert_frame_equal(_rows(base, [race], NON_MARKET), _rows(changed, [race], NON_MARKET))
    # Positive controls: the later races' features and R's market features did move.
    assert not _rows(base, later, NON_MARKET).equals(_rows(changed, later, NON_MARKET))
    assert not _rows(base, [race], MARKET).equals(_rows(changed, [race], MARKET))

    # R's own card too: still nothing reaches the earlier races, and R's card features move.
    with_card = build(perturb(frames, {race, *later}, seed, cards={race, *later}), FAR)
    pdt.assert_frame_equal(
        _rows(base, before, RACE_FEATURES.names), _rows(with_card, before, RACE_FEATURES.names)
    )
    assert not _rows(base, [race], CARD_FEATURES).equals(_rows(with_card, [race], CARD_FEATURES))


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=12)
@given(
    seed=st.integers(0, 10_000),
    where=st.floats(0.1, 0.9),
    offset_minutes=st.sampled_from([0, 5, 10, 11, 29, 30]),
)
def test_features_as_of_t_ignore_every_fact_observed_at_or_after_t(
    seed: int, where: float, offset_minutes: int
) -> None:
    frames, _, late_features = _copied(4)  # late_features: build(frames, FAR)[NON_MARKET]
    # Among the races that have a result (the world also has cards still to run), so that
    # results observed after as_of exist for the positive control.
    run = frames["runners"]["runner_id"].isin(frames["runner_results"]["runner_id"])
    decided = frames["races"]["race_id"].isin(frames["runners"].loc[run, "race_id"])
    starts = frames["races"].loc[decided, "start_at"].sort_values()
    as_of = starts.iloc[int(len(starts) * where)] + timedelta(minutes=offset_minutes)
    base = build(frames, as_of)
    rng = np.random.default_rng(seed)
    changed = {name: frame.copy() for name, frame in frames.items()}
    results = changed["runner_results"]
    late = results["observed_at"] >= as_of
    results.loc[late, "finish_position"] = rng.permutation(
        results.loc[late, "finish_position"].to_numpy()
    )
    results.loc[late, "lengths_behind"] = results.loc[late, "lengths_behind"] + 3.0
    results.loc[late, "section_time_3"] = results.loc[late, "section_time_3"] * 1.1
    changed["runner_results"] = results[~(late & (rng.random(len(results)) < 0.3))]
    odds = changed["race_odds"]
    # Win odds are read as at the off, the cutoff instant included.
    odds.loc[odds["observed_at"] > as_of, "value"] *= 1.7
    runners = changed["runners"]
    unknown = runners["observed_at"] >= as_of
    runners.loc[unknown, "draw"] = runners.loc[unknown, "draw"] % 5 + 1
    runners.loc[unknown, "jockey_id"] = 1
    pdt.assert_frame_equal(base, build(changed, as_of))
    # Positive control: built later, the rewrite shows.
    assert late.any()
    assert not late_features.equals(build(changed, FAR)[NON_MARKET])


def _sibling_frames() -> dict[str, pd.DataFrame]:
    """Race 1 (trainers 2 and 3, a prior), then race 2 where trainer 1 runs two horses: horse
    11 wins, horse 12 is last; race 3 a week later with trainer 1's horse 13."""
    t0 = datetime(2024, 3, 3, 12, 30)
    starts = [t0, t0 + timedelta(days=7), t0 + timedelta(days=14)]
    races = pd.DataFrame(
        {
            "race_id": [1, 2, 3],
            "venue_id": 1,
            "start_at": starts,
            "distance": 1200,
            "surface": "turf",
            "race_class": "4",
            "observed_at": [s - timedelta(days=1) for s in starts],
        }
    )
    race = [1, 1, 1, 2, 2, 2, 2, 3, 3]
    runners = pd.DataFrame(
        {
            "runner_id": range(1, 10),
            "race_id": race,
            "horse_id": [1, 2, 3, 11, 12, 4, 5, 13, 6],
            "jockey_id": [1, 2, 3, 1, 2, 3, 4, 1, 2],
            "trainer_id": [2, 3, 3, 1, 1, 2, 3, 1, 2],
            "draw": [1, 2, 3, 1, 2, 3, 4, 1, 2],
            "carried_weight": 126.0,
            "declared_weight": 1100.0,
            "rating": 60,
            "horse_age": 4,
            "observed_at": [starts[r - 1] - timedelta(days=1) for r in race],
        }
    )
    done = list(range(1, 8))
    results = pd.DataFrame(
        {
            "runner_id": done,
            "status": "finished",
            "finish_position": [1, 2, 3, 1, 4, 2, 3],
            "lengths_behind": 1.0,
            "position_1": [1, 2, 3, 1, 4, 2, 3],
            **{f"section_time_{i}": np.nan for i in range(1, 7)},
            "observed_at": [starts[race[r - 1] - 1] + timedelta(minutes=10) for r in done],
        }
    )
    odds = pd.DataFrame(columns=["runner_id", "market", "kind", "value", "observed_at"])
    odds = odds.astype({"runner_id": "int64", "value": "float64", "observed_at": "datetime64[us]"})
    return {"races": races, "runners": runners, "runner_results": results, "race_odds": odds}


def test_a_trainer_with_two_runners_never_sees_the_siblings_result() -> None:
    frames = _sibling_frames()
    features = build(frames, FAR).set_index("runner_id")
    prior = 1 / 3  # race 1: one winner of three runners
    siblings = features.loc[[4, 5]]
    assert (siblings["trainer_runs"] == 0).all()
    np.testing.assert_allclose(siblings["trainer_win_rate"], prior)
    # Race 3: both siblings' results known, one win in two.
    assert features.loc[8, "trainer_runs"] == 2
    assert features.loc[8, "trainer_win_rate"] == (1 + 20 * (2 / 7)) / (2 + 20)

    # The trap: a ROWS frame over runner rows shows one sibling the other's result.
    con = duckdb.connect()
    rows = frames["runners"].merge(frames["races"][["race_id", "start_at"]], on="race_id")
    rows = rows.merge(frames["runner_results"][["runner_id", "finish_position"]], on="runner_id")
    con.register("rows", rows)
    leaky = dict(
        con.execute(
            """
            SELECT runner_id, coalesce(sum(CASE WHEN finish_position = 1 THEN 1 ELSE 0 END) OVER (
                PARTITION BY trainer_id ORDER BY start_at, runner_id
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS prior_wins
            FROM rows WHERE trainer_id = 1
            """
        ).fetchall()
    )
    assert leaky[5] == 1  # horse 12 "knew" horse 11 won the race they ran together
    # Swapping the siblings' results changes neither sibling's features.
    swapped = {name: frame.copy() for name, frame in frames.items()}
    result = swapped["runner_results"].set_index("runner_id")
    result.loc[[4, 5], "finish_position"] = [4, 1]
    swapped["runner_results"] = result.reset_index()
    again = build(swapped, FAR).set_index("runner_id")
    pdt.assert_frame_equal(features.loc[[4, 5], NON_MARKET], again.loc[[4, 5], NON_MARKET])
