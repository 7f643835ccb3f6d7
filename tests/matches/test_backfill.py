"""The resumable backfill against a real HTTP server on 127.0.0.1, on SQLite and PostgreSQL.

The server serves small football-data-format files made for these tests
(tests/fetch/payloads/E0_*.csv) at the public site's layout (/mmz4281/1819/E0.csv ...).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import CliRunner, Result

from formline.cli import app
from formline.errors import MixedWorldsError
from formline.fetch import HttpSource, ResponseCache, SourcePolicy
from formline.matches.backfill import BackfillResult, backfill_football_data
from formline.matches.sources.football_data_http import check_csv, seasons_between
from formline.matches.sources.text_table import ReadLimits
from formline.store.db import Store, open_store
from http_server import Answer, ScriptedServer, scripted_server


def invoke(home: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    """``formline ARGS...`` in process with ``FORMLINE_HOME=home``, output captured."""
    environment: dict[str, str | None] = {
        "FORMLINE_HOME": str(home),
        "DATABASE_URL": None,
        "REDIS_URL": None,
    }
    environment.update(env or {})
    return CliRunner().invoke(app, list(args), env=environment, catch_exceptions=False)


def error_line(result: Result) -> str:
    """The one line a failed command printed on stderr."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


SEASONS = seasons_between("2018-19", "2022-23")
CODES = ("1819", "1920", "2021", "2122", "2223")


def _file(code: str) -> str:
    return f"/mmz4281/{code}/E0.csv"


@pytest.fixture
def site() -> Iterator[ScriptedServer]:
    with scripted_server() as server:
        for code in CODES:
            server.script(_file(code), Answer.payload(f"E0_{code}.csv", etag=f'"{code}-v1"'))
        yield server


