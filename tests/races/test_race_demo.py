"""The demo racing world: the same seed gives the same world, ``now`` only reveals, in-race
facts agree with the finish, future cards carry no results, and the public's odds keep a
realistic take and are informative without being the truth."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from formline.races.demo import TAKE, RaceWorld, generate_race_world
from formline.races.frames import N_CALLS
from formline.races.store import upsert_races
from formline.store.db import Store

NOW = datetime(2026, 6, 10, 19, 50)  # a Wednesday evening: DMV's meeting is under way
KEY = ["venue", "race_date", "race_number"]


@pytest.fixture(scope="module")
def world() -> RaceWorld:
    return generate_race_world(11, now=NOW)


def _equal(left: RaceWorld, right: RaceWorld) -> bool:
    names = ("races", "runners", "odds", "dividends")
    return all(getattr(left.batch, n).equals(getattr(right.batch, n)) for n in names)


def test_the_same_seed_gives_the_same_world(world: RaceWorld) -> None:
    assert _equal(world, generate_race_world(11, now=NOW))
    assert not _equal(world, generate_race_world(12, now=NOW))
    assert world.truth.equals(generate_race_world(11, now=NOW).truth)


def test_a_later_now_only_reveals(world: RaceWorld) -> None:
    later = generate_race_world(11, now=datetime(2026, 6, 11, 9))
    key = [*KEY, "horse_key"]
    earlier = world.batch.runners.dropna(subset=["finish_position"]).set_index(key)
    known = later.batch.runners.set_index(key).loc[earlier.index]
    assert (known["finish_position"] == earlier["finish_position"]).all()
    assert (known["finish_time"] == earlier["finish_time"]).all()
    assert later.batch.runners["finish_position"].notna().sum() > len(earlier)


def test_cards_to_come_have_no_results_and_no_final_odds_before_the_off(
    world: RaceWorld,
) -> None:
    races, runners, odds = world.batch.races, world.batch.runners, world.batch.odds
    now = pd.Timestamp(NOW)
    assert (races["card_observed_at"] <= now).all()
    upcoming = races[races["start_at"] > now]
    running = races[(races["start_at"] <= now) & races["result_observed_at"].isna()]
    assert len(upcoming) >= 3 and len(running) >= 1
    card = runners.merge(upcoming[KEY])
    assert card["finish_position"].isna().all() and card["status"].isna().all()
    assert card["draw"].notna().all() and card["carried_weight"].notna().all()
    priced = odds.merge(upcoming[KEY])
    assert set(priced["kind"]) == {"opening"}
    at_off = odds.merge(running[KEY])
    assert set(at_off["kind"]) == {"opening", "final"}
    assert runners.merge(running[KEY])["finish_position"].isna().all()
    assert (odds["observed_at"] <= now).all()


def test_in_race_facts_agree_with_the_finish(world: RaceWorld) -> None:
    runners = world.batch.runners.dropna(subset=["finish_position"])
    sections = runners[[f"section_time_{c}" for c in range(1, N_CALLS + 1)]].astype(float)
    assert np.allclose(sections.sum(axis=1), runners["finish_time"], atol=0.05)
    calls = sections.notna().sum(axis=1).to_numpy()
    positions = runners[[f"position_{c}" for c in range(1, N_CALLS + 1)]].astype(float)
    behind = runners[[f"behind_{c}" for c in range(1, N_CALLS + 1)]].astype(float)
    last = np.arange(len(runners)), calls - 1
    assert (positions.to_numpy()[last] == runners["finish_position"].to_numpy()).all()
    assert np.allclose(behind.to_numpy()[last], runners["lengths_behind"], atol=0.02)
    ordered = runners.sort_values([*KEY, "finish_position"])
    gaps = ordered.groupby(KEY)["finish_time"].diff().dropna()
    assert (gaps >= 0).all()
    sizes = runners.groupby(KEY).size()
    assert (sizes == world.batch.races.set_index(KEY)["field_size"].reindex(sizes.index)).all()


def _public(world: RaceWorld) -> pd.DataFrame:
    odds = world.batch.odds
    win = odds[(odds["market"] == "win") & (odds["kind"] == "final")]
    runners = world.batch.runners.dropna(subset=["finish_position"])
    frame = win.merge(runners, on=[*KEY, "horse_key"]).merge(world.truth, on=[*KEY, "horse_key"])
    inverse = 1.0 / frame["value"]
    frame["overround"] = inverse.groupby([frame[c] for c in KEY]).transform("sum")
    frame["q"] = inverse / frame["overround"]
    return frame


def test_the_public_keeps_a_realistic_take_and_is_informative(world: RaceWorld) -> None:
    frame = _public(world)
    races = frame.groupby(KEY)
    assert len(races) > 800
    # sum of 1/odds = 1 / (1 - take), a little more for the cut to 0.1 and the cap at 99.
    overround = races["overround"].first().median()
    assert 1 / (1 - TAKE) <= overround <= 1 / (1 - TAKE) + 0.03
    winners = frame[frame["finish_position"] == 1]
    uniform = np.log(races.size()).sum()
    public_r2 = 1 + np.log(winners["q"]).sum() / uniform
    truth_r2 = 1 + np.log(winners["p_true"]).sum() / uniform
    assert 0.1 < public_r2 < 0.3
    assert public_r2 < truth_r2  # informed, but not the truth


def test_the_public_overbets_longshots(world: RaceWorld) -> None:
    frame = _public(world)
    longshots, favourites = frame[frame["q"] < 0.03], frame[frame["q"] > 0.15]
    assert len(longshots) > 500 and len(favourites) > 500
    # Against the true probabilities, longshots are over-bet and favourites under-bet (on the
    # shared Hong Kong races, wins / q is 0.82 below q = 0.03 and 1.04 above q = 0.15).
    assert longshots["p_true"].sum() / longshots["q"].sum() < 0.9
    assert favourites["p_true"].sum() / favourites["q"].sum() > 1.02


def test_the_demo_world_loads_and_reloads(store: Store) -> None:
    small = generate_race_world(5, now=NOW, n_days=42, n_horses=160)
    report = upsert_races(store, small.batch)
    assert report.tables["races"].inserted == len(small.batch.races)
    assert report.tables["runners"].inserted == len(small.batch.runners)
    assert report.tables["race_odds"].inserted == len(small.batch.odds)
    assert set(report.unmatched.values()) == {0}
    assert not upsert_races(store, small.batch).changed
