"""Promotion decisions on SQLite and PostgreSQL: champions per slot and as of any instant,
deploy, reject, rollback that walks back, the append-only ledger."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from registry_fixtures import create_version, trained_version
from sqlalchemy import delete, update

from formline.errors import DataError, ModelNotFoundError, StoreError
from formline.store.db import Store
from formline.store.promotions import (
    Slot,
    champion_at,
    champions_at,
    deploy,
    list_promotions,
    reject,
    rollback,
    slot_of,
)
from formline.store.registry import deployed_models, get_model_version
from formline.store.tables import model_promotions, model_versions

SLOT = Slot("matches", "E0", "no_market")


def _champion(store: Store, as_of: datetime | None = None) -> int | None:
    with store.connect() as conn:
        found = champion_at(conn, SLOT, as_of)
    return None if found is None else found.id


def test_deploy_archives_the_champion_and_writes_the_ledger(store: Store) -> None:
    assert deployed_models(store) == []
    old, new = trained_version(store, 1.0), trained_version(store, 0.9)
    deploy(store, old.id, reason="first model")
    promoted = deploy(store, new.id, reason="better log loss", triggered_by="cron")
    assert promoted.status == "deployed" and promoted.deployed_at is not None
    assert get_model_version(store, old.id).status == "archived"
    assert deployed_models(store) == [promoted]
    ledger = list_promotions(store)
    assert [r["action"] for r in ledger] == ["archive", "deploy", "deploy"]
    latest = ledger[1]
    assert latest["model_version_id"] == new.id
    assert latest["previous_model_version_id"] == old.id
    assert latest["metrics"]["log_loss"] == 0.9
    assert latest["previous_metrics"]["log_loss"] == 1.0
    assert (latest["reason"], latest["triggered_by"]) == ("better log loss", "cron")
    assert (latest["name"], latest["version"]) == ("logistic", 2)
    assert (latest["domain"], latest["scope"], latest["information"]) == (
        "matches",
        "E0",
        "no_market",
    )
    assert latest["at"].tzinfo is not None
    assert ledger[0]["model_version_id"] == old.id


def test_each_slot_has_its_own_champion(store: Store) -> None:
    e0 = trained_version(store, 1.0)
    everywhere = trained_version(store, 1.0, name="all", competition=None)
    priced = trained_version(store, 0.9, name="priced", uses_market=True, competition=None)
    for model in (e0, everywhere, priced):
        assert deploy(store, model.id, reason="own slot").status == "deployed"
    assert {m.id for m in deployed_models(store)} == {e0.id, everywhere.id, priced.id}
    assert {str(s) for s in champions_at(store, "matches")} == {
        "matches/E0/no_market",
        "matches/*/no_market",
        "matches/*/market",
    }
    assert slot_of(priced) == Slot("matches", "*", "market")


def test_the_database_allows_one_deployed_model_per_slot(store: Store) -> None:
    a, b = trained_version(store, 1.0), trained_version(store, 0.9, name="poisson")
    deploy(store, a.id, reason="ok")
    with pytest.raises(StoreError), store.begin("bypassing the registry") as conn:
        conn.execute(
            update(model_versions).where(model_versions.c.id == b.id).values(status="deployed")
        )


def test_only_completed_or_archived_models_deploy(store: Store) -> None:
    training = create_version(store)
    with pytest.raises(DataError, match="only completed or archived"):
        deploy(store, training.id, reason="too early")
    done = trained_version(store, 1.0)
    deploy(store, done.id, reason="ok")
    with pytest.raises(DataError, match="is deployed"):
        deploy(store, done.id, reason="again")
    with pytest.raises(ModelNotFoundError):
        deploy(store, 999, reason="missing")


def test_a_model_is_never_champion_before_its_training_data(store: Store) -> None:
    model = trained_version(store, 1.0, trained_as_of=datetime(2024, 1, 1))
    with pytest.raises(DataError, match="cannot be champion as of 2023-06-01"):
        deploy(store, model.id, reason="into the past", effective_at=datetime(2023, 6, 1))
    deploy(store, model.id, reason="ok", effective_at=datetime(2024, 1, 1))
    assert _champion(store, datetime(2023, 12, 31)) is None
    assert _champion(store, datetime(2024, 1, 1)) == model.id
    assert _champion(store) == model.id


def test_the_champion_as_of_an_instant_is_the_one_deployed_then(store: Store) -> None:
    early = trained_version(store, 1.0, trained_as_of=datetime(2023, 1, 1))
    late = trained_version(store, 0.9, trained_as_of=datetime(2024, 1, 1))
    deploy(store, late.id, reason="trained first", effective_at=datetime(2024, 1, 1))
    # A backfill: trained later on the wall clock, as of an earlier instant.
    backfill = deploy(store, early.id, reason="backfill", effective_at=datetime(2023, 1, 1))
    assert backfill.status == "archived"  # it is champion for the past only
    assert get_model_version(store, late.id).status == "deployed"
    assert _champion(store, datetime(2022, 12, 31)) is None
    assert _champion(store, datetime(2023, 6, 1)) == early.id
    assert _champion(store, datetime(2024, 6, 1, tzinfo=UTC)) == late.id
    assert _champion(store) == late.id


def test_rollback_walks_back_the_history(store: Store) -> None:
    first, second, third = (
        trained_version(store, 1.0, trained_as_of=datetime(2024, 1, 1)),
        trained_version(store, 0.9, trained_as_of=datetime(2024, 2, 1)),
        trained_version(store, 0.8, trained_as_of=datetime(2024, 3, 1)),
    )
    with pytest.raises(ModelNotFoundError, match="no model is deployed"):
        rollback(store, SLOT)
    deploy(store, first.id, reason="first", effective_at=datetime(2024, 1, 1))
    with pytest.raises(ModelNotFoundError, match="nothing to roll back to"):
        rollback(store, SLOT)
    deploy(store, second.id, reason="second", effective_at=datetime(2024, 2, 1))
    deploy(store, third.id, reason="third", effective_at=datetime(2024, 3, 1))
    restored = rollback(store, SLOT, reason="bad live calibration")
    assert restored.id == second.id and restored.status == "deployed"
    assert get_model_version(store, third.id).status == "archived"
    ledger = list_promotions(store)
    assert [r["action"] for r in ledger[:2]] == ["archive", "rollback"]
    assert ledger[1]["previous_model_version_id"] == third.id
    assert ledger[1]["reason"] == "bad live calibration"
    assert ledger[1]["revokes_promotion_id"] is not None
    # Again: further back, never toggling to the model rolled back from.
    assert rollback(store, SLOT).id == first.id
    with pytest.raises(ModelNotFoundError, match="nothing to roll back to"):
        rollback(store, SLOT)
    assert _champion(store) == first.id
    # A revoked deploy is gone for replays too, from its own instant on.
    assert _champion(store, datetime(2024, 3, 15)) == first.id
    assert _champion(store, datetime(2024, 1, 15)) == first.id


def test_reject_keeps_the_model_completed(store: Store) -> None:
    champion, challenger = trained_version(store, 0.9), trained_version(store, 1.1)
    deploy(store, champion.id, reason="first")
    reject(store, challenger.id, reason="worse than the champion", triggered_by="cron")
    kept = get_model_version(store, challenger.id)
    assert (kept.status, kept.status_reason) == ("completed", "worse than the champion")
    row = list_promotions(store, limit=1)[0]
    assert row["action"] == "reject"
    assert row["previous_model_version_id"] == champion.id
    assert (row["metrics"]["log_loss"], row["previous_metrics"]["log_loss"]) == (1.1, 0.9)
    assert deployed_models(store) == [get_model_version(store, champion.id)]
    with pytest.raises(DataError, match="only completed"):
        reject(store, champion.id, reason="deployed ones cannot be rejected")


def test_the_ledger_is_append_only(store: Store) -> None:
    deploy(store, trained_version(store, 1.0).id, reason="first")
    with pytest.raises(StoreError, match="append-only"), store.begin("editing the ledger") as conn:
        conn.execute(update(model_promotions).values(reason="rewritten"))
    with pytest.raises(StoreError, match="append-only"), store.begin("editing the ledger") as conn:
        conn.execute(delete(model_promotions))
    assert list_promotions(store)[0]["reason"] == "first"