@pytest.fixture
def twin(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> Iterator[Store]:
    """A second migrated store on the same backend as ``store``."""
    stores = request.getfixturevalue("_migrated_stores")
    schema = None
    if database_url.startswith("sqlite"):
        stores.sqlite_copy(tmp_path / "twin.db")
        url = f"sqlite:///{(tmp_path / 'twin.db').as_posix()}"
    else:
        schema = stores.take_schema()
        url = database_url.split("?", 1)[0] + f"?options=-csearch_path%3D{schema}"
    made = open_store(url, migrate=False)
    try:
        yield made
    finally:
        made.dispose()
        if schema is not None:
            stores.give_back(schema)


def _http(site: ScriptedServer, cache: Path, **terms: Any) -> HttpSource:
    policy = SourcePolicy(
        "football-data",
        site.url,
        **{
            "min_interval_seconds": 0.0,
            "read_timeout": 5.0,
            "max_retries": 1,
            "backoff_seconds": 0.01,
            "cache_seconds": 0.0,
        }
        | terms,
    )
    return HttpSource(policy, ResponseCache(cache), check=check_csv)


def _backfill(
    store: Store, site: ScriptedServer, cache: Path, *, resume: bool = False, **limits: Any
) -> BackfillResult:
    with _http(site, cache) as http:
        return backfill_football_data(
            store, http, "E0", SEASONS, resume=resume, limits=ReadLimits(**limits)
        )


_DUMPS = {
    "matches": "SELECT c.code, m.season, h.name, a.name, m.kickoff_at, m.status, m.home_goals, "
    "m.away_goals, m.observed_at, m.source, m.source_file, m.source_line FROM matches m "
    "JOIN competitions c ON c.id = m.competition_id JOIN teams h ON h.id = m.home_team_id "
    "JOIN teams a ON a.id = m.away_team_id",
    "odds": "SELECT m.season, m.source_line, o.bookmaker, o.market, o.selection, o.kind, o.line, "
    "o.price, o.captured_at FROM odds o JOIN matches m ON m.id = o.match_id",
    "rejects": 'SELECT source, source_file, source_line, "column", reason, raw FROM ingest_rejects',
    "watermarks": "SELECT source, competition, period, status, url, rows, rejects, checksum, "
    "error FROM backfill_partitions",
}


def _contents(store: Store, *, times: bool = False) -> dict[str, list[tuple[Any, ...]]]:
    """What the store holds, without ids (and without the watermarks' times unless asked)."""
    dumps = dict(_DUMPS)
    if times:
        dumps["times"] = "SELECT period, fetched_at, updated_at FROM backfill_partitions"
    with store.connect("dumping") as conn:
        return {
            name: sorted(tuple(str(v) for v in row) for row in conn.execute(text(sql)))
            for name, sql in dumps.items()
        }


def test_each_season_is_loaded_with_its_watermark(
    store: Store, site: ScriptedServer, tmp_path: Path
) -> None:
    result = _backfill(store, site, tmp_path / "cache")
    assert [o.status for o in result.outcomes] == ["loaded"] * 5
    assert site.paths() == [_file(code) for code in CODES] and result.requests == 5
    assert [o.rows for o in result.outcomes] == [4, 4, 3, 4, 4]
    url = f"{site.url}/mmz4281/2021/E0.csv"
    assert result.outcomes[2].rejects == [f"{url}:4: FTR: FTR is 'H' but the score is 2-2"]
    contents = _contents(store)
    assert len(contents["matches"]) == 19 and {m[1] for m in contents["matches"]} == set(SEASONS)
    assert {m[10] for m in contents["matches"]} == {
        f"{site.url}/mmz4281/{code}/E0.csv" for code in CODES
    }
    assert len(contents["odds"]) > 19 * 6
    marks = contents["watermarks"]
    assert [(m[2], m[3], m[5], m[6]) for m in marks] == [
        (season, "done", str(rows), str(rejects))
        for season, rows, rejects in zip(SEASONS, [4, 4, 3, 4, 4], [0, 0, 1, 0, 0], strict=True)
    ]
    assert all(len(m[7]) == 64 and m[8] == "None" for m in marks)


def test_rerunning_a_finished_backfill_changes_nothing_unless_the_source_changed(
    store: Store, site: ScriptedServer, tmp_path: Path
) -> None:
    _backfill(store, site, tmp_path / "cache")
    before = _contents(store, times=True)
    again = _backfill(store, site, tmp_path / "cache", resume=True)
    assert [o.status for o in again.outcomes] == ["skipped"] * 5 and again.requests == 0
    assert len(site.paths()) == 5  # no request at all
    assert _contents(store, times=True) == before
    # Without --resume each file is asked for again (conditional GET: 304), none reloaded.
    refetched = _backfill(store, site, tmp_path / "cache")
    assert [(o.status, o.how) for o in refetched.outcomes] == [("unchanged", "not-modified")] * 5
    assert all("If-None-Match" in r.headers for r in site.requests[5:])
    assert _contents(store, times=True) == before
    # The source corrects a row: that season, and only it, is loaded again.
    fixed = (Path(__file__).parents[1] / "fetch" / "payloads" / "E0_2021.csv").read_bytes()
    fixed = fixed.replace(b"Everton,2,2,H", b"Everton,2,2,D")
    site.script(_file("2021"), Answer(body=fixed, etag='"2021-v2"'))
    result = _backfill(store, site, tmp_path / "cache")
    assert [o.status for o in result.outcomes] == ["unchanged"] * 2 + ["loaded"] + ["unchanged"] * 2
    assert result.outcomes[2].rows == 4 and result.outcomes[2].rejects == []
    assert len(_contents(store)["matches"]) == 20


def test_a_failed_partition_leaves_nothing_and_records_its_error_then_resumes(
    store: Store, twin: Store, site: ScriptedServer, tmp_path: Path
) -> None:
    site.script(_file("2021"), Answer.payload("not_csv.html"))
    site.script(_file("2122"), Answer.payload("E0_long_line.csv"))
    site.script(_file("2223"), Answer(503))
    result = _backfill(store, site, tmp_path / "cache", max_line_kb=1)
    assert [o.status for o in result.outcomes] == ["loaded", "loaded", "failed", "failed", "failed"]
    base = f"{site.url}/mmz4281"
    assert result.outcomes[2].error == (
        f"{base}/2021/E0.csv: not a football-data.co.uk CSV (missing columns: Div, Date, "
        "HomeTeam, AwayTeam; the first line is '<!DOCTYPE html>')"
    )
    assert result.outcomes[3].error == (
        f"{base}/2122/E0.csv:2: line longer than 1 KB (INGEST_MAX_LINE_KB); nothing was loaded"
    )
    assert result.outcomes[4].error == (
        f"{base}/2223/E0.csv: HTTP 503 Service Unavailable (after 2 attempts, HTTP_MAX_RETRIES)"
    )
    contents = _contents(store)
    assert {m[1] for m in contents["matches"]} == {"2018-19", "2019-20"}  # nothing half-written
    marks = {m[2]: m for m in contents["watermarks"]}
    assert [marks[s][3] for s in SEASONS] == ["done", "done", "failed", "failed", "failed"]
    assert marks["2021-22"][8] == result.outcomes[3].error
    # The source recovers: --resume fetches only the failed partitions.
    for code in CODES[2:]:
        site.script(_file(code), Answer.payload(f"E0_{code}.csv", etag=f'"{code}-v1"'))
    seen = len(site.paths())
    resumed = _backfill(store, site, tmp_path / "cache", resume=True, max_line_kb=1)
    assert [o.status for o in resumed.outcomes] == ["skipped"] * 2 + ["loaded"] * 3
    assert site.paths()[seen:] == [_file(code) for code in CODES[2:]]
    _backfill(twin, site, tmp_path / "twin-cache", max_line_kb=1)
    assert _contents(store) == _contents(twin)


def test_the_demo_world_store_is_refused_before_any_request(
    store: Store, site: ScriptedServer, tmp_path: Path
) -> None:
    from formline.matches.ingest import ingest_demo

    ingest_demo(store, n_leagues=1, n_teams=4, n_seasons=2)
    with pytest.raises(MixedWorldsError, match="holds the demo world"):
        _backfill(store, site, tmp_path / "cache")
    assert site.paths() == []


def _environment(home: Path, url: str, site: ScriptedServer) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)}
    environment |= {
        "FORMLINE_HOME": str(home),
        "DATABASE_URL": url,
        "FOOTBALL_DATA_BASE_URL": site.url,
        "FOOTBALL_DATA_MIN_INTERVAL_SECONDS": "0",
        "HTTP_BACKOFF_SECONDS": "0.01",
        "HTTP_MAX_RETRIES": "1",
        "COLUMNS": "200",
    }
    return environment


