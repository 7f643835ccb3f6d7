"""``formline worker`` and ``daily:run --distributed`` refuse, in one line, to start without
a broker (running them against a real broker: tests/jobs/test_worker_cli.py)."""

from __future__ import annotations

from pathlib import Path

from in_process import error_line, invoke


def test_the_worker_needs_a_broker(tmp_path: Path) -> None:
    result = invoke(tmp_path, "worker", env={"CELERY_BROKER_URL": None})
    assert result.exit_code == 2
    assert error_line(result) == (
        "error: CELERY_BROKER_URL is not set: name a redis:// or amqp:// broker"
    )


def test_a_broker_url_of_another_scheme_is_refused(tmp_path: Path) -> None:
    result = invoke(tmp_path, "worker", env={"CELERY_BROKER_URL": "http://127.0.0.1:6379"})
    assert result.exit_code == 2
    assert "CELERY_BROKER_URL must start with redis://" in error_line(result)


def test_a_distributed_run_needs_a_broker(tmp_path: Path) -> None:
    invoke(
        tmp_path,
        "ingest:demo",
        "--world",
        "n_leagues=1",
        "--world",
        "n_teams=4",
        "--world",
        "n_seasons=2",
    )
    result = invoke(
        tmp_path,
        "daily:run",
        "--distributed",
        "--skip-ingest",
        "--skip-features",
        "--skip-train",
        env={"CELERY_BROKER_URL": None},
    )
    assert result.exit_code == 2
    assert error_line(result) == (
        "error: CELERY_BROKER_URL is not set: name a redis:// or amqp:// broker"
    )
