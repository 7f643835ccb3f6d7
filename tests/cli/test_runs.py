"""Every command's run in job_runs, as a user (or cron) meets it: real processes, real signals.

Ctrl-C exits 130 with a line and an ``aborted`` run; kill -9 leaves a run (and the model
version it trained) that ``jobs:list`` finds dead and fails, and the files it left are removed;
two writers at once: the second waits a bounded time, then refuses naming the first.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from test_commands import DEMO_NOW, run

SMALL_WORLD = ("--now", DEMO_NOW, "--leagues", "2", "--teams", "10", "--seasons", "4")


def _environment(home: Path, **extra: str) -> dict[str, str]:
    environment = {**os.environ, "FORMLINE_HOME": str(home), "COLUMNS": "200"}
    environment.pop("DATABASE_URL", None)
    environment.update(extra)
    return environment


def _start(*args: str, home: Path, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "formline", *args],
        env=_environment(home, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _rows(home: Path, sql: str) -> list[tuple[Any, ...]]:
    db = home / "formline.db"
    if not db.exists():
        return []
    with sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=30) as conn:
        try:
            return list(conn.execute(sql))
        except sqlite3.OperationalError:
            return []  # not migrated yet


def _wait_for(
    home: Path, sql: str, child: subprocess.Popen[str], seconds: float = 120
) -> list[tuple[Any, ...]]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        rows = _rows(home, sql)
        if rows:
            return rows
        if child.poll() is not None:
            raise AssertionError(f"the command ended first: {child.communicate()[1]}")
        time.sleep(0.1)
    raise AssertionError(f"nothing matched {sql} within {seconds} s")


def _jobs(home: Path) -> dict[str, tuple[str, str | None]]:
    return {s: (st, e) for s, st, e in _rows(home, "SELECT step, status, error FROM job_runs")}


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("demo")
    loaded = run("ingest:demo", *SMALL_WORLD, home=home)
    assert loaded.returncode == 0, loaded.stderr
    return home


def _copy(home: Path, tmp_path: Path) -> Path:
    import shutil

    target = tmp_path / "home"
    shutil.copytree(home, target)
    return target


def test_stand_alone_commands_record_their_runs(demo_home: Path, tmp_path: Path) -> None:
    home = _copy(demo_home, tmp_path)
    assert _jobs(home) == {"ingest:demo": ("succeeded", None)}
    bad = run("model:promote", "999", home=home)
    assert bad.returncode != 0
    listed = run("jobs:list", home=home)
    assert listed.returncode == 0, listed.stderr
    assert "ingest:demo" in listed.stdout and "model:promote" in listed.stdout
    status, error = _jobs(home)["model:promote"]
    assert status == "failed" and error and "999" in error


def _signalled(home: Path, command: tuple[str, ...], when: str, signum: int) -> tuple[int, str]:
    """Run ``command``, send it ``signum`` once ``when`` (SQL) finds a row; (exit code, stderr)."""
    child = _start(*command, home=home)
    try:
        _wait_for(home, when, child)
        child.send_signal(signum)
        _, stderr = child.communicate(timeout=60)
    finally:
        child.kill()
    return child.returncode, stderr


def test_ctrl_c_exits_130_and_the_run_is_aborted(demo_home: Path, tmp_path: Path) -> None:
    home = _copy(demo_home, tmp_path)
    code, stderr = _signalled(
        home,
        ("model:train", "--as-of", DEMO_NOW, "--model-type", "lightgbm"),
        "SELECT 1 FROM model_versions WHERE status = 'training'",
        signal.SIGINT,
    )
    assert code == 130, stderr
    assert "interrupted" in stderr.strip().splitlines()[-1]
    status, error = _jobs(home)["model:train"]
    assert status == "aborted" and "SIGINT" in (error or "")
    # The model version it was training is not left "training" either.
    assert _rows(home, "SELECT status FROM model_versions") == [("failed",)]


def test_sigterm_exits_143_and_the_run_is_aborted(demo_home: Path, tmp_path: Path) -> None:
    home = _copy(demo_home, tmp_path)
    code, stderr = _signalled(
        home,
        ("daily:run", "--as-of", DEMO_NOW, "--triggered-by", "cron"),
        "SELECT 1 FROM job_runs WHERE step = 'features'",
        signal.SIGTERM,
    )
    assert code == 143, stderr
    assert "terminated (SIGTERM)" in stderr
    statuses = dict(_rows(home, "SELECT step, status FROM job_runs"))
    assert statuses["daily:run"] == "aborted"
    assert "succeeded" not in {statuses.get("daily:run"), statuses.get("features")}
    assert "running" not in statuses.values()


def test_kill_9_during_training_is_found_dead_and_cleaned(demo_home: Path, tmp_path: Path) -> None:
    home = _copy(demo_home, tmp_path)
    child = _start("model:train", "--as-of", DEMO_NOW, "--model-type", "lightgbm", home=home)
    try:
        _wait_for(home, "SELECT 1 FROM model_versions WHERE status = 'training'", child)
    finally:
        child.kill()  # SIGKILL: nothing of formline runs after this
        child.wait(timeout=60)
    assert _jobs(home)["model:train"][0] == "running"
    assert _rows(home, "SELECT status FROM model_versions") == [("training",)]
    # What a kill in the middle of writing the bundle leaves: a temp file named by the dead
    # writer's pid, and the bundle itself when the kill came after the rename.
    models = home / "models"
    models.mkdir(exist_ok=True)
    temp = models / f".lightgbm-v1.joblib.{child.pid}.x1y2.tmp"
    temp.write_bytes(b"")
    bundle = models / "lightgbm-v1.joblib"
    bundle.write_bytes(b"half")
    keep = models / "logistic-v7.joblib"
    keep.write_bytes(b"another version's bundle")
    listed = run("jobs:list", home=home)
    assert listed.returncode == 0, listed.stderr
    assert f"process {child.pid}" in listed.stdout and "gone" in listed.stdout
    status, error = _jobs(home)["model:train"]
    assert status == "failed" and "dead run" in (error or "")
    [(model_status, model_error)] = _rows(home, "SELECT status, error FROM model_versions")
    assert model_status == "failed" and "died" in model_error
    assert not temp.exists() and not bundle.exists() and keep.exists()


def test_a_second_writer_refuses_with_a_clear_message(demo_home: Path, tmp_path: Path) -> None:
    from formline.store.db import open_store
    from formline.store.run_lock import holder_description, run_lock

    home = _copy(demo_home, tmp_path)
    # The first writer: this process, holding the store's lock as a command does.
    store = open_store(f"sqlite:///{home / 'formline.db'}", migrate=False)
    holder = holder_description("model:train", 41)
    with run_lock(store, "matches", holder=holder):
        started = time.monotonic()
        second = run("ingest:demo", *SMALL_WORLD, home=home, env={"RUN_LOCK_WAIT_SECONDS": "1"})
        waited = time.monotonic() - started
        daily = run("daily:run", "--as-of", DEMO_NOW, home=home, env={"RUN_LOCK_WAIT_SECONDS": "0"})
    store.dispose()
    assert second.returncode == 1
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1 and "another run holds the matches lock" in lines[0]
    assert f"model:train, pid {os.getpid()}" in lines[0] and "job 41" in lines[0]
    assert "database is locked" not in second.stderr
    assert 1 <= waited < 30
    assert daily.returncode == 1 and "another run holds the matches lock" in daily.stderr
    assert not _rows(home, "SELECT 1 FROM job_runs WHERE step = 'daily:run'")
    # Once the lock is free the same command runs.
    again = run("ingest:demo", *SMALL_WORLD, home=home, env={"RUN_LOCK_WAIT_SECONDS": "0"})
    assert again.returncode == 0, again.stderr
