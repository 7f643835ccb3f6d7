"""Validation leads are the domain's (``Domain.validation_leads``): football keeps its days
ahead, races are scored at the off and the day before (just after the card is out)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from formline.domain import get_domain
from formline.pipeline.leads import lead_label
from formline.pipeline.train import TrainConfig, TrainingData, train_model
from formline.races.ingest import ingest_race_demo
from formline.store.db import Store, open_store

NOW = datetime(2025, 6, 1)


@pytest.fixture
def sqlite_store(sqlite_url: str) -> Iterator[Store]:
    """One store is enough: what is tested is the pipeline's leads, not the store."""
    opened = open_store(sqlite_url)
    try:
        yield opened
    finally:
        opened.dispose()


def test_each_domain_declares_its_own_leads() -> None:
    football = get_domain("matches").validation_leads
    assert football == (2.0, 5.0, 14.0, 60.0)  # unchanged
    assert [lead_label(d) for d in football] == ["1-3d", "3-7d", "7-30d", "30-90d"]
    assert TrainConfig(domain="matches").leads == football
    races = get_domain("races").validation_leads
    assert races == (23 / 24,) and [lead_label(d) for d in races] == ["23h"]
    assert TrainConfig(domain="races").leads == races
    assert TrainConfig(domain="races", validation_leads=()).leads == ()


def test_races_are_scored_at_the_off_and_at_the_card_lead(
    sqlite_store: Store, tmp_path: Path
) -> None:
    store = sqlite_store
    ingest_race_demo(store, 5, NOW, n_days=120, n_horses=150, n_jockeys=10, n_trainers=8)
    data = TrainingData(store, NOW, domain=get_domain("races"))
    options = {"as_of": NOW, "domain": "races", "n_boot": 200, "n_splits": 3}
    card = train_model(
        store,
        TrainConfig(model_type="conditional-logit", use_market=False, **options),
        tmp_path,
        data,
    )
    by_lead = card.metrics["by_lead"]
    assert list(by_lead) == ["0-1d", "23h"]
    # Every validated race had its card out 23 hours before the off (4 days in the demo).
    assert by_lead["23h"]["share"] == 1.0 and by_lead["23h"]["n"] == by_lead["0-1d"]["n"]
    assert by_lead["23h"]["log_loss"] != by_lead["0-1d"]["log_loss"]
    # The public reads final odds: the day before, no race is priced, so it is scored at the
    # off only.
    public = train_model(store, TrainConfig(model_type="public", **options), tmp_path, data)
    assert list(public.metrics["by_lead"]) == ["0-1d"]
