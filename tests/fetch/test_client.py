"""The HTTP source layer against a real server on 127.0.0.1 (tests/http_server.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from itertools import pairwise
from pathlib import Path

import pytest

from formline.errors import EXIT_FAILURE, SourceError, SourceUnavailableError
from formline.fetch import (
    HttpSource,
    MinimumInterval,
    ResponseCache,
    SourcePolicy,
    parse_retry_after,
    redact,
)
from http_server import Answer, ScriptedServer, scripted_server

CSV = b"Div,Date,HomeTeam,AwayTeam\nE0,10/08/2019,Arsenal,Chelsea\n"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with scripted_server() as running:
        yield running


def _policy(server: ScriptedServer, **terms: object) -> SourcePolicy:
    defaults: dict[str, object] = {
        "min_interval_seconds": 0.0,
        "connect_timeout": 2.0,
        "read_timeout": 2.0,
        "max_retries": 2,
        "backoff_seconds": 0.01,
        "backoff_max_seconds": 0.05,
        "cache_seconds": 0.0,
    }
    return SourcePolicy("test", server.url, **(defaults | terms))  # type: ignore[arg-type]


class Sleeps:
    """Records the pauses asked for (and takes none)."""

    def __init__(self) -> None:
        self.pauses: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.pauses.append(seconds)


def test_a_body_is_cached_and_a_young_entry_needs_no_request(
    server: ScriptedServer, tmp_path: Path
) -> None:
    server.script("/a.csv", Answer(body=CSV))
    cache = ResponseCache(tmp_path)
    with HttpSource(_policy(server, cache_seconds=3600), cache) as source:
        first, second = source.fetch("a.csv"), source.fetch("/a.csv")
    assert (first.how, second.how) == ("fetched", "cache")
    assert first.body == second.body == CSV and first.sha256 == second.sha256
    assert first.path is not None and first.path.read_bytes() == CSV
    assert server.paths() == ["/a.csv"]


def test_a_304_on_the_conditional_get_reuses_the_cached_body(
    server: ScriptedServer, tmp_path: Path
) -> None:
    modified = "Wed, 21 Oct 2026 07:28:00 GMT"
    server.script("/a.csv", Answer(body=CSV, etag='"v1"', headers={"Last-Modified": modified}))
    with HttpSource(_policy(server), ResponseCache(tmp_path)) as source:
        first = source.fetch("a.csv")
        second = source.fetch("a.csv")
    assert (first.how, second.how) == ("fetched", "not-modified")
    assert second.body == CSV and second.sha256 == first.sha256
    sent = server.requests[1].headers
    assert sent["If-None-Match"] == '"v1"' and sent["If-Modified-Since"] == modified
    assert "If-None-Match" not in server.requests[0].headers


def test_a_changed_body_replaces_the_cached_one(server: ScriptedServer, tmp_path: Path) -> None:
    server.script("/a.csv", Answer(body=CSV, etag='"v1"'), Answer(body=CSV + b"E0,x\n", etag='"2"'))
    with HttpSource(_policy(server), ResponseCache(tmp_path)) as source:
        first, second = source.fetch("a.csv"), source.fetch("a.csv")
    assert second.how == "fetched" and second.body.endswith(b"E0,x\n")
    assert second.sha256 != first.sha256


def test_429_waits_as_long_as_retry_after_says_in_seconds(server: ScriptedServer) -> None:
    server.script("/a.csv", Answer(429, headers={"Retry-After": "3"}), Answer(body=CSV))
    sleeps = Sleeps()
    with HttpSource(_policy(server), check=None, sleep=sleeps) as source:
        fetched = source.fetch("a.csv")
    assert fetched.body == CSV and fetched.attempts == 2
    assert sleeps.pauses == [3.0]  # the server's 3 s, not the 0.01 s backoff


def test_429_with_an_http_date_waits_until_that_date(server: ScriptedServer) -> None:
    later = format_datetime(NOW + timedelta(seconds=7), usegmt=True)
    server.script("/a.csv", Answer(429, headers={"Retry-After": later}), Answer(body=CSV))
    sleeps = Sleeps()
    with HttpSource(_policy(server), sleep=sleeps, now=lambda: NOW) as source:
        assert source.fetch("a.csv").attempts == 2
    assert sleeps.pauses == [7.0]


def test_a_retry_after_past_the_bound_fails_at_once(server: ScriptedServer) -> None:
    server.script("/a.csv", Answer(503, headers={"Retry-After": "7200"}))
    policy = _policy(server, max_retry_after_seconds=60.0)
    with HttpSource(policy, sleep=Sleeps()) as source, pytest.raises(SourceUnavailableError) as err:
        source.fetch("a.csv")
    assert "asks to wait 7200 s" in str(err.value) and server.paths() == ["/a.csv"]


def test_500_then_success_backs_off_exponentially(server: ScriptedServer) -> None:
    server.script("/a.csv", Answer(500), Answer(502), Answer(body=CSV))
    sleeps = Sleeps()
    policy = _policy(server, backoff_seconds=0.5, backoff_max_seconds=10)
    with HttpSource(policy, sleep=sleeps) as source:
        fetched = source.fetch("a.csv")
    assert fetched.body == CSV and fetched.attempts == 3
    assert sleeps.pauses == [0.5, 1.0]


def test_a_source_that_keeps_failing_is_unavailable_naming_the_url(server: ScriptedServer) -> None:
    server.script("/a.csv", Answer(503))
    with (
        HttpSource(_policy(server, max_retries=2)) as source,
        pytest.raises(SourceUnavailableError) as err,
    ):
        source.fetch("a.csv")
    assert str(err.value) == (
        f"{server.url}/a.csv: HTTP 503 Service Unavailable (after 3 attempts, HTTP_MAX_RETRIES)"
    )
    assert err.value.exit_code == EXIT_FAILURE and len(server.paths()) == 3


def test_another_4xx_fails_at_once(server: ScriptedServer) -> None:
    with HttpSource(_policy(server)) as source, pytest.raises(SourceError) as err:
        source.fetch("missing.csv")
    assert not isinstance(err.value, SourceUnavailableError)
    assert str(err.value) == f"{server.url}/missing.csv: HTTP 404 Not Found"
    assert server.paths() == ["/missing.csv"]


def test_a_slow_response_times_out_and_is_retried(server: ScriptedServer) -> None:
    server.script("/slow.csv", Answer(body=CSV, delay=1.0), Answer(body=CSV))
    with HttpSource(_policy(server, read_timeout=0.2)) as source:
        fetched = source.fetch("slow.csv")
    assert fetched.body == CSV and fetched.attempts == 2
    server.script("/slower.csv", Answer(body=CSV, delay=1.0))
    with (
        HttpSource(_policy(server, read_timeout=0.2, max_retries=1)) as source,
        pytest.raises(
            SourceUnavailableError,
            match=r"slower\.csv: timed out \(ReadTimeout\) \(after 2 attempts",
        ),
    ):
        source.fetch("slower.csv")


def test_a_truncated_body_is_retried_and_never_cached(
    server: ScriptedServer, tmp_path: Path
) -> None:
    cache = ResponseCache(tmp_path)
    server.script("/cut.csv", Answer(body=CSV, cut_after=20), Answer(body=CSV))
    with HttpSource(_policy(server), cache) as source:
        fetched = source.fetch("cut.csv")
    assert fetched.body == CSV and fetched.attempts == 2
    server.script("/always.csv", Answer(body=CSV, cut_after=20))
    with (
        HttpSource(_policy(server, max_retries=1), cache) as source,
        pytest.raises(SourceUnavailableError, match="RemoteProtocolError"),
    ):
        source.fetch("always.csv")
    assert cache.get(f"{server.url}/always.csv") is None


def test_the_payload_check_refuses_a_body_which_is_then_not_cached(
    server: ScriptedServer, tmp_path: Path
) -> None:
    def check(body: bytes, url: str) -> None:
        if not body.startswith(b"Div,"):
            raise SourceError(f"{url}: not the expected CSV")

    cache = ResponseCache(tmp_path)
    server.script("/page.csv", Answer(body=b"<html>maintenance</html>"))
    with (
        HttpSource(_policy(server), cache, check=check) as source,
        pytest.raises(SourceError, match=rf"^{server.url}/page\.csv: not the expected CSV$"),
    ):
        source.fetch("page.csv")
    assert cache.get(f"{server.url}/page.csv") is None
    assert list(tmp_path.iterdir()) == []


def test_a_body_past_the_size_bound_is_refused(server: ScriptedServer) -> None:
    server.script("/big.csv", Answer(body=b"x" * 5000))
    with (
        HttpSource(_policy(server, max_bytes=1000)) as source,
        pytest.raises(SourceError, match=r"big\.csv: more than"),
    ):
        source.fetch("big.csv")


def test_an_api_key_is_sent_but_never_logged_nor_in_errors(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "k3y-0f-th3-s0urc3"
    server.script("/odds", Answer(500))
    policy = _policy(server, params={"apiKey": secret}, headers={"X-Token": secret + "h"})
    caplog.set_level(logging.DEBUG)
    with HttpSource(policy) as source, pytest.raises(SourceUnavailableError) as err:
        source.fetch("odds")
    assert server.requests[0].query == f"apiKey={secret}"
    assert server.requests[0].headers["X-Token"] == secret + "h"
    assert "httpx" in {r.name for r in caplog.records}  # the library's request log was seen...
    assert secret not in caplog.text and secret not in str(err.value)  # ...and redacted
    assert "apiKey=***" in caplog.text


def test_the_rate_limit_spaces_requests(server: ScriptedServer) -> None:
    for name in ("/1", "/2", "/3"):
        server.script(name, Answer(body=CSV))
    with HttpSource(_policy(server, min_interval_seconds=0.15)) as source:
        for name in ("1", "2", "3"):
            source.fetch(name)
    starts = [r.at for r in server.requests]
    gaps = [b - a for a, b in pairwise(starts)]
    # Measured at the server, a few milliseconds off the client's spacing either way.
    assert all(gap >= 0.12 for gap in gaps) and starts[-1] - starts[0] >= 0.27, gaps


def test_the_minimum_interval_waits_out_the_rest_of_the_interval() -> None:
    clock = [100.0]
    sleeps = Sleeps()

    def sleep(seconds: float) -> None:
        sleeps(seconds)
        clock[0] += seconds

    limit = MinimumInterval(2.0, clock=lambda: clock[0], sleep=sleep)
    limit.wait()
    clock[0] += 0.5
    limit.wait()
    clock[0] += 3.0
    limit.wait()
    assert sleeps.pauses == [1.5]


def test_a_refused_connection_is_unavailable() -> None:
    policy = SourcePolicy(
        "test", "http://127.0.0.1:9", min_interval_seconds=0.0, max_retries=1, backoff_seconds=0.0
    )
    with HttpSource(policy) as source, pytest.raises(SourceUnavailableError, match="ConnectError"):
        source.fetch("a.csv")


def test_retry_after_forms() -> None:
    assert parse_retry_after("120", NOW) == 120.0
    assert parse_retry_after(format_datetime(NOW + timedelta(minutes=2), usegmt=True), NOW) == 120
    assert parse_retry_after(format_datetime(NOW - timedelta(minutes=2), usegmt=True), NOW) == 0
    assert parse_retry_after("soon", NOW) is None and parse_retry_after(None, NOW) is None


def test_redact_hides_secrets_and_url_passwords() -> None:
    assert redact("https://u:pw@host/x?key=abc", ("abc",)) == "https://u:***@host/x?key=***"
