"""The model, prediction and daily commands end to end, as a user runs them: in process, with
``model:report`` and ``model:rollback`` (whose only end-to-end runs these are) as processes."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from in_process import invoke
from test_commands import run

NOW = "2025-11-06"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("home")
    args = ("--now", NOW, "--leagues", "2", "--teams", "10", "--seasons", "4", "--seed", "8")
    loaded = invoke(home, "ingest:demo", *args)
    assert loaded.exit_code == 0, loaded.output
    return home


def test_the_model_lifecycle_from_the_command_line(home: Path) -> None:
    none = invoke(home, "predict:run", "--as-of", NOW)
    assert none.exit_code == 1
    assert "no deployed model" in none.stderr

    trained = invoke(home, "model:train", "--as-of", NOW, "--model-type", "logistic")
    assert trained.exit_code == 0, trained.stderr
    assert "walk-forward validation" in trained.stdout
    assert "closing line" in trained.stdout
    model_id = re.search(r"model (\d+):", trained.stdout)
    assert model_id is not None
    listed = invoke(home, "model:list")
    assert "logistic" in listed.stdout

    if "(deployed)" not in trained.stdout:
        promoted = invoke(home, "model:promote", model_id.group(1), "--reason", "cli test")
        assert promoted.exit_code == 0, promoted.stderr
    shown = invoke(home, "model:show", model_id.group(1))
    assert shown.exit_code == 0 and "deployed" in shown.stdout

    predicted = invoke(home, "predict:run", "--as-of", NOW, "--horizon", "30")
    assert predicted.exit_code == 0, predicted.stderr
    snapshot = re.search(r"snapshot (\d+) published: (\d+) matches", predicted.stdout)
    assert snapshot is not None
    again = invoke(home, "predict:run", "--as-of", NOW, "--horizon", "30")
    assert "already published" in again.stdout

    import sqlite3

    with sqlite3.connect(home / "formline.db") as conn:
        (match_id,) = conn.execute("SELECT event_id FROM predicted_events LIMIT 1").fetchone()
    shown = invoke(home, "predict:match", str(match_id))
    assert shown.exit_code == 0, shown.stderr
    assert "fair odds" in shown.stdout and "drivers" in shown.stdout
    unknown = invoke(home, "predict:match", "99999999")
    assert unknown.exit_code == 3 and "match 99999999 does not exist" in unknown.stderr

    report = home / "report.html"
    reported = run("model:report", model_id.group(1), "--out", str(report), home=home)
    assert reported.returncode == 0, reported.stderr
    assert report.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")

    nothing = run("model:rollback", home=home)
    assert nothing.returncode == 1
    missing = invoke(home, "model:show", "999")
    assert missing.exit_code == 3 and "999" in missing.stderr


def test_backtest_writes_one_row_per_match(home: Path) -> None:
    out = home / "bt.csv"
    result = invoke(
        home,
        "model:backtest",
        "--start",
        "2024-07-01",
        "--end",
        NOW,
        "--model-type",
        "elo",
        "--lead-days",
        "3,0",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.stderr
    frame = pd.read_csv(out)
    assert set(frame["lead_days"]) == {0, 3}
    assert not frame.duplicated(["match_id", "lead_days"]).any()
    assert frame.groupby("lead_days")["match_id"].nunique().nunique() == 1  # elo needs no prices
    assert {"p_home", "p_draw", "p_away", "p_over_2_5", "model"} <= set(frame.columns)
    assert "by lead and season" in result.stdout
    bad = invoke(home, "model:backtest", "--start", NOW, "--end", "2024-07-01", "--out", str(out))
    assert bad.exit_code == 2


def test_daily_run_without_a_model_fails_cleanly(tmp_path: Path) -> None:
    args = ("--now", NOW, "--leagues", "1", "--teams", "6", "--seasons", "2")
    assert invoke(tmp_path, "ingest:demo", *args).exit_code == 0
    result = invoke(tmp_path, "daily:run", "--as-of", NOW, "--skip-train")
    assert result.exit_code == 1
    assert "predictions: failed" in result.stdout
    assert "no deployed model" in result.stderr
