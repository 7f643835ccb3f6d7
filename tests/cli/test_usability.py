"""The command line in process (typer's CliRunner): exit codes, bad arguments refused before any
work, help derived from the model types, ``--version``, ``--json`` and output that is never cut
when it goes to a pipe."""

from __future__ import annotations

import importlib.metadata
import json
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from in_process import error_line, invoke
from sqlalchemy import select

from formline import __version__
from formline.cli.models import MODEL_LIST_FIELDS, MODEL_SHOW_FIELDS
from formline.matches.models.factory import MODEL_TYPES
from formline.matches.predictions import publish_predictions
from formline.matches.tables import matches
from formline.store import promotions, registry
from formline.store.db import Store, open_store

NOW = "2025-11-06"
BACKTEST = ["model:backtest", "--start", "2024-07-01", "--end", NOW]

#: Bad arguments, and what the one-line error must name. Each must fail before any work: the
#: store is not even created.
BAD_ARGUMENTS = [
    (["predict:run", "--horizon", "0"], "--horizon"),
    (["predict:run", "--horizon", "-3"], "--horizon"),
    (["predict:run", "--horizon", "100000"], "--horizon"),
    (["daily:run", "--horizon", "0"], "--horizon"),
    (["daily:run", "--model-types", "logistic,bogus"], "bogus"),
    (["daily:run", "--model-types", ","], "--model-types"),
    (["daily:run", "--triggered-by", "me"], "--triggered-by"),
    (["model:train", "--model-type", "lightgbm", "--trials", "-1"], "--trials"),
    (["model:train", "--model-type", "elo", "--trials", "3"], "--trials"),
    (["model:train", "--model-type", "bogus"], "bogus"),
    (["model:train", "--model-type", "market", "--no-market"], "--no-market"),
    (["model:train", "--lookback", "0"], "--lookback"),
    (["model:train", "--lookback", "-30"], "--lookback"),
    (["model:train", "--seed", "-1"], "--seed"),
    (["model:train", "--calibration", "platt"], "--calibration"),
    (["model:train", "--as-of", "soon"], "--as-of"),
    ([*BACKTEST, "--out", "bt.csv", "--model-type", "bogus"], "bogus"),
    ([*BACKTEST, "--out", "bt.csv", "--refit", "weekly"], "--refit"),
    ([*BACKTEST, "--out", "bt.csv", "--seed", "-2"], "--seed"),
    ([*BACKTEST, "--out", "bt.json"], ".csv"),
    ([*BACKTEST, "--out", "bt.csv", "--lead-days", "-1"], "--lead-days"),
    ([*BACKTEST, "--out", "bt.csv", "--lead-days", "0,2.5"], "--lead-days"),
    ([*BACKTEST, "--out", "bt.csv", "--jobs", "0"], "--jobs"),
    (["features:export", "--as-of", NOW, "--out", "features.json"], ".parquet or .csv"),
    (["ingest:demo", "--seed", "-1"], "--seed"),
    (["ingest:demo", "--teams", "7"], "--teams"),
    (["db:cleanup", "--days", "0"], "--days"),
    (["serve", "--port", "0"], "--port"),
    (["model:show", "seven"], "model_id"),
    (["features:build", "--as-off", NOW], "--as-off"),
]


@pytest.mark.parametrize(
    ("args", "named"), BAD_ARGUMENTS, ids=[" ".join(args) for args, _ in BAD_ARGUMENTS]
)
def test_bad_arguments_fail_at_once_in_one_line_with_exit_2(
    tmp_path: Path, args: list[str], named: str
) -> None:
    result = invoke(tmp_path, *args)
    assert result.exit_code == 2, result.output
    line = error_line(result)
    assert line.startswith("error: ") and named in line
    assert not (tmp_path / "formline.db").exists()  # refused before the store was opened