ARGS = ("backfill", "--source", "football-data", "--competition", "E0")
RANGE = ("--from", "2018-19", "--to", "2022-23")


@pytest.mark.slow
def test_killed_midway_then_resumed_ends_as_an_uninterrupted_run(
    store: Store, twin: Store, database_url: str, site: ScriptedServer, tmp_path: Path
) -> None:
    """kill -9 while the third season is being fetched; --resume fetches only what is
    missing and ends in the store an uninterrupted run makes."""
    import threading

    hold = threading.Event()
    site.script(_file("2021"), Answer.payload("E0_2021.csv", etag='"2021-v1"', hold=hold))
    home = tmp_path / "home"
    environment = _environment(home, database_url, site)
    child = subprocess.Popen(
        [sys.executable, "-m", "formline", *ARGS, *RANGE],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert site.wait_for(_file("2021"), timeout=120), child.communicate(timeout=5)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    hold.set()
    assert child.returncode == -signal.SIGKILL
    marks = _contents(store)["watermarks"]
    assert [(m[2], m[3]) for m in marks] == [("2018-19", "done"), ("2019-20", "done")]
    site.script(_file("2021"), Answer.payload("E0_2021.csv", etag='"2021-v1"'))
    seen = len(site.paths())
    env = {k: environment[k] for k in ("FOOTBALL_DATA_BASE_URL", "HTTP_BACKOFF_SECONDS")}
    env |= {"DATABASE_URL": database_url, "FOOTBALL_DATA_MIN_INTERVAL_SECONDS": "0"}
    resumed = invoke(home, *ARGS, *RANGE, "--resume", env=env)
    assert resumed.exit_code == 0, resumed.output
    assert site.paths()[seen:] == [_file(code) for code in CODES[2:]]
    assert "5 partitions: 3 loaded, 2 skipped, 0 unchanged, 0 failed; 3 requests" in resumed.stdout
    assert "E0 2020-21: loaded (fetched): 3 matches, 1 rejects kept" in resumed.stdout
    _backfill(twin, site, tmp_path / "twin-cache")
    assert _contents(store) == _contents(twin)
    again = invoke(home, *ARGS, *RANGE, "--resume", env=env)
    assert "5 partitions: 0 loaded, 5 skipped, 0 unchanged, 0 failed; 0 requests" in again.stdout


def test_the_command_refuses_bad_arguments_and_reports_failures(
    site: ScriptedServer, tmp_path: Path
) -> None:
    env = {"FOOTBALL_DATA_BASE_URL": site.url, "FOOTBALL_DATA_MIN_INTERVAL_SECONDS": "0"}
    unknown = invoke(tmp_path, "backfill", "--source", "espn", "--competition", "E0", *RANGE)
    assert unknown.exit_code == 2
    assert error_line(unknown).endswith("--source: unknown source 'espn'; known: football-data")
    backwards = invoke(tmp_path, *ARGS, "--from", "2022-23", "--to", "2018-19", env=env)
    assert backwards.exit_code == 2 and "--to 2018-19 comes before --from 2022-23" in (
        error_line(backwards)
    )
    site.script(_file("1920"), Answer.payload("not_csv.html"))
    failed = invoke(tmp_path, *ARGS, "--from", "2018-19", "--to", "2019-20", env=env)
    assert failed.exit_code == 2
    assert error_line(failed).endswith(
        "backfill football-data E0: 1 of 2 partitions failed (recorded in backfill_partitions; "
        f"--resume retries them); the first: 2019-20: {site.url}/mmz4281/1920/E0.csv: not a "
        "football-data.co.uk CSV (missing columns: Div, Date, HomeTeam, AwayTeam; the first "
        "line is '<!DOCTYPE html>')"
    )
    assert "E0 2018-19: loaded (fetched): 4 matches" in failed.stdout
    # A malformed row (an unclosed quote: the record runs to the end, too few fields) is a
    # reject named by the file's URL and line; the rest of the file is loaded.
    site.script(_file("1920"), Answer.payload("E0_malformed.csv"))
    malformed = invoke(tmp_path, *ARGS, "--from", "2019-20", "--to", "2019-20", env=env)
    assert malformed.exit_code == 0, malformed.output
    assert "E0 2019-20: loaded (fetched): 1 matches, 1 rejects kept" in malformed.stdout
    assert malformed.stderr.startswith(f"{site.url}/mmz4281/1920/E0.csv:3: row: truncated row")
    site.script(_file("2021"), Answer(503))
    env |= {"HTTP_MAX_RETRIES": "0"}
    unavailable = invoke(tmp_path, *ARGS, "--from", "2020-21", "--to", "2020-21", env=env)
    assert unavailable.exit_code == 1  # the source was unavailable: a runtime failure
    assert "2020-21: loaded" not in unavailable.stdout
    assert error_line(unavailable).endswith(
        f"{site.url}/mmz4281/2021/E0.csv: HTTP 503 Service Unavailable (after 1 attempt, "
        "HTTP_MAX_RETRIES)"
    )
