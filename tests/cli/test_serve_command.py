"""`formline serve` and `formline db:cleanup` as a user runs them."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from formline.store.db import open_store
from formline.store.tables import prediction_snapshots
from support import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "tests" / "api"))
from api_world import build_world
from in_process import invoke


@pytest.fixture(scope="module")
def world_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli-api") / "formline.db"
    store = open_store(f"sqlite:///{path}")
    build_world(store)
    store.dispose()
    return path


def _env(database: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    return {**env, "DATABASE_URL": f"sqlite:///{database}", "COLUMNS": "200", **extra}


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "formline", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_serve_runs_the_api_with_two_workers(world_file: Path) -> None:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "formline", "serve", "--port", str(port), "--workers", "2"],
        env=_env(world_file),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = _get(f"{base}/health")
                break
            except OSError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        assert status == 200 and json.loads(body)["ready"] is True
        for _ in range(20):  # spread over both workers
            status, body = _get(f"{base}/predictions")
            assert status == 200 and json.loads(body)["count"] > 0
        # Summed over the workers; a worker adds the reads its hot path answered within 1 s.
        deadline = time.monotonic() + 5
        while True:
            status, metrics = _get(f"{base}/metrics")
            assert status == 200
            line = next(
                line
                for line in metrics.decode().splitlines()
                if line.startswith('formline_api_requests_total{method="GET",route="/predictions"')
            )
            if float(line.rsplit(" ", 1)[1]) == 20 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert float(line.rsplit(" ", 1)[1]) == 20
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_serve_refuses_bad_options_and_settings(world_file: Path) -> None:
    assert _run("serve", "--port", "0", env=_env(world_file)).returncode == 2
    bad_redis = _run("serve", env=_env(world_file, REDIS_URL="http://user:pw@cache:6379"))
    assert bad_redis.returncode == 2
    assert "REDIS_URL" in bad_redis.stderr and "pw@" not in bad_redis.stderr


def test_db_cleanup_keeps_what_is_needed(world_file: Path, tmp_path: Path) -> None:
    database = tmp_path / "formline.db"
    shutil.copy(world_file, database)
    store = open_store(f"sqlite:///{database}")
    with store.begin() as conn:  # make every snapshot a year old
        conn.execute(
            update(prediction_snapshots).values(created_at=datetime.now(UTC) - timedelta(days=365))
        )
    store.dispose()
    dry = _run("db:cleanup", "--dry-run", env=_env(database))
    assert dry.returncode == 0, dry.stderr
    assert "would delete 0 snapshots" in dry.stdout
    assert "kept 1 current and 2 needed to evaluate the deployed model" in dry.stdout
    done = _run("db:cleanup", "--days", "30", env=_env(database))
    assert done.returncode == 0 and "deleted 0 snapshots" in done.stdout
    assert _run("db:cleanup", "--days", "0", env=_env(database)).returncode == 2


@pytest.mark.slow
def test_the_worker_and_the_api_as_separate_processes(tmp_path: Path) -> None:
    """The deployment story end to end: the worker publishes and warms Redis, a separately
    started API answers the new snapshot's reads from Redis without computing them."""
    import uuid

    import redis

    from support import require_redis

    redis_url = require_redis()
    prefix = f"formline-test-{uuid.uuid4().hex[:12]}"
    env = _env(
        tmp_path / "formline.db",
        REDIS_URL=redis_url,
        API_CACHE_KEY_PREFIX=prefix,
        FORMLINE_HOME=str(tmp_path / "home"),
    )
    try:
        # The data and the champion in process (each verb has its own process run elsewhere in
        # tests/cli); the worker that publishes and warms Redis, and the API, as processes.
        database = {"DATABASE_URL": env["DATABASE_URL"]}
        steps = [
            ("ingest:demo", "--now", "2025-11-06", "--leagues", "2", "--teams", "8",
             "--seasons", "3"),
            ("model:train", "--as-of", "2025-11-06", "--model-type", "elo"),
        ]  # fmt: skip
        for step in steps:
            done = invoke(tmp_path / "home", *step, env=database)
            assert done.exit_code == 0, done.stderr
        if "(deployed)" not in done.stdout:  # the Elo model may tie its own reference
            model_id = done.stdout.split("model ", 1)[1].split(":", 1)[0]
            assert invoke(tmp_path / "home", "model:promote", model_id, env=database).exit_code == 0
        published = _run("predict:run", "--as-of", "2025-11-06", "--horizon", "30", env=env)
        assert published.returncode == 0, published.stderr
        assert "API cache warmed:" in published.stdout
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "formline", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    _get(f"{base}/health")
                    break
                except OSError:
                    assert time.monotonic() < deadline and server.poll() is None
                    time.sleep(0.2)
            status, body = _get(f"{base}/predictions")
            listed = json.loads(body)
            assert status == 200 and listed["count"] > 0
            for prediction in listed["data"]:
                assert _get(f"{base}/predictions/matches/{prediction['match_id']}")[0] == 200
            metrics = _get(f"{base}/metrics")[1].decode()
            assert 'formline_api_cache_hits_total{kind="prediction"}' in metrics
            assert 'formline_api_cache_misses_total{kind="prediction"}' not in metrics
            assert 'formline_api_cache_misses_total{kind="predictions"}' not in metrics
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)
    finally:
        client = redis.Redis.from_url(redis_url)
        keys = list(client.scan_iter(f"{prefix}:*"))
        if keys:
            client.delete(*keys)
