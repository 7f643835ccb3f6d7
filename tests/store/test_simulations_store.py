"""Season simulation snapshots on both backends: stored once, published atomically, the pointer
moving forward only, a refused row leaving nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from formline.errors import DataError, StoreError
from formline.store.db import Store
from formline.store.simulations import (
    SimulationRecord,
    TeamOdds,
    publish_simulation,
    published_simulation,
    read_simulation,
)
from formline.store.tables import simulation_publications, simulation_snapshots, simulation_teams

AS_OF = datetime(2022, 11, 1, tzinfo=UTC)


def _record(
    as_of: datetime = AS_OF, *, p_title: float = 0.7, relegated: int = 1
) -> SimulationRecord:
    down = [0.0, 0.01, 0.75] if relegated else [None, None, None]
    teams = [
        TeamOdds("Arsenal", 80.5, p_title, 0.99, down[0], [p_title, 0.2, 0.8 - p_title]),
        TeamOdds("Man City", 79.0, 0.25, 0.98, down[1], [0.25, 0.6, 0.15]),
        TeamOdds("Leeds", 40.0, 0.05, 0.5, down[2], [0.05, 0.2, 0.75]),
    ]
    return SimulationRecord(
        domain="matches",
        competition="E0",
        season="2022-23",
        as_of=as_of,
        models=[{"model_version_id": 4, "information": "no_market", "games": 254}],
        n_sims=1000,
        seed=7,
        draws="score_grids",
        top=2,
        relegated=relegated,
        points_label="expected_points",
        n_played=126,
        n_remaining=254,
        simplifications="no head-to-head",
        teams=teams,
    )


def _counts(store: Store) -> tuple[int, int, int]:
    with store.connect() as conn:
        return tuple(  # type: ignore[return-value]
            int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (simulation_snapshots, simulation_teams, simulation_publications)
        )


def test_a_simulation_is_stored_once_and_read_back(store: Store) -> None:
    first = publish_simulation(store, _record())
    assert first.created and first.published
    again = publish_simulation(store, _record())
    assert (again.simulation_id, again.created, again.published) == (
        first.simulation_id,
        False,
        True,
    )
    assert _counts(store) == (1, 3, 1)
    with store.connect() as conn:
        stored = published_simulation(conn, "matches", "E0")
        assert published_simulation(conn, "matches", "D1") is None
        assert read_simulation(conn, 999) is None
    assert stored is not None
    assert (stored["season"], stored["n_sims"], stored["seed"], stored["relegated"]) == (
        "2022-23", 1000, 7, 1,
    )  # fmt: skip
    assert stored["models"] == [{"model_version_id": 4, "information": "no_market", "games": 254}]
    assert [t["team"] for t in stored["teams"]] == ["Arsenal", "Man City", "Leeds"]
    assert stored["teams"][2]["positions"] == pytest.approx([0.05, 0.2, 0.75])
    assert stored["teams"][2]["p_relegation"] == pytest.approx(0.75)
    # Another seed is another simulation; without relegation, no p_relegation.
    flat = publish_simulation(store, replace(_record(relegated=0), seed=8))
    with store.connect() as conn:
        latest = published_simulation(conn, "matches", "E0")
    assert latest is not None and latest["id"] == flat.simulation_id
    assert {t["p_relegation"] for t in latest["teams"]} == {None}
    # Published again, the first one is what the API serves again; nothing new is stored.
    back = publish_simulation(store, _record())
    assert (back.simulation_id, back.created, back.published) == (first.simulation_id, False, True)
    with store.connect() as conn:
        current = published_simulation(conn, "matches", "E0")
    assert current is not None and current["id"] == first.simulation_id
    assert _counts(store) == (2, 6, 1)


def test_the_pointer_only_moves_forward(store: Store) -> None:
    later = publish_simulation(store, _record(AS_OF + timedelta(days=7)))
    replay = publish_simulation(store, _record(AS_OF))
    assert replay.created and not replay.published
    with store.connect() as conn:
        current = published_simulation(conn, "matches", "E0")
    assert current is not None and current["id"] == later.simulation_id


def test_a_refused_row_leaves_nothing_half_written(store: Store) -> None:
    publish_simulation(store, _record())
    bad = replace(_record(AS_OF + timedelta(days=1), p_title=1.5))  # P(title) above 1
    with pytest.raises(StoreError):
        publish_simulation(store, bad)
    assert _counts(store) == (1, 3, 1)  # the new snapshot, its rows and the pointer: none
    with store.connect() as conn:
        current = published_simulation(conn, "matches", "E0")
    assert current is not None and current["as_of"] == AS_OF


def test_records_that_do_not_fit_are_refused_before_the_store(store: Store) -> None:
    with pytest.raises(DataError, match="without teams"):
        publish_simulation(store, replace(_record(), teams=[]))
    short = replace(_record(), teams=[replace(t, positions=[1.0]) for t in _record().teams])
    with pytest.raises(DataError, match="3 finite position probabilities"):
        publish_simulation(store, short)
    with pytest.raises(DataError, match="p_relegation"):
        publish_simulation(store, replace(_record(), relegated=0))
    assert _counts(store) == (0, 0, 0)
