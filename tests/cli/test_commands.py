"""The command line end to end, as a user runs it: exit codes, one-line errors, outputs.

``run`` starts ``python -m formline`` (a usage error and a bad path per verb, ``db:migrate`` and
the store errors are those processes); the longer flows, and a second usage error or bad path of
a verb, run in process (``in_process.invoke``)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
from in_process import invoke

DEMO_NOW = "2025-11-06"


def run(
    *args: str, home: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "FORMLINE_HOME": str(home), "COLUMNS": "200"}
    environment.pop("DATABASE_URL", None)
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "formline", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=600,
        check=False,
    )


def test_every_command_has_help() -> None:
    from typer.testing import CliRunner

    from formline.cli import app

    names = sorted(c.name or "" for c in app.registered_commands)
    assert {"ingest:demo", "model:train", "predict:run", "daily:run", "serve"} <= set(names)
    runner = CliRunner()
    for name in names:
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert "Usage" in result.output, name


def test_a_bad_as_of_is_a_usage_error_in_one_line(tmp_path: Path) -> None:
    result = run("features:build", "--as-of", "yesterday-ish", home=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "--as-of" in lines[0] and "yesterday-ish" in lines[0]
    assert "Traceback" not in result.stderr


def test_an_unknown_option_is_a_usage_error(tmp_path: Path) -> None:
    # In process: the bad --as-of above is features:build's usage error as a process.
    result = invoke(tmp_path, "features:build", "--as-off", "2024-01-01")
    assert result.exit_code == 2
    assert "--as-off" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_file_that_is_not_football_data_exits_2_naming_it(tmp_path: Path) -> None:
    junk = tmp_path / "notes.csv"
    junk.write_text("name,age\nann,3\n", encoding="utf-8")
    result = run("ingest:football-data", str(junk), home=tmp_path)
    assert result.returncode == 2
    assert str(junk) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_missing_path_exits_2(tmp_path: Path) -> None:
    # In process: the file that is not football-data above is the verb's error as a process.
    result = invoke(tmp_path, "ingest:football-data", str(tmp_path / "nowhere"))
    assert result.exit_code == 2
    assert "nowhere" in result.stderr


def test_an_unsupported_database_url_exits_2(tmp_path: Path) -> None:
    result = run("db:check", home=tmp_path, env={"DATABASE_URL": "mysql://x@localhost/db"})
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr


def test_verbose_shows_the_traceback(tmp_path: Path) -> None:
    result = run("--verbose", "features:build", "--as-of", "nope", home=tmp_path)
    assert result.returncode == 2
    assert "Traceback" in result.stderr or "ConfigError" in result.stderr


#: A small world for the command flows (the default world's size is the demo tests' business):
#: 2 leagues x 8 teams x 3 seasons, a double round robin of 56 matches per league-season.
SMALL = ("--leagues", "2", "--teams", "8", "--seasons", "3")
SMALL_MATCHES = 2 * 56 * 3


def test_demo_ingest_build_and_export(tmp_path: Path) -> None:
    first = invoke(tmp_path, "ingest:demo", "--now", DEMO_NOW, "--seed", "3", *SMALL)
    assert first.exit_code == 0, first.stderr
    assert f"{SMALL_MATCHES}" in first.stdout

    again = invoke(tmp_path, "ingest:demo", "--now", DEMO_NOW, "--seed", "3", *SMALL)
    assert again.exit_code == 0
    assert "already loaded" in again.stdout

    build = invoke(tmp_path, "features:build", "--as-of", DEMO_NOW)
    assert build.exit_code == 0, build.stderr
    assert f"{SMALL_MATCHES} matches" in build.stdout

    for suffix in ("csv", "parquet"):
        out = tmp_path / f"features.{suffix}"
        export = invoke(tmp_path, "features:export", "--as-of", DEMO_NOW, "--out", str(out))
        assert export.exit_code == 0, export.stderr
        frame = pd.read_csv(out) if suffix == "csv" else pd.read_parquet(out)
        assert len(frame) == SMALL_MATCHES
        assert list(frame.columns[:6]) == [
            "match_id",
            "competition",
            "season",
            "kickoff_at",
            "home_team",
            "away_team",
        ]
        assert frame["match_id"].is_unique

    forced = invoke(tmp_path, "ingest:demo", "--now", DEMO_NOW, "--seed", "4", "--force", *SMALL)
    assert forced.exit_code == 0, forced.stderr
    assert f"{SMALL_MATCHES}" in forced.stdout


def test_database_url_switches_to_postgresql(postgres_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": postgres_url}
    unmigrated = invoke(tmp_path, "ingest:demo", "--now", DEMO_NOW, env=env)
    assert unmigrated.exit_code == 1
    assert "db:migrate" in unmigrated.stderr
    assert run("db:migrate", home=tmp_path, env=env).returncode == 0
    check = invoke(tmp_path, "db:check", env=env)
    assert check.exit_code == 0 and "postgresql" in check.stdout
    assert "password" not in check.stdout
    loaded = invoke(tmp_path, "ingest:demo", "--now", DEMO_NOW, *SMALL, env=env)
    assert loaded.exit_code == 0, loaded.stderr
    built = invoke(tmp_path, "features:build", "--as-of", DEMO_NOW, env=env)
    assert built.exit_code == 0, built.stderr
    assert f"{SMALL_MATCHES} matches" in built.stdout
    assert not (tmp_path / "formline.db").exists()


def _counts(stdout: str, table: str) -> list[int]:
    """The numbers of one table's row in an ingest report (inserted, updated, unchanged, ...)."""
    line = next(row for row in stdout.splitlines() if re.match(rf"^\W*{table}\s+\W\s+\d", row))
    return [int(n) for n in re.findall(r"\b\d+\b", line)]


