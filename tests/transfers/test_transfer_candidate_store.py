"""The candidate store adapter on both stores, over a tiny demo world: what it reads as of T is
only what was observed by then, candidates from the store agree with the pure generator over
everything cut at T, a move observed after T changes nothing as of T (and changes things later:
the positive control), derived signals become ``signal`` candidates, and the audit runs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select

from formline.store.db import Store
from formline.transfers.candidate_store import (
    audit_store,
    candidates_as_of,
    read_candidate_inputs,
    seasons_windows,
)
from formline.transfers.candidates import candidates_from_inputs
from formline.transfers.demo_ingest import ingest_transfer_demo
from formline.transfers.signal_store import derive_signals
from formline.transfers.tables import transfers

NOW = datetime(2024, 8, 10)
WORLD = {"n_players": 60, "clubs_per_league": 4, "event_days": 60}
T = datetime(2024, 6, 15)


def test_the_store_reads_what_was_known_and_agrees_with_the_pure_generator(store: Store) -> None:
    ingest_transfer_demo(store, 42, NOW, **WORLD)
    everything = read_candidate_inputs(store)
    known = read_candidate_inputs(store, T)
    assert (known.transfers["observed_at"] <= T).all()
    assert len(known.transfers) < len(everything.transfers)  # the summer's moves come later
    assert (known.signals["observed_at"] <= T).all() and len(known.signals) > 0
    assert known.club_seasons["season"].max() == 2024
    got = candidates_as_of(store, T, seed=5)
    at_risk, pure = candidates_from_inputs(everything, T, seed=5)
    assert len(got) > 0 and got.equals(pure)
    own = at_risk.set_index("player_id")["club_id"]
    assert (got["club_id"] != got["player_id"].map(own)).all()
    assert got.groupby("player_id").size().max() <= 20
    assert set(got["reasons"].str.split(",").explode()) <= {
        "same_league",
        "top_other_league",
        "random",
    }  # no pair signals yet: none derived

    # A move observed after T: nothing changes as of T, the candidates do change later.
    player, club = int(at_risk["player_id"].iloc[0]), int(at_risk["club_id"].iloc[0])
    late = datetime(2024, 7, 1)
    with store.begin("a late move") as conn:
        row = dict(conn.execute(select(transfers).limit(1)).mappings().one())
        row.pop("id")
        conn.execute(
            insert(transfers).values(
                {
                    **row,
                    "key": "late-move",
                    "player_id": player,
                    "from_club_id": club,
                    "to_club_id": None,
                    "to_status": "retired",
                    "season": 2024,
                    "transfer_window": "summer",
                    "loan_return": False,
                    "observed_at": late,
                }
            )
        )
    assert candidates_as_of(store, T, seed=5).equals(got)
    after = candidates_as_of(store, datetime(2024, 7, 2), seed=5)
    assert player in set(got["player_id"]) and player not in set(after["player_id"])

    # Derived co-occurrence signals make signal candidates as of their window's end.
    derive_signals(store, NOW, 60)
    signalled = candidates_as_of(store, NOW, seed=5)
    assert signalled["reasons"].str.contains("signal").any()
    audit = audit_store(store, seasons_windows(2023, 2024))
    assert len(audit.windows) == 4 and audit.totals()["movers"] > 0
