"""The point-in-time signal read: as of T only signals observed by T and holding at T count, the
latest per entity and type; rewriting or deleting every signal observed after T changes nothing
as of T (a property test, with a positive control); late-observed signals are left out."""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from formline.transfers.signals_as_of import signals_as_of
from formline.transfers.sources.demo import generate_transfer_world

T0 = datetime(2024, 1, 1)
_CON = duckdb.connect(":memory:")
_CON.execute("SET TimeZone = 'UTC'")


def _signal(player: int, value: float, observed: int, start: int, end: int | None, **kw):  # type: ignore[no-untyped-def]
    """A player's market value: days after T0 observed, effective from and to."""
    day = timedelta(days=1)
    return {
        "entity_type": "player",
        "player_id": player,
        "club_id": None,
        "signal_type": kw.get("signal_type", "market_value_eur"),
        "value_number": value,
        "source": kw.get("source", "demo"),
        "confidence": kw.get("confidence", 0.8),
        "observed_at": T0 + observed * day,
        "effective_from": T0 + start * day,
        "effective_to": None if end is None else T0 + end * day,
    }


def _frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    return pd.DataFrame(rows).astype(
        {
            "club_id": "Int64",
            "observed_at": "datetime64[us]",
            "effective_from": "datetime64[us]",
            "effective_to": "datetime64[us]",
        }
    )


def _values(frame: pd.DataFrame) -> dict[object, float]:
    """The market values read, per player."""
    frame = frame[frame["signal_type"] == "market_value_eur"]
    return dict(zip(frame["player_id"], frame["value_number"], strict=True))


def test_a_value_published_after_t_about_a_day_before_t_is_not_known_at_t() -> None:
    # The guide's example: a market value published on 1 March about 15 February is not known
    # on 20 February; the value it replaces is.
    signals = _frame(
        [
            _signal(1, 5e6, observed=5, start=0, end=None),
            _signal(1, 9e6, observed=60, start=45, end=None),  # 1 Mar about 15 Feb
        ]
    )
    assert _values(signals_as_of(signals, T0 + timedelta(days=50))) == {1: 5e6}
    assert _values(signals_as_of(signals, T0 + timedelta(days=60))) == {1: 9e6}


def test_only_signals_holding_at_t_count_and_the_latest_wins() -> None:
    signals = _frame(
        [
            _signal(1, 1.0, observed=1, start=0, end=10),
            _signal(1, 2.0, observed=12, start=10, end=20),
            _signal(1, 3.0, observed=15, start=10, end=20),  # a correction learned later
            _signal(2, 4.0, observed=1, start=0, end=5),  # lapsed by day 5
            _signal(3, 5.0, observed=1, start=8, end=None),  # holds from day 8
            _signal(3, 6.0, observed=1, start=3, end=None, signal_type="contract_months"),
        ]
    )
    at = signals_as_of(signals, T0 + timedelta(days=9))
    assert list(zip(at["player_id"], at["signal_type"], at["value_number"], strict=True)) == [
        (3, "contract_months", 6.0),
        (1, "market_value_eur", 1.0),
        (3, "market_value_eur", 5.0),
    ]
    assert _values(signals_as_of(signals, T0 + timedelta(days=13))) == {1: 2.0, 3: 5.0}
    assert _values(signals_as_of(signals, T0 + timedelta(days=15))) == {1: 3.0, 3: 5.0}
    assert _values(signals_as_of(signals, T0 + timedelta(days=10))) == {3: 5.0}  # known day 12
    assert _values(signals_as_of(signals, T0 + timedelta(days=5))) == {1: 1.0}  # [0, 5) over


def _random_signals(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = rng.integers(0, 100, n)
    observed = start + rng.choice([1, 3, 10, 60, 120], n)  # some observed very late
    end = start + rng.integers(1, 60, n)
    rows = [
        _signal(
            int(rng.integers(1, 8)),
            float(rng.integers(1, 50)) * 1e5,
            int(o),
            int(s),
            None if rng.random() < 0.2 else int(e),
            signal_type=str(rng.choice(["market_value_eur", "contract_months_remaining"])),
            confidence=float(rng.choice([0.5, 0.8])),
            source=str(rng.choice(["demo", "derived"])),
        )
        for s, o, e in zip(start, observed, end, strict=True)
    ]
    return _frame(rows)


@settings(max_examples=20)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 80), day=st.integers(0, 200))
def test_signals_observed_after_t_change_nothing_as_of_t(seed: int, n: int, day: int) -> None:
    signals = _random_signals(seed, n)
    at = T0 + timedelta(days=day)
    before = signals_as_of(signals, at, con=_CON)
    later = signals["observed_at"] > at
    rewritten = signals.copy()
    rewritten.loc[later, "value_number"] = -1.0  # every later value rewritten ...
    rewritten.loc[later, "effective_from"] = at  # ... as holding at T
    rewritten.loc[later, "effective_to"] = pd.NaT
    rewritten.loc[later, "confidence"] = 1.0  # ... and beating every other value of T
    pd.testing.assert_frame_equal(signals_as_of(rewritten, at, con=_CON), before)
    pd.testing.assert_frame_equal(signals_as_of(signals[~later], at, con=_CON), before)
    assert not (before["observed_at"] > at).any()
    # Positive control: had they been observed by T, the rewritten values would be read.
    if later.any():
        known = rewritten.copy()
        known.loc[later, "observed_at"] = at
        read = signals_as_of(known, at, con=_CON)
        assert (read["value_number"] == -1.0).sum() == len(
            rewritten[later].drop_duplicates(["player_id", "signal_type"])
        )


def test_the_demo_worlds_late_market_values_are_left_out_until_observed() -> None:
    now = datetime(2024, 8, 10)
    world = generate_transfer_world(5, now, n_players=60, n_seasons=3, event_days=5)
    signals = world.signals.rename(columns={"player_key": "player_id", "club_key": "club_id"})
    late = signals[(signals["observed_at"] - signals["effective_from"]).dt.days >= 45]
    assert len(late) > 0
    row = late.iloc[0]
    between = row["effective_from"] + (row["observed_at"] - row["effective_from"]) / 2
    if between >= row["effective_to"]:
        between = row["effective_from"] + timedelta(days=1)
    at = between.to_pydatetime()
    read = signals_as_of(signals, at, con=_CON)
    mine = read[
        (read["player_id"] == row["player_id"]) & (read["signal_type"] == row["signal_type"])
    ]
    assert (mine["observed_at"] <= at).all()
    assert not (
        (mine["effective_from"] == row["effective_from"])
        & (mine["observed_at"] == row["observed_at"])
    ).any()
    known = signals[signals["observed_at"] <= at]
    pd.testing.assert_frame_equal(read, signals_as_of(known, at, con=_CON))
