"""``formline worker`` as a user starts it (its own process, prefork pool, a real Redis), and
``daily:run --distributed`` publishing through it; the worker stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from support import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "tests" / "cli"))
from in_process import invoke


@pytest.mark.slow
def test_a_worker_process_serves_a_distributed_daily_run(
    world: Callable[[str], str], redis_broker: str, tmp_path: Path
) -> None:
    home = Path(world("home").removeprefix("sqlite:///")).parent
    env = {
        "FORMLINE_HOME": str(home),
        "CELERY_BROKER_URL": redis_broker,
        "CELERY_TASK_DEFAULT_QUEUE": f"formline-test-{uuid.uuid4().hex[:12]}",
        "CELERY_WAIT_SECONDS": "120",
    }
    process_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "formline",
            "worker",
            "--concurrency",
            "2",
            "--hostname",
            f"test-{uuid.uuid4().hex[:6]}@%h",
        ],
        env={**process_env, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        result = invoke(
            home,
            "daily:run",
            "--distributed",
            "--skip-ingest",
            "--skip-features",
            "--skip-train",
            "--skip-cleanup",
            "--as-of",
            "2025-11-06",
            "--model-types",
            "elo",
            env=env,
        )
        assert result.exit_code == 0, result.output
        assert "✓ predictions: succeeded snapshot 1 (new) from 3 partitions" in result.output
        listed = invoke(home, "jobs:list", "--limit", "20", env=env)
        assert listed.output.count("predict_partition") == 3
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=60)
    assert worker.returncode == 0, output
    assert "ready." in output and "formline.predict_partition" in output
    assert "Warm shutdown" in output
