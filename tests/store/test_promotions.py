"""Promotion decisions on SQLite and PostgreSQL: deploy, reject, rollback, the ledger."""

from __future__ import annotations

import pytest
from registry_fixtures import create_version, trained_version
from sqlalchemy import delete, update

from formline.errors import DataError, ModelNotFoundError, StoreError
from formline.store.db import Store
from formline.store.promotions import deploy, list_promotions, reject, rollback
from formline.store.registry import (
    deployed_model,
    get_model_version,
    list_model_versions,
)
from formline.store.tables import model_promotions, model_versions


def test_deploy_archives_the_champion_and_writes_the_ledger(store: Store) -> None:
    assert deployed_model(store) is None
    old, new = trained_version(store, 1.0), trained_version(store, 0.9)
    deploy(store, old.id, reason="first model")
    promoted = deploy(store, new.id, reason="better log loss", triggered_by="cron")
    assert promoted.status == "deployed" and promoted.deployed_at is not None
    assert get_model_version(store, old.id).status == "archived"
    assert deployed_model(store) == promoted
    assert len(list_model_versions(store, status="deployed")) == 1
    ledger = list_promotions(store)
    assert [r["action"] for r in ledger] == ["deploy", "archive", "deploy"]
    latest = ledger[0]
    assert latest["model_version_id"] == new.id
    assert latest["previous_model_version_id"] == old.id
    assert latest["metrics"]["log_loss"] == 0.9
    assert latest["previous_metrics"]["log_loss"] == 1.0
    assert (latest["reason"], latest["triggered_by"]) == ("better log loss", "cron")
    assert (latest["name"], latest["version"]) == ("logistic", 2)
    assert latest["at"].tzinfo is not None
    assert ledger[1]["model_version_id"] == old.id


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


def test_the_database_allows_one_deployed_model(store: Store) -> None:
    a, b = trained_version(store, 1.0), trained_version(store, 0.9, name="poisson")
    deploy(store, a.id, reason="ok")
    with pytest.raises(StoreError), store.begin("bypassing the registry") as conn:
        conn.execute(
            update(model_versions).where(model_versions.c.id == b.id).values(status="deployed")
        )


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
    assert deployed_model(store) == get_model_version(store, champion.id)
    with pytest.raises(DataError, match="only completed"):
        reject(store, champion.id, reason="deployed ones cannot be rejected")


def test_rollback_restores_the_previous_champion(store: Store) -> None:
    first, second = trained_version(store, 1.0), trained_version(store, 0.9)
    with pytest.raises(ModelNotFoundError, match="no model is deployed"):
        rollback(store)
    deploy(store, first.id, reason="first")
    with pytest.raises(ModelNotFoundError, match="nothing to roll back to"):
        rollback(store)
    deploy(store, second.id, reason="second")
    restored = rollback(store, reason="bad live calibration")
    assert restored.id == first.id and restored.status == "deployed"
    assert get_model_version(store, second.id).status == "archived"
    ledger = list_promotions(store)
    assert [r["action"] for r in ledger[:2]] == ["rollback", "archive"]
    assert ledger[0]["previous_model_version_id"] == second.id
    assert ledger[0]["reason"] == "bad live calibration"
    # Rolling back again returns to the model rolled back from.
    assert rollback(store).id == second.id


def test_the_ledger_is_append_only(store: Store) -> None:
    deploy(store, trained_version(store, 1.0).id, reason="first")
    with pytest.raises(StoreError, match="append-only"), store.begin("editing the ledger") as conn:
        conn.execute(update(model_promotions).values(reason="rewritten"))
    with pytest.raises(StoreError, match="append-only"), store.begin("editing the ledger") as conn:
        conn.execute(delete(model_promotions))
    assert list_promotions(store)[0]["reason"] == "first"
