"""Features for given (match, cutoff) pairs: each pair is exactly what a build as of that
cutoff gives the match, so a backtest can predict a match from what was known N days before."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from world import build, small_world

from formline.matches.features import MATCH_FEATURES

AS_OF = datetime(2022, 1, 1)


@pytest.fixture(scope="module")
def world() -> tuple[pd.DataFrame, pd.DataFrame]:
    return small_world(seed=5, n_teams=6, n_rounds=14, n_competitions=2, scheduled_from_round=12)


def _rows_at(features: pd.DataFrame, match_ids: list[int]) -> pd.DataFrame:
    return features.set_index("match_id").loc[match_ids, MATCH_FEATURES.names]


def test_each_query_equals_a_build_as_of_its_cutoff(
    world: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    matches, odds = world
    picked = matches.sort_values("kickoff_at").iloc[20:60:4]
    leads = [timedelta(0), timedelta(days=1, hours=3), timedelta(days=9)]
    queries = pd.DataFrame(
        [
            {"match_id": int(m), "cutoff_at": kickoff - lead}
            for m, kickoff in zip(picked["match_id"], picked["kickoff_at"], strict=True)
            for lead in leads
        ]
    )
    got = build(matches, odds, AS_OF, queries)
    assert len(got) == len(queries)
    assert list(got.columns) == ["match_id", "cutoff_at", *MATCH_FEATURES.names]
    # Ordered by match, then cutoff.
    assert got[["match_id", "cutoff_at"]].equals(
        got[["match_id", "cutoff_at"]].sort_values(["match_id", "cutoff_at"]).reset_index(drop=True)
    )
    for cutoff, group in got.groupby("cutoff_at"):
        expected = build(matches, odds, pd.Timestamp(cutoff).to_pydatetime())
        ids = group["match_id"].tolist()
        pd.testing.assert_frame_equal(
            group.set_index("match_id")[MATCH_FEATURES.names],
            _rows_at(expected, ids),
            check_exact=True,
        )


def test_a_longer_lead_sees_less(world: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """Positive control: the same match at two leads differs where results came in between,
    and a lead past the opening odds has no market features."""
    matches, odds = world
    match = matches[matches["status"] == "finished"].sort_values("kickoff_at").iloc[40]
    kickoff = match["kickoff_at"]
    queries = pd.DataFrame(
        {"match_id": [match["match_id"]] * 2, "cutoff_at": [kickoff, kickoff - timedelta(days=15)]}
    )
    got = build(matches, odds, AS_OF, queries).set_index("cutoff_at")
    near, far = got.loc[kickoff], got.loc[kickoff - timedelta(days=15)]
    assert near["home_form_matches"] > far["home_form_matches"]
    assert not np.isnan(near["market_p_home"])
    assert np.isnan(far["market_p_home"])


def test_cutoffs_are_capped_at_kickoff_and_as_of(
    world: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    matches, odds = world
    match = matches[matches["status"] == "finished"].sort_values("kickoff_at").iloc[30]
    kickoff = match["kickoff_at"]
    queries = pd.DataFrame(
        {
            "match_id": [match["match_id"]] * 3,
            "cutoff_at": [kickoff + timedelta(days=3), kickoff, kickoff + timedelta(hours=1)],
        }
    )
    got = build(matches, odds, AS_OF, queries)
    # Three asks after or at kickoff are one query, as of kickoff.
    assert got["cutoff_at"].tolist() == [kickoff]
    capped = build(matches, odds, kickoff - timedelta(days=2), queries)
    assert capped["cutoff_at"].tolist() == [kickoff - timedelta(days=2)]
