"""The races domain's frame from a store: one row per runner, results only where known at
``as_of``, the public's prices only as known at the cutoff, and per-query cutoffs that give
the features a frame as of that cutoff gives."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from formline.races.dataset import load_race_frame, season_of
from formline.races.features import RACE_FEATURES
from formline.races.ingest import ingest_race_demo
from formline.store.db import Store

NOW = datetime(2025, 6, 1)
SMALL = {"n_days": 90, "n_horses": 150, "n_jockeys": 10, "n_trainers": 8}


@pytest.fixture
def demo_store(store: Store) -> Store:
    ingest_race_demo(store, 5, NOW, **SMALL)
    return store


def test_the_frame_has_one_row_per_runner_with_results_known_at_as_of(demo_store: Store) -> None:
    frame = load_race_frame(demo_store, NOW).frame
    assert not frame.duplicated(["race_id", "runner_id"]).any()
    assert list(frame.columns[-len(RACE_FEATURES.names) :]) == list(RACE_FEATURES.names)
    done = frame[frame["status"] == "finished"]
    ahead = frame[frame["status"] == "scheduled"]
    assert len(done) and len(ahead)
    assert (done["start_at"] < NOW).all() and (ahead["start_at"] > NOW).all()
    assert ahead[["finish_position", "won", "placed"]].isna().all().all()
    # Exactly one winner per decided race, and the places paid: 3 from 7 starters, else 2.
    per_race = done.groupby("race_id").agg(w=("won", "sum"), p=("placed", "sum"), n=("won", "size"))
    assert (per_race["w"] == 1).all()
    assert (per_race["p"] == np.where(per_race["n"] >= 7, 3, 2)).all()
    # A past as_of forgets the results after it, and the odds the off had not yet shown.
    earlier = NOW - timedelta(days=20)
    past = load_race_frame(demo_store, earlier).frame
    later = past[past["start_at"] > earlier]
    assert len(later) and (later["status"] == "scheduled").all()
    assert later["won"].isna().all()
    assert (later["information"] == "card").all()


def test_information_is_market_only_with_the_final_odds_at_the_cutoff(demo_store: Store) -> None:
    frame = load_race_frame(demo_store, NOW).frame
    # Run races were asked at their off, where the final odds are observed: every runner of
    # them is priced and the public's probabilities sum to 1 per race.
    done = frame[frame["status"] == "finished"]
    assert (done["information"] == "market").all()
    sums = done.groupby("race_id")["public_win_probability"].sum()
    np.testing.assert_allclose(sums, 1.0, atol=1e-9)
    # Cards ahead carry opening odds only: a card, not what price-reading models validate on.
    ahead = frame[frame["status"] == "scheduled"]
    assert ahead["public_win_probability"].notna().any()
    assert (ahead["information"] == "card").all()


def test_each_query_sees_what_a_frame_as_of_its_cutoff_sees(demo_store: Store) -> None:
    frame = load_race_frame(demo_store, NOW).frame
    races = frame.drop_duplicates("race_id").iloc[[10, 40, 70]]
    cutoffs = races["start_at"] - pd.to_timedelta([2, 1, 3], unit="D")
    queries = pd.DataFrame({"race_id": races["race_id"].to_numpy(), "cutoff_at": cutoffs})
    asked = load_race_frame(demo_store, NOW, queries=queries).frame
    assert set(asked["race_id"]) == set(races["race_id"])
    names = list(RACE_FEATURES.names)
    for race_id, cutoff in zip(races["race_id"], cutoffs, strict=True):
        expected = load_race_frame(demo_store, cutoff.to_pydatetime()).frame
        expected = expected[expected["race_id"] == race_id].set_index("runner_id")
        got = asked[asked["race_id"] == race_id].set_index("runner_id")
        assert (got["cutoff_at"] == cutoff).all()
        assert sorted(got.index) == sorted(expected.index)
        pd.testing.assert_frame_equal(
            got[names].sort_index(), expected[names].sort_index(), check_exact=False, rtol=1e-9
        )
        # Targets stay those known at as_of (they are never features).
        assert got["won"].sum() == 1


def test_the_season_starts_in_september() -> None:
    starts = pd.Series(pd.to_datetime(["2015-08-31", "2015-09-01", "2016-01-10"]))
    assert season_of(starts).tolist() == ["2014-15", "2015-16", "2015-16"]


def test_the_library_gives_each_entity_row_its_runners(demo_store: Store) -> None:
    import formline as fl

    frame = load_race_frame(demo_store, NOW).frame
    races = frame.drop_duplicates("race_id").iloc[[10, 40]]
    entity = pd.DataFrame(
        {"race_id": races["race_id"].to_numpy(), "as_of": races["start_at"] - pd.Timedelta(days=1)}
    )
    got = fl.get_historical_features(demo_store, entity, as_of=NOW, domain="races")
    sizes = frame[frame["race_id"].isin(races["race_id"])].groupby("race_id").size()
    assert got["race_id"].tolist() == [r for r in races["race_id"] for _ in range(sizes[r])]
    assert (got["cutoff_at"] == got["as_of"]).all()
    assert (got["information"] == "card").all()  # a day out, only opening odds are known
