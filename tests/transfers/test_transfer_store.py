"""The transfer writer on both stores: one transaction, upserts by natural key (a second load
changes nothing, a corrected row updates in place), rejects kept, clubs linked to teams by
name, and a refused load leaves the store as it was."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select
from transfer_files import EMORDONEZ_HEADER, EWENME_HEADER, emordonez_row, ewenme_row, write

from formline.errors import StoreError
from formline.store.db import Store
from formline.store.tables import ingest_rejects
from formline.transfers.identity import resolve
from formline.transfers.ingest import ingest_transfers, read_transfer_files
from formline.transfers.store import write_transfers
from formline.transfers.tables import TRANSFER_TABLES, clubs, players, transfers

T0 = datetime(2020, 1, 1, tzinfo=UTC)


def _files(tmp_path: Path, fee: str = "1400000.0") -> list[Path]:
    return [
        write(
            tmp_path / "e" / "premier-league.csv",
            EWENME_HEADER,
            [
                ewenme_row("Chelsea FC", "Ann Bee", "24", "Man City", "in"),
                ewenme_row("Manchester City", "Ann Bee", "24", "Chelsea", "out"),
                ewenme_row("Chelsea FC", "Cy Dee", "31", "Retired", "out", fee="-", cleaned="NA"),
                ewenme_row("Inter", "Ed Eff", "22", "Chelsea", "in", league="Serie A"),
                ewenme_row("Manchester United", "Gil Ho", "23", "Barcelona SC", "in"),
                ewenme_row(
                    "FC Barcelona", "Han Io", "23", "Leeds", "in", league="Primera Division"
                ),
                ewenme_row("Chelsea FC", "Bad Row", "22", "Reading", "in", window="Spring"),
            ],
        ),
        write(
            tmp_path / "m.csv",
            EMORDONEZ_HEADER,
            [emordonez_row("Chelsea FC", "Ann Bee", "24.0", "Man City", "in", fee=fee)],
        ),
    ]


def _count(store: Store, table: object) -> int:
    with store.connect("counting") as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_a_second_load_changes_nothing_and_a_correction_updates_in_place(
    store: Store, tmp_path: Path
) -> None:
    first = ingest_transfers(store, _files(tmp_path))
    assert first.report.tables["transfers"].inserted == 5
    assert first.report.tables["players"].inserted == 5
    assert first.rejects == [
        f"{tmp_path / 'e' / 'premier-league.csv'}:8: transfer_period: "
        "'Spring' is not one of summer, winter"
    ]
    assert _count(store, ingest_rejects) == 1
    again = ingest_transfers(store, _files(tmp_path))
    assert not again.report.changed
    assert {name: c.unchanged for name, c in again.report.tables.items()} == {
        name: c.inserted for name, c in first.report.tables.items()
    }
    corrected = ingest_transfers(store, _files(tmp_path, fee="1600000.0"))
    assert corrected.report.tables["transfers"].updated == 1
    assert corrected.report.tables["transfers"].inserted == 0
    with store.connect("reading") as conn:
        fee = conn.execute(
            select(transfers.c.fee_eur).where(transfers.c.sightings == 3)
        ).scalar_one()
    assert fee == 1.6e6


def test_clubs_link_to_the_one_team_of_their_name(store: Store, tmp_path: Path) -> None:
    from formline.store.tables import metadata

    teams, team_aliases = metadata.tables["teams"], metadata.tables["team_aliases"]
    with store.begin("teams") as conn:
        ids = {}
        for sport, name in [
            ("a", "Chelsea"),
            ("a", "Manchester City"),
            ("a", "Inter"),
            ("b", "Inter"),
            ("a", "Man United"),
            ("a", "Barcelona"),
        ]:
            ids[(sport, name)] = conn.execute(
                insert(teams).values(sport=sport, name=name, created_at=T0)
            ).inserted_primary_key[0]
        conn.execute(
            insert(team_aliases).values(
                sport="a",
                alias="Man City",
                team_id=ids[("a", "Manchester City")],
                source="t",
                created_at=T0,
            )
        )
    loaded = ingest_transfers(store, _files(tmp_path))
    with store.connect("reading") as conn:
        linked = dict(conn.execute(select(clubs.c.key, clubs.c.team_id)).all())
    assert linked["chelsea fc"] == ids[("a", "Chelsea")]  # "FC" is a club-form word
    assert linked["manchester city"] == ids[("a", "Manchester City")]
    assert linked["inter"] is None  # two teams of that name: no link
    assert linked["manchester united"] == ids[("a", "Man United")]  # abbreviated
    # Both Barcelonas are "barcelona" without "FC"/"SC": the covered club takes the team.
    assert linked["fc barcelona"] == ids[("a", "Barcelona")]
    assert linked["barcelona sc"] is None
    assert loaded.report.linked_teams == 4
    assert ingest_transfers(store, _files(tmp_path)).report.linked_teams == 0


def test_a_refused_load_leaves_the_store_as_it_was(store: Store, tmp_path: Path) -> None:
    batch = resolve(read_transfer_files(_files(tmp_path)).sightings).batch
    batch.transfers.loc[0, "fee_eur"] = -1.0  # the fee check refuses it
    with pytest.raises(StoreError):
        write_transfers(store, batch)
    assert all(_count(store, t) == 0 for t in TRANSFER_TABLES)
    assert _count(store, players) == 0