def test_reloads_and_reruns_count_what_changed(tmp_path: Path) -> None:
    small = ("--now", DEMO_NOW, "--leagues", "1", "--teams", "4", "--seasons", "2")
    first = invoke(tmp_path, "ingest:demo", *small)
    assert first.exit_code == 0, first.stderr
    assert _counts(first.stdout, "matches") == [24, 0, 0]
    reloaded = invoke(tmp_path, "ingest:demo", *small, "--force")
    assert reloaded.exit_code == 0, reloaded.stderr
    assert _counts(reloaded.stdout, "matches") == [0, 0, 24]  # identical rows are not new
    assert "nothing changed" in reloaded.stdout

    csv = tmp_path / "E0.csv"
    csv.write_text(
        "Div,Date,Time,HomeTeam,AwayTeam,FTHG,FTAG,FTR,B365H,B365D,B365A\n"
        "E0,10/08/2019,15:00,Burnley,Southampton,3,0,H,2.4,3.3,3.0\n"
        "E0,10/08/2019,17:30,Chelsea,Arsenal,1,2,A,2.1,3.4,3.5\n",
        encoding="utf-8",
    )
    # The demo world and real data never share a store (models would train on both).
    mixed = invoke(tmp_path, "ingest:football-data", str(csv))
    assert mixed.exit_code == 2
    assert "holds the demo world (24 synthetic matches)" in mixed.stderr
    assert "another FORMLINE_HOME or DATABASE_URL" in mixed.stderr

    real = tmp_path / "real"
    loaded = invoke(real, "ingest:football-data", str(csv))
    assert loaded.exit_code == 0, loaded.stderr
    assert _counts(loaded.stdout, "matches") == [2, 0, 0]
    assert _counts(loaded.stdout, "odds") == [6, 0, 0]
    rerun = invoke(real, "ingest:football-data", str(csv))
    assert rerun.exit_code == 0, rerun.stderr
    assert _counts(rerun.stdout, "matches") == [0, 0, 2]
    assert _counts(rerun.stdout, "odds") == [0, 0, 6]
    assert "nothing changed" in rerun.stdout
    demo = invoke(real, "ingest:demo", *small)
    assert demo.exit_code == 2 and "holds 2 matches of real data" in demo.stderr