@pytest.mark.parametrize(
    "command",
    [
        ["features:export", "--as-of", NOW, "--out"],
        [*BACKTEST, "--out"],
        ["model:report", "1", "--out"],
    ],
    ids=lambda a: a[0],
)
def test_an_unwritable_output_path_is_refused_first_naming_it(
    tmp_path: Path, command: list[str]
) -> None:
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    suffix = ".html" if command[0] == "model:report" else ".csv"
    out = tmp_path / "a-file" / f"result{suffix}"
    result = invoke(tmp_path, *command, str(out))
    assert result.exit_code == 2
    line = error_line(result)
    assert str(out) in line and "is not a folder" in line
    assert "FileExistsError" not in line and "NotADirectoryError" not in line
    assert not (tmp_path / "formline.db").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["model:show", "999"], "model version 999 does not exist"),
        (["model:promote", "999"], "model version 999 does not exist"),
        (["model:report", "999", "--out", "r.html"], "model version 999 does not exist"),
        (["predict:match", "999"], "match 999 does not exist"),
    ],
    ids=["model:show", "model:promote", "model:report", "predict:match"],
)
def test_an_unknown_id_exits_3(tmp_path: Path, args: list[str], message: str) -> None:
    assert invoke(tmp_path, "db:migrate").exit_code == 0
    result = invoke(tmp_path, *args)
    assert result.exit_code == 3
    assert error_line(result) == f"error: {message}"


def test_a_runtime_failure_exits_1(tmp_path: Path) -> None:
    assert invoke(tmp_path, "db:migrate").exit_code == 0
    result = invoke(tmp_path, "predict:run", "--as-of", NOW, "--horizon", "7")
    assert result.exit_code == 1
    assert "no deployed model" in error_line(result)
    nothing = invoke(tmp_path, "model:rollback")
    assert nothing.exit_code == 1 and "nothing to roll back" in error_line(nothing)


def _store(home: Path) -> Store:
    return open_store(f"sqlite:///{(home / 'formline.db').as_posix()}")


def _register(store: Store, name: str, reason: str = "") -> registry.ModelVersion:
    as_of = datetime(2025, 7, 1)
    version = registry.create_model_version(
        store,
        name=name,
        domain="matches",
        model_type="logistic",
        horizon_days=30,
        training_as_of=as_of,
        window_start=as_of - timedelta(days=700),
        window_end=as_of,
        feature_version="clitest",
        feature_names=["home_elo", "away_elo"],
        uses_market=False,
        hyperparameters={"C": 0.0003},
        competition="DEMO1",
    )
    return registry.complete_model_version(
        store,
        version.id,
        n_train=400,
        n_validation=200,
        metrics={"log_loss": 1.01, "rps": 0.21, "brier": 0.6, "accuracy": 0.47, "n": 200},
        market_metrics=None,
        validation=None,
        artifact_path=f"/models/{name}.joblib",
        artifact_sha256="ab" * 32,
        train_seconds=1.5,
        status_reason=reason or None,
    )


def test_predict_match_says_which_match_and_tells_unknown_from_unpredicted(
    tmp_path: Path,
) -> None:
    demo = ("--now", NOW, "--leagues", "1", "--teams", "4", "--seasons", "2")
    assert invoke(tmp_path, "ingest:demo", *demo).exit_code == 0
    store = _store(tmp_path)
    with store.connect() as conn:
        rows = conn.execute(
            select(matches.c.id, matches.c.kickoff_at)
            .where(matches.c.status == "scheduled")
            .order_by(matches.c.kickoff_at)
        ).all()
    (predicted, kickoff), (unpredicted, _) = rows[0], rows[1]
    model = _register(store, "logistic")
    promotions.deploy(store, model.id, reason="test")
    frame = pd.DataFrame(
        {
            "match_id": [predicted],
            "p_home": 0.5,
            "p_draw": 0.3,
            "p_away": 0.2,
            "p_over_2_5": 0.55,
            "fair_home": 2.0,
            "fair_draw": 1 / 0.3,
            "fair_away": 5.0,
            "fair_over_2_5": 1 / 0.55,
            "fair_under_2_5": 1 / 0.45,
            "drivers": [[{"feature": "home_elo", "value": 1510.0, "home": 0.2, "draw": 0.0,
                          "away": -0.2}]],
        }
    )  # fmt: skip
    publish_predictions(
        store,
        model_version_id=model.id,
        as_of=datetime(2025, 11, 6),
        horizon_days=30,
        feature_version="clitest",
        predictions=frame,
    )
    with store.connect() as conn:
        from formline.matches.reads import get_match

        shown, other = get_match(conn, predicted), get_match(conn, unpredicted)
    store.dispose()
    assert shown is not None and other is not None

    result = invoke(tmp_path, "predict:match", str(predicted))
    assert result.exit_code == 0, result.output
    header = result.stdout.splitlines()[0]
    assert header == (
        f"match {predicted}: {shown['home_team']} v {shown['away_team']}, DEMO1 "
        f"{shown['season']}, kickoff {kickoff:%Y-%m-%d %H:%M}Z (scheduled)"
    )
    assert "logistic v1 from the published snapshot" in result.stdout
    assert "fair odds" in result.stdout and "home_elo" in result.stdout

    missing = invoke(tmp_path, "predict:match", str(unpredicted))
    assert missing.exit_code == 3
    line = error_line(missing)
    assert f"{other['home_team']} v {other['away_team']}, DEMO1" in line
    assert "has no prediction" in line and "does not exist" not in line

    unknown = invoke(tmp_path, "predict:match", "987654")
    assert unknown.exit_code == 3
    assert error_line(unknown) == "error: match 987654 does not exist"


