"""The demo transfer world is pure and seeded: the same arguments give identical frames, nothing
known after ``now`` is in what a store loads, windows close on 1 Sep and 1 Feb, moves follow
contracts, loans come back, signals are observed after they hold, and attention rises before
some moves (and spikes before none)."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from formline.transfers.frames import TransferBatch
from formline.transfers.records import CONTRACT_MONTHS, MARKET_VALUE
from formline.transfers.sources.demo import TransferWorld, generate_transfer_world
from formline.transfers.sources.demo_attention import ATTENTION_LEAD

NOW = datetime(2024, 8, 10)  # inside the summer window: moves before and after it


@pytest.fixture(scope="module")
def world() -> TransferWorld:
    return generate_transfer_world(7, NOW, n_players=150, n_seasons=3)


def _frames(world: TransferWorld) -> dict[str, pd.DataFrame]:
    out = {f"batch.{n}": getattr(world.batch, n) for n in TransferBatch.frame_columns()}
    for f in fields(world):
        value = getattr(world, f.name)
        if isinstance(value, pd.DataFrame):
            out[f.name] = value
    return out


def test_the_same_seed_gives_the_same_world_and_another_seed_another(world: TransferWorld) -> None:
    again = generate_transfer_world(7, NOW, n_players=150, n_seasons=3)
    for name, frame in _frames(world).items():
        pd.testing.assert_frame_equal(frame, _frames(again)[name], obj=name)
    other = generate_transfer_world(8, NOW, n_players=150, n_seasons=3)
    assert not world.batch.transfers["key"].equals(other.batch.transfers["key"])


def test_what_a_store_loads_was_known_at_now(world: TransferWorld) -> None:
    assert (world.batch.transfers["observed_at"] <= NOW).all()
    assert (world.contracts["observed_at"] <= NOW).all()
    assert (world.season_stats["observed_at"] <= NOW).all()
    assert (world.signals["observed_at"] <= NOW).all()
    assert (world.user_events["occurred_at"] < NOW).all()
    future = world.future_moves()
    assert len(future) > 0 and (future["observed_at"] > NOW).all()
    assert len(world.batch.transfers) + len(future) == len(world.moves)
    assert (world.windows["closes_at"] > NOW).sum() == 2  # the windows to predict
    players = set(world.batch.players["key"])
    assert set(world.batch.transfers["player_key"]) <= players
    assert set(world.contracts["player_key"]) <= players
    assert set(world.user_events["player_key"]) <= players
    clubs = set(world.batch.clubs["key"])
    assert set(world.batch.transfers["to_club_key"].dropna()) <= clubs
    assert world.batch.leagues["tier"].tolist() == [1, 2]
    assert world.user_events["event_id"].is_unique


def test_before_a_window_opens_its_youth_players_are_not_there_yet() -> None:
    early = generate_transfer_world(7, datetime(2024, 3, 15), n_players=150, n_seasons=3)
    players = set(early.batch.players["key"])
    assert set(early.user_events["player_key"]) <= players
    assert set(early.contracts["player_key"]) <= players
    assert len(early.future_moves()) > 0
    assert (early.future_moves()["moved_on"] > datetime(2024, 6, 14)).all()


def test_moves_fall_in_their_windows_which_close_on_1_september_and_1_february(
    world: TransferWorld,
) -> None:
    closes = world.windows["closes_at"]
    assert set(zip(closes.dt.month, closes.dt.day, strict=True)) == {(9, 1), (2, 1)}
    moves = world.moves.merge(world.windows, on=["season", "transfer_window"])
    assert len(moves) == len(world.moves)
    assert (
        (moves["moved_on"] >= moves["opens_at"]) & (moves["moved_on"] < moves["closes_at"])
    ).all()
    summer = (moves["transfer_window"] == "summer").sum()
    assert summer > 2 * (moves["transfer_window"] == "winter").sum()


def test_loans_come_back_retirements_happen_and_free_moves_cost_nothing(
    world: TransferWorld,
) -> None:
    moves = world.moves
    loans = moves[moves["is_loan"]]
    back = moves[moves["loan_return"]]
    assert len(loans) > 0 and len(back) > 0
    # Every return goes back to the club that lent him, the summer after.
    out = loans.set_index("player_key")[["from_club_key", "season"]]
    for row in back.itertuples():
        lent = out.loc[[row.player_key]]
        assert ((lent["from_club_key"] == row.to_club_key) & (lent["season"] < row.season)).any()
    assert (moves["to_status"] == "retired").sum() > 0
    assert (moves.loc[moves["is_loan"], "fee_eur"] == 0).all()
    assert (moves["fee_eur"].dropna() >= 0).all() and (moves["market_value_eur"] > 0).all()


def test_a_contract_near_its_end_makes_a_move_more_likely(world: TransferWorld) -> None:
    big = generate_transfer_world(3, NOW, n_players=600, n_seasons=4, event_days=10)
    contracts = big.contracts.sort_values("observed_at")
    summers = big.windows[big.windows["transfer_window"] == "summer"]
    short, long = [], []
    for w in summers.itertuples():
        known = contracts[contracts["observed_at"] < w.opens_at].drop_duplicates(
            "player_key", keep="last"
        )
        left = (known["expires_on"] - w.closes_at).dt.days / 30.44
        movers = set(
            big.moves.loc[
                (big.moves["season"] == w.season) & (big.moves["transfer_window"] == "summer"),
                "player_key",
            ]
        )
        moved = known["player_key"].isin(movers)
        short.append(moved[left <= 12])
        long.append(moved[left > 24])
    assert pd.concat(short).mean() > 1.5 * pd.concat(long).mean()


def test_signals_are_observed_after_they_hold_and_some_much_later(world: TransferWorld) -> None:
    signals = world.signals
    assert set(signals["signal_type"]) == {MARKET_VALUE, CONTRACT_MONTHS}
    assert (signals["observed_at"] > signals["effective_from"]).all()
    assert (signals["effective_to"] > signals["effective_from"]).all()
    assert signals["confidence"].between(0, 1).all()
    late = (signals["observed_at"] - signals["effective_from"]).dt.days >= 45
    assert 0.03 < late.mean() < 0.2
    values = signals[signals["signal_type"] == MARKET_VALUE]["value_number"]
    assert (values > 0).all() and values.max() > 10 * values.min()


def test_attention_rises_before_some_moves_and_spikes_lead_nowhere(world: TransferWorld) -> None:
    events = world.user_events[world.user_events["kind"] == "view"]
    risen = world.moves[world.moves["attention_rise"] & (world.moves["attention_events"] > 0)]
    assert len(risen) > 0
    lead = pd.Timedelta(ATTENTION_LEAD)
    closer, earlier = 0, 0
    for move in risen.itertuples():
        mine = events[events["player_key"] == move.player_key]["occurred_at"]
        closer += mine.between(move.moved_on - lead / 2, move.moved_on).sum()
        earlier += mine.between(move.moved_on - lead, move.moved_on - lead / 2).sum()
    assert closer > 1.5 * earlier  # denser towards the move
    start = np.datetime64(NOW) - np.timedelta64(120, "D")
    moved_since = set(world.moves.loc[world.moves["moved_on"] > start, "player_key"])
    assert len(world.spikes) > 0 and not set(world.spikes["player_key"]) & moved_since
    rises = world.moves["attention_rise"]
    assert 0 < rises.sum() < len(world.moves)


def test_sizes_out_of_range_are_refused() -> None:
    with pytest.raises(ValueError, match="one player per club"):
        generate_transfer_world(n_players=3)
    with pytest.raises(ValueError, match="event_days"):
        generate_transfer_world(event_days=0)
