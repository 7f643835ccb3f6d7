"""The daily run's job_runs rows keep what each step did, a skipped step's reason included."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from formline.pipeline.daily import DailyConfig, run_daily
from formline.store.db import Store
from formline.store.jobs import list_job_runs


def test_skipped_steps_keep_their_reason(store: Store, tmp_path: Path) -> None:
    config = DailyConfig(
        as_of=datetime(2025, 11, 6),
        skip_features=True,
        skip_train=True,
        skip_predictions=True,
        retention_days=None,
    )
    result = run_daily(store, config, tmp_path / "models", run_id="a-run-of-mine")
    assert result.run_id == "a-run-of-mine"
    rows = {r["step"]: r for r in list_job_runs(store, run_id="a-run-of-mine")}
    assert {s: r["status"] for s, r in rows.items()} == dict.fromkeys(rows, "skipped")
    assert rows["ingest"]["detail"] == "no FORMLINE_INGEST_PATHS configured"
    assert rows["features"]["detail"] == "skipped by option"
    assert rows["cleanup"]["detail"] == "no retention configured"