@pytest.mark.parametrize("command", ["model:train", "model:backtest", "daily:run"])
def test_help_lists_every_model_type(tmp_path: Path, command: str) -> None:
    result = invoke(tmp_path, command, "--help", env={"COLUMNS": "80"})
    assert result.exit_code == 0
    words = set(result.stdout.replace(",", " ").replace(".", " ").split())
    assert set(MODEL_TYPES) <= words, sorted(set(MODEL_TYPES) - words)


def test_the_cli_lists_match_the_code_they_name() -> None:
    from typing import get_args

    from formline.cli.app import CALIBRATIONS
    from formline.cli.daily import TRIGGERS
    from formline.core.calibration import CalibrationMethod
    from formline.store.tables import JOB_TRIGGERS

    assert get_args(CalibrationMethod) == CALIBRATIONS
    assert TRIGGERS == JOB_TRIGGERS


def test_version(tmp_path: Path) -> None:
    result = invoke(tmp_path, "--version")
    assert result.exit_code == 0
    assert result.stdout == f"formline {__version__}\n"
    assert importlib.metadata.version("formline") == __version__
    assert not (tmp_path / "formline.db").exists()


def test_model_list_and_show_print_json_with_the_documented_fields(tmp_path: Path) -> None:
    assert invoke(tmp_path, "db:migrate").exit_code == 0
    store = _store(tmp_path)
    first = _register(store, "logistic")
    second = _register(store, "goals", reason="does not beat the elo reference")
    store.dispose()

    listed = invoke(tmp_path, "model:list", "--json")
    assert listed.exit_code == 0, listed.output
    body = json.loads(listed.stdout)
    assert body["count"] == 2 and [m["id"] for m in body["data"]] == [second.id, first.id]
    assert all(list(m) == list(MODEL_LIST_FIELDS) for m in body["data"])
    newest = body["data"][0]
    assert newest["status_reason"] == "does not beat the elo reference"
    assert newest["training_as_of"] == "2025-07-01T00:00:00Z"
    assert newest["metrics"]["rps"] == 0.21 and newest["competition"] == "DEMO1"

    shown = invoke(tmp_path, "model:show", str(first.id), "--json")
    assert shown.exit_code == 0
    detail = json.loads(shown.stdout)
    assert list(detail) == list(MODEL_SHOW_FIELDS)
    assert detail["feature_names"] == ["home_elo", "away_elo"]
    assert detail["hyperparameters"] == {"C": 0.0003}
    assert detail["artifact_sha256"] == "ab" * 32


def test_tables_are_not_cut_when_the_output_is_not_a_terminal(tmp_path: Path) -> None:
    assert invoke(tmp_path, "db:migrate").exit_code == 0
    store = _store(tmp_path)
    long_name = "logistic-" + "-".join(f"variant{i}" for i in range(10))  # 99 characters
    reason = "kept: " + " ".join(f"reason{i}" for i in range(40))
    version = _register(store, long_name, reason=reason)
    store.dispose()
    # Even from a narrow terminal, output that goes to a pipe keeps every value whole.
    listed = invoke(tmp_path, "model:list", env={"COLUMNS": "60"})
    assert listed.exit_code == 0
    assert any(long_name in line for line in listed.stdout.splitlines())
    shown = invoke(tmp_path, "model:show", str(version.id), env={"COLUMNS": "60"})
    assert f"reason: {reason}" in shown.stdout.splitlines()
