"""Derived attention signals: the seed's formulas, minimum counts, caps and window bounds, on
hand-made events; events after ``as_of`` change nothing (with a positive control)."""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from formline.transfers.attention import DERIVED_SIGNAL_CONFIDENCE, attention_signals
from formline.transfers.records import ATTENTION_VELOCITY, DESTINATION_COOCCURRENCE

AS_OF = datetime(2024, 3, 8)
WEEK = timedelta(days=7)


def _events(rows: list[tuple[str, int, int | None, str, datetime]]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["session_id", "player_id", "club_id", "kind", "occurred_at"]
    ).astype({"club_id": "Int64", "occurred_at": "datetime64[us]"})


def _views(player: int, n: int, day: float, club: int | None = None, first: int = 0) -> list:
    """``n`` views of ``player``, each in its own session, ``day`` days before AS_OF."""
    at = AS_OF - timedelta(days=day)
    return [(f"{player}-{first + i}", player, club, "view", at) for i in range(n)]


def _by(signals: pd.DataFrame, kind: str) -> dict[object, float]:
    rows = signals[signals["signal_type"] == kind]
    if kind == ATTENTION_VELOCITY:
        return dict(zip(rows["player_id"], rows["value_number"], strict=True))
    pairs = zip(rows["player_id"], rows["club_id"], rows["value_number"], strict=True)
    return {(p, c): v for p, c, v in pairs}


def test_velocity_is_recent_over_older_views_capped_and_needs_three() -> None:
    events = _events(
        [
            *_views(1, 1, 5),  # older half (days 3.5-7 back)
            *_views(1, 4, 1),  # recent half: (4 + 1) / (1 + 1) x 100 = 250
            *_views(2, 12, 1),  # (12 + 1) / 1 x 100 = 1300: capped at 1000
            *_views(3, 2, 1),  # two views: too few
            *_views(4, 3, 6),  # all older: (0 + 1) / (3 + 1) x 100 = 25
            (
                "s",
                3,
                None,
                "search",
                AS_OF - timedelta(days=1),
            ),  # searches are not views
            *_views(5, 5, 8),  # before the window
        ]
    )
    velocity = _by(attention_signals(events, AS_OF, WEEK), ATTENTION_VELOCITY)
    assert velocity == {1: 250.0, 2: 1000.0, 4: 25.0}


def test_the_window_is_open_at_its_start_and_closed_at_as_of() -> None:
    events = _events(
        [
            ("a", 1, None, "view", AS_OF),  # at as_of: counts (known then)
            ("b", 1, None, "view", AS_OF - timedelta(hours=1)),
            ("c", 1, None, "view", AS_OF - WEEK / 2),  # the middle: older half
            ("d", 1, None, "view", AS_OF - WEEK),  # the start: outside
            ("e", 1, None, "view", AS_OF + timedelta(seconds=1)),  # after as_of: outside
        ]
    )
    assert _by(attention_signals(events, AS_OF, WEEK), ATTENTION_VELOCITY) == {1: 150.0}


def test_cooccurrence_counts_sessions_viewing_player_and_club_capped_and_needs_two() -> None:
    rows = []
    for i in range(3):  # three sessions see player 1, then player 1 at club 10
        rows += [(f"a{i}", 1, None, "view", AS_OF - timedelta(days=2))]
        rows += [(f"a{i}", 1, 10, "view", AS_OF - timedelta(days=2))]
    rows += [("a0", 1, 10, "view", AS_OF - timedelta(days=1))]  # a session counts once
    rows += [("b0", 1, 11, "view", AS_OF - timedelta(days=1))]  # one session: too few
    for i in range(12):  # player 2 and club 12, in twelve sessions: capped at 100
        rows += [(f"c{i}", 2, None, "view", AS_OF - timedelta(days=3))]
        rows += [(f"c{i}", 3, 12, "view", AS_OF - timedelta(days=3))]  # the club beside player 3
    signals = attention_signals(_events(rows), AS_OF, WEEK)
    pairs = _by(signals, DESTINATION_COOCCURRENCE)
    assert pairs == {(1, 10): 30.0, (2, 12): 100.0, (3, 12): 100.0}
    assert set(signals["entity_type"]) == {"player", "player_club"}


def test_signals_carry_their_confidence_and_times() -> None:
    signals = attention_signals(_events(_views(1, 3, 1, club=4)), AS_OF, WEEK)
    assert len(signals) == 2
    assert (signals["confidence"] == DERIVED_SIGNAL_CONFIDENCE).all()
    assert (signals["source"] == "derived").all()
    assert (signals["observed_at"] == AS_OF).all() and (signals["effective_from"] == AS_OF).all()
    assert (signals["effective_to"] == AS_OF + WEEK).all()
    assert signals.loc[signals["entity_type"] == "player", "club_id"].isna().all()
    with pytest.raises(ValueError, match="confidence"):
        attention_signals(_events([]), AS_OF, WEEK, confidence=1.5)
    with pytest.raises(ValueError, match="positive"):
        attention_signals(_events([]), AS_OF, timedelta(0))
    assert attention_signals(_events([]), AS_OF, WEEK).empty


def _random_events(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    at = AS_OF - timedelta(days=10) + pd.to_timedelta(rng.uniform(0, 14, n), unit="D")
    return pd.DataFrame(
        {
            "session_id": [f"s{i}" for i in rng.integers(0, n // 3 + 1, n)],
            "player_id": rng.integers(1, 6, n),
            "club_id": pd.array(np.where(rng.random(n) < 0.5, rng.integers(1, 4, n), -1)).astype(
                "Int64"
            ),
            "kind": np.where(rng.random(n) < 0.9, "view", "search"),
            "occurred_at": pd.Series(at).dt.floor("s").astype("datetime64[us]"),
        }
    ).replace({"club_id": {-1: pd.NA}})


_CON = duckdb.connect(":memory:")
_CON.execute("SET TimeZone = 'UTC'")


@settings(max_examples=15)  # each example runs three DuckDB queries
@given(seed=st.integers(0, 10_000), n=st.integers(20, 200))
def test_events_after_as_of_change_nothing(seed: int, n: int) -> None:
    events = _random_events(seed, n)
    before = attention_signals(events, AS_OF, WEEK, con=_CON)
    after = events["occurred_at"] > AS_OF
    rewritten = events[~after]  # every later event dropped, and three views of player 99 added
    late = AS_OF + timedelta(hours=1)
    rewritten = pd.concat([rewritten, _events([(f"z{i}", 99, 1, "view", late) for i in range(3)])])
    pd.testing.assert_frame_equal(attention_signals(rewritten, AS_OF, WEEK, con=_CON), before)
    # Positive control: an hour later the rewrite shows (a velocity for player 99).
    later = attention_signals(rewritten, late, WEEK, con=_CON)
    assert 99 in set(later.loc[later["signal_type"] == ATTENTION_VELOCITY, "player_id"])
