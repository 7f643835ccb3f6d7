"""Withdrawn runners in the builder: from when a withdrawal is observed (the off, for the HKJC
results layout) the runner is not asked and not counted in its race's field; before then it is
on the card like any other runner; and its result row is never a run of its horse."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from race_reference import reference_features
from race_world import NOW, build, mismatches, small_frames

from formline.engine import compute_session
from formline.races.features import build_race_features, create_input_tables


def _withdraw(frames: dict[str, pd.DataFrame], n: int) -> tuple[dict[str, pd.DataFrame], list[int]]:
    """``frames`` with one runner of each of ``n`` finished races (with a later run of the same
    horse) withdrawn: its result row the status alone, observed at the off; no final odds."""
    out = {name: frame.copy() for name, frame in frames.items()}
    runners = out["runners"].merge(out["races"][["race_id", "start_at"]], on="race_id")
    results = out["runner_results"]
    finished = runners[runners["runner_id"].isin(results["runner_id"])]
    later = finished.groupby("horse_id")["start_at"].transform("max") > finished["start_at"]
    picked = finished[later].drop_duplicates("race_id").head(n)
    chosen = picked["runner_id"].tolist()
    hit = results["runner_id"].isin(chosen)
    start = results["runner_id"].map(runners.set_index("runner_id")["start_at"])
    results.loc[hit, "status"] = "withdrawn"
    for column in [c for c in results.columns if c not in ("runner_id", "status", "observed_at")]:
        results.loc[hit, column] = pd.NA
    results.loc[hit, "observed_at"] = start[hit]
    odds = out["race_odds"]
    out["race_odds"] = odds[~(odds["runner_id"].isin(chosen) & (odds["kind"] == "final"))]
    return out, chosen


@pytest.fixture(scope="module")
def world() -> tuple[dict[str, pd.DataFrame], list[int]]:
    return _withdraw(small_frames(seed=11), 4)


def _asked(frames: dict[str, pd.DataFrame], race_ids: list[int], lead: timedelta) -> pd.DataFrame:
    """The builder asked the races at ``lead`` before their starts."""
    races = frames["races"].set_index("race_id").loc[race_ids]
    queries = pd.DataFrame({"race_id": race_ids, "cutoff_at": (races["start_at"] - lead).values})
    con = compute_session(1)
    try:
        create_input_tables(con, frames)
        return build_race_features(con, NOW, queries=queries)
    finally:
        con.close()


def test_a_withdrawal_known_at_the_off_leaves_the_field(
    world: tuple[dict[str, pd.DataFrame], list[int]],
) -> None:
    frames, withdrawn = world
    race_of = frames["runners"].set_index("runner_id")["race_id"]
    races = race_of.loc[withdrawn].tolist()
    on_card = frames["runners"]["race_id"].value_counts().loc[races].to_numpy()
    built = build(frames, NOW)
    assert not built["runner_id"].isin(withdrawn).any()
    sizes = (
        built[built["race_id"].isin(races)].groupby("race_id")["field_size"].agg(["max", "size"])
    )
    np.testing.assert_array_equal(sizes.loc[races, "max"], on_card - 1)
    np.testing.assert_array_equal(sizes.loc[races, "size"], on_card - 1)
    # At the off (lead 0) as in training; the day before, the card still had the runner.
    at_off = _asked(frames, races, timedelta(0))
    assert not at_off["runner_id"].isin(withdrawn).any()
    day_before = _asked(frames, races, timedelta(hours=23))
    assert day_before["runner_id"].isin(withdrawn).sum() == len(withdrawn)
    sizes = day_before.groupby("race_id")["field_size"].max()
    np.testing.assert_array_equal(sizes.loc[races], on_card)


def test_a_withdrawal_is_never_a_run_of_its_horse(
    world: tuple[dict[str, pd.DataFrame], list[int]],
) -> None:
    frames, withdrawn = world
    built = build(frames, NOW)
    runners = frames["runners"].merge(frames["races"][["race_id", "start_at"]], on="race_id")
    results = frames["runner_results"].set_index("runner_id")["status"]
    for runner in withdrawn:
        horse, start = runners.set_index("runner_id").loc[runner, ["horse_id", "start_at"]]
        mine = runners[(runners["horse_id"] == horse) & (runners["start_at"] > start)]
        nxt = mine.sort_values("start_at").iloc[0]
        before = runners[(runners["horse_id"] == horse) & (runners["start_at"] < nxt["start_at"])]
        ran = before["runner_id"].map(results).eq("finished").sum()
        row = built.set_index("runner_id").loc[nxt["runner_id"]]
        assert row["horse_runs"] == ran  # the withdrawal is neither a start nor a loss


def test_the_pandas_reference_agrees_with_withdrawals(
    world: tuple[dict[str, pd.DataFrame], list[int]],
) -> None:
    frames, withdrawn = world
    assert mismatches(build(frames, NOW), reference_features(frames, NOW)) == {}
    starts = frames["races"].set_index("race_id")["start_at"]
    race = frames["runners"].set_index("runner_id").loc[withdrawn[-1], "race_id"]
    as_of = starts.loc[race].to_pydatetime() - timedelta(minutes=20)  # before the off
    built = build(frames, as_of)
    assert built["runner_id"].isin(withdrawn[-1:]).any()
    assert mismatches(built, reference_features(frames, as_of)) == {}
