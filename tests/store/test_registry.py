"""The model registry on SQLite and PostgreSQL: versions, completion, failure."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from registry_fixtures import create_version, trained_version

from formline.errors import DataError, ModelNotFoundError
from formline.store.db import Store
from formline.store.registry import (
    fail_model_version,
    get_model_version,
    list_model_versions,
)


def test_versions_count_per_name(store: Store) -> None:
    first, second = create_version(store), create_version(store)
    other = create_version(store, "poisson")
    assert (first.version, second.version, other.version) == (1, 2, 1)
    assert first.status == "training"
    assert first.training_as_of == datetime(2024, 1, 1, tzinfo=UTC)
    assert first.feature_names == ["elo_diff", "form_home"]
    assert first.hyperparameters == {"C": 1.0}
    assert (first.n_train, first.metrics, first.deployed_at) == (0, {}, None)
    assert [m.id for m in list_model_versions(store, name="logistic")] == [second.id, first.id]
    assert len(list_model_versions(store)) == 3


def test_complete_and_fail(store: Store) -> None:
    done = trained_version(store, 0.95)
    assert done.status == "completed"
    assert done.metrics == {"log_loss": 0.95, "ece": None}  # NumPy made plain, NaN made null
    assert done.validation == {"match_ids": [1, 2], "losses": [0.9, 1.1]}
    assert (done.n_train, done.train_seconds) == (1000, 1.5)
    broken = create_version(store)
    fail_model_version(store, broken.id, "ValueError: singular matrix")
    failed = get_model_version(store, broken.id)
    assert (failed.status, failed.error) == ("failed", "ValueError: singular matrix")
    assert list_model_versions(store, status="failed") == [failed]
    with pytest.raises(DataError, match="not training"):
        fail_model_version(store, done.id, "late")
    with pytest.raises(ModelNotFoundError, match="model version 999 does not exist"):
        get_model_version(store, 999)
