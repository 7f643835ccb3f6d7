"""The racing features: the registry, the DuckDB builder against the pandas reference (demo
world, a sample of the real Hong Kong races), the store path, and features small enough to work
out by hand."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from race_reference import reference_features, weng_lin_python
from race_world import NOW, build, mismatches

from formline.engine import compute_session, load_inputs
from formline.races.demo import generate_race_world
from formline.races.features import (
    RACE_FEATURE_SET_VERSION,
    RACE_FEATURES,
    RaceFeatureParams,
    build_race_features,
)
from formline.races.features.inputs import RACE_FEATURE_INPUTS, input_frames
from formline.races.features.rating import weng_lin_ratings
from formline.races.store import upsert_races
from support import SHARED_DATA

GDALEY = SHARED_DATA / "horse_racing_hk_gdaley"


@pytest.fixture(scope="module")
def demo() -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    world = generate_race_world(seed=5, now=NOW, n_days=240, n_horses=400)
    frames = input_frames(world.batch)
    return frames, build(frames, NOW)


def test_the_registry_marks_market_features_and_is_emitted_in_order(
    demo: tuple[dict[str, pd.DataFrame], pd.DataFrame],
) -> None:
    features = demo[1]
    assert list(features.columns[:6]) == [
        "runner_id",
        "race_id",
        "horse_id",
        "start_at",
        "cutoff_at",
        "public_odds_kind",
    ]
    assert list(features.columns[6:]) == RACE_FEATURES.names
    market = {s.name for s in RACE_FEATURES if s.uses_market}
    assert market == {
        "public_prob",
        "public_overround",
        "public_rank",
        "is_favourite",
        "is_longshot",
    }
    assert all(s.description and s.group for s in RACE_FEATURES)
    assert len(RACE_FEATURE_SET_VERSION) == 16
    assert (
        RACE_FEATURES.schema_hash
        != type(RACE_FEATURES)(
            "races", RACE_FEATURES.specs, {**RACE_FEATURES.params, "form_window": 4}
        ).schema_hash
    )


def test_duckdb_agrees_with_the_pandas_reference_on_the_demo_world(
    demo: tuple[dict[str, pd.DataFrame], pd.DataFrame],
) -> None:
    frames, built = demo
    reference = reference_features(frames, NOW)
    assert len(built) == len(frames["runners"])
    assert mismatches(built, reference) == {}
    # Not a vacuous agreement: the features vary and the histories are there.
    assert built["horse_runs"].max() >= 5
    assert built["jockey_horse_runs"].max() >= 2
    assert built["is_stale"].sum() + built["is_low_sample"].sum() > 0
    assert built[RACE_FEATURES.names].notna().mean().min() > 0.5


def test_the_same_features_as_of_an_earlier_instant_agree_too(
    demo: tuple[dict[str, pd.DataFrame], pd.DataFrame],
) -> None:
    frames = demo[0]
    as_of = frames["races"]["start_at"].sort_values().iloc[len(frames["races"]) // 2]
    as_of = as_of.to_pydatetime() + timedelta(minutes=7)  # between a start and its result
    built = build(frames, as_of)
    assert mismatches(built, reference_features(frames, as_of)) == {}
    later = built["start_at"] > as_of
    assert later.any() and (built.loc[later, "cutoff_at"] == as_of).all()
    assert built.loc[later, "public_prob"].notna().all()  # opening odds, known at the card


def _gdaley_sample(folder: Path, races: int) -> Path:
    """The first ``races`` races of the gdaley files and their runs, in ``folder``."""
    source = GDALEY if GDALEY.exists() else None
    if source is None:
        pytest.skip(f"shared data not found at {GDALEY}")
    keep: set[str] = set()
    with (source / "races.csv").open() as handle, (folder / "races.csv").open("w") as out:
        for i, line in enumerate(handle):
            if i <= races:
                out.write(line)
                if i:
                    keep.add(line.split(",", 1)[0])
    with (source / "runs.csv").open() as handle, (folder / "runs.csv").open("w") as out:
        reader = csv.reader(handle)
        out.write(",".join(next(reader)) + "\n")
        for row in reader:
            if row[0] in keep:
                out.write(",".join(row) + "\n")
    return folder


@pytest.mark.realdata
def test_duckdb_agrees_with_the_pandas_reference_on_real_hong_kong_races(tmp_path: Path) -> None:
    from formline.races.sources.gdaley import read_gdaley

    frames = input_frames(read_gdaley(_gdaley_sample(tmp_path, 1200)).batch)
    as_of = datetime(2030, 1, 1)
    built = build(frames, as_of)
    assert len(built) > 12_000
    assert mismatches(built, reference_features(frames, as_of)) == {}
    assert built["horse_runs"].max() >= 8
    # Only final odds in this file: known at the off, so every runner has a public probability.
    sums = built.groupby("race_id")["public_prob"].sum()
    np.testing.assert_allclose(sums, 1.0, rtol=1e-9)


def test_the_store_path_gives_the_features_of_the_frames(sqlite_url: str) -> None:
    from formline.store.db import open_store

    world = generate_race_world(seed=9, now=NOW, n_days=60, n_horses=90, n_jockeys=8)
    store = open_store(sqlite_url)
    try:
        upsert_races(store, world.batch)
        con = compute_session(1)
        load_inputs(con, store, RACE_FEATURE_INPUTS)
        from_store = build_race_features(con, NOW)
        with store.engine.connect() as conn:
            keys = pd.read_sql(
                "SELECT u.id AS runner_id, h.key AS horse, r.start_at FROM runners u "
                "JOIN horses h ON h.id = u.horse_id JOIN races r ON r.id = u.race_id",
                conn,
            )
    finally:
        store.dispose()
    frames = input_frames(world.batch)
    from_frames = build(frames, NOW)
    runners = world.batch.runners
    frame_keys = pd.DataFrame(
        {
            "runner_id": frames["runners"]["runner_id"],
            "horse": ("demo:" + runners["horse_key"]).to_numpy(),
        }
    )
    left = from_store.merge(keys[["runner_id", "horse"]], on="runner_id")
    right = from_frames.merge(frame_keys, on="runner_id")
    left = left.sort_values(["start_at", "horse"]).reset_index(drop=True)
    right = right.sort_values(["start_at", "horse"]).reset_index(drop=True)
    assert len(left) == len(right) == len(runners)
    pd.testing.assert_frame_equal(
        left[RACE_FEATURES.names], right[RACE_FEATURES.names], check_exact=False, rtol=1e-9
    )


def test_weng_lin_kernel_agrees_with_the_plain_python_update() -> None:
    rng = np.random.default_rng(3)
    fields, entity, rank, starts = [], [], [], []
    for _ in range(200):
        size = int(rng.integers(1, 9))
        horses = rng.choice(30, size, replace=False)
        ranks = rng.permutation(size) + 1.0
        ranks[ranks == size] = 1.0 if size > 2 and rng.random() < 0.2 else size  # dead heats
        starts.append(len(entity))
        entity += horses.tolist()
        rank += ranks.tolist()
        fields.append(list(zip(horses.tolist(), ranks.tolist(), strict=True)))
    _, _, mu, sigma = weng_lin_ratings(np.array(starts), np.array(entity), np.array(rank))
    expected = [pair for field in weng_lin_python(fields, RaceFeatureParams()) for pair in field]
    np.testing.assert_allclose(mu, [a for a, _ in expected], rtol=1e-12)
    np.testing.assert_allclose(sigma, [b for _, b in expected], rtol=1e-12)


def test_weng_lin_moves_the_winner_up_the_last_down_and_shrinks_uncertainty() -> None:
    mu_before, sigma_before, mu, sigma = weng_lin_ratings(
        np.array([0]), np.array([0, 1, 2, 3]), np.array([1.0, 2.0, 3.0, 4.0])
    )
    assert np.all(mu_before == 25.0)
    assert mu[0] > mu[1] > 25.0 > mu[2] > mu[3]
    assert np.all(sigma < sigma_before + 0.1)
    # Tied runners of equal ratings move alike.
    _, _, tied, _ = weng_lin_ratings(np.array([0]), np.array([0, 1, 2]), np.array([1.0, 1.0, 3.0]))
    assert tied[0] == pytest.approx(tied[1]) and tied[0] > 25.0 > tied[2]


def _hand_frames() -> dict[str, pd.DataFrame]:
    """Three races at one venue: race 1 (horses 1-4), race 2 a week later (horses 1-3), race 3 a
    year and a half later (horse 1 only back, with horse 5)."""
    t1 = datetime(2024, 1, 7, 12, 30)
    starts = [t1, t1 + timedelta(days=7), t1 + timedelta(days=550)]
    races = pd.DataFrame(
        {
            "race_id": [1, 2, 3],
            "venue_id": 1,
            "start_at": starts,
            "distance": [1200, 1400, 1200],
            "surface": "turf",
            "race_class": ["4", "3", "G"],
            "observed_at": [s - timedelta(days=1) for s in starts],
        }
    )
    runner_race = [1, 1, 1, 1, 2, 2, 2, 3, 3]
    runners = pd.DataFrame(
        {
            "runner_id": range(1, 10),
            "race_id": runner_race,
            "horse_id": [1, 2, 3, 4, 1, 2, 3, 1, 5],
            "jockey_id": [1, 2, 3, 4, 2, 1, 3, 1, 2],
            "trainer_id": [1, 1, 2, 2, 1, 1, 2, 1, 2],
            "draw": [1, 2, 3, 4, 3, 1, 2, 1, 2],
            "carried_weight": [130.0, 126, 122, 118, 128, 124, 120, 125, 125],
            "declared_weight": [1100.0, 1050, 1000, 990, 1110, 1040, 1000, 1090, 1000],
            "rating": [80, 70, 60, 50, 82, 72, 58, 85, 40],
            "horse_age": 4,
            "observed_at": [starts[r - 1] - timedelta(days=1) for r in runner_race],
        }
    )
    done = [1, 2, 3, 4, 5, 6, 7]
    results = pd.DataFrame(
        {
            "runner_id": done,
            "status": "finished",
            "finish_position": [1, 2, 3, 4, 3, 1, 2],
            "lengths_behind": [0.0, 1.0, 2.5, 6.0, 2.0, 0.0, 0.5],
            "position_1": [1, 3, 2, 4, 3, 1, 2],
            **{f"section_time_{i}": [np.nan] * 7 for i in range(1, 7)},
            "observed_at": [starts[runner_race[r - 1] - 1] + timedelta(minutes=10) for r in done],
        }
    )
    results["section_time_3"] = [23.0, 23.2, 23.5, 24.5, 23.4, 22.9, 23.3]
    odds = pd.DataFrame(
        {
            "runner_id": [8, 9],
            "market": "win",
            "kind": "final",
            "value": [1.5, 2.5],
            "observed_at": [starts[2], starts[2]],
        }
    )
    return {"races": races, "runners": runners, "runner_results": results, "race_odds": odds}


def test_hand_worked_features() -> None:
    frames = _hand_frames()
    features = build(frames, datetime(2030, 1, 1)).set_index("runner_id")
    first = features.loc[[1, 2, 3, 4]]
    assert (first["horse_runs"] == 0).all() and first["horse_win_rate"].isna().all()
    assert (first["rating_mu"] == 25.0).all() and (first["is_low_sample"] == 1).all()
    # No result known before race 1: strike rates are undefined, not zero.
    assert first["trainer_win_rate"].isna().all()
    second = features.loc[5]  # horse 1 in race 2: won race 1 of four (normalised finish 0)
    assert second["horse_runs"] == 1 and second["horse_win_rate"] == 1.0
    assert second["horse_last_norm_finish"] == 0.0 and second["days_since_last_run"] == 7.0
    assert second["body_weight_change"] == 10.0 and second["distance_change"] == 200.0
    assert second["class_change"] == -1.0  # up from class 4 to 3
    assert second["early_position"] == 0.0 and second["running_style"] == 0
    assert second["final_sectional"] == pytest.approx((23.0 + 23.2 + 23.5 + 24.5) / 4 - 23.0)
    # Trainer 1 had horses 1 (won) and 2 in race 1: 2 runs, 1 win; the prior is 1 in 4.
    assert second["trainer_runs"] == 2
    assert second["trainer_win_rate"] == pytest.approx((1 + 20 * 0.25) / (2 + 20))
    assert second["rating_mu"] > 25.0
    assert (
        features.loc[5, "rating_mu"] > features.loc[6, "rating_mu"] > features.loc[7, "rating_mu"]
    )
    third = features.loc[8]  # horse 1, 543 days after race 2
    assert third["is_stale"] == 1 and third["horse_runs"] == 2
    assert np.isnan(third["race_class"]) and np.isnan(third["class_change"])  # "G"
    # The 365-day strike rate of jockey 1 forgets races 1 and 2; the career one does not.
    assert third["jockey_runs"] == 2
    assert third["jockey_win_rate_365d"] == pytest.approx(2 / 7)  # the prior alone
    assert third["jockey_win_rate"] == pytest.approx((2 + 20 * 2 / 7) / (2 + 20))
    assert third["public_prob"] == pytest.approx((1 / 1.5) / (1 / 1.5 + 1 / 2.5))
    assert third["is_favourite"] == 1 and features.loc[9, "is_favourite"] == 0
    assert features.loc[9, "rating_mu_vs_field"] == -third["rating_mu_vs_field"]


def test_final_odds_reach_a_race_asked_at_its_off_but_not_earlier() -> None:
    frames = _hand_frames()
    off = frames["races"]["start_at"].iloc[2].to_pydatetime()
    at_off = build(frames, datetime(2030, 1, 1)).set_index("runner_id")
    before = build(frames, off - timedelta(seconds=1)).set_index("runner_id")
    assert at_off.loc[8, "public_prob"] > 0.5
    assert np.isnan(before.loc[8, "public_prob"])


def test_a_result_observed_exactly_at_the_cutoff_is_excluded() -> None:
    frames = _hand_frames()
    second_start = frames["races"]["start_at"].iloc[1]
    results = frames["runner_results"]
    race_1 = results["runner_id"] <= 4
    results.loc[race_1, "observed_at"] = second_start
    at = build(frames, datetime(2030, 1, 1)).set_index("runner_id")
    assert at.loc[5, "horse_runs"] == 0 and at.loc[5, "trainer_runs"] == 0
    results.loc[race_1, "observed_at"] = second_start - timedelta(seconds=1)
    after = build(frames, datetime(2030, 1, 1)).set_index("runner_id")
    assert after.loc[5, "horse_runs"] == 1 and after.loc[5, "trainer_runs"] == 2
