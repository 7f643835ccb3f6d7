"""Commands and the store's whereabouts: read-only commands never create a store; malformed
database URLs are bad input and never show a password."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_commands import run


@pytest.mark.parametrize(
    "command",
    [
        ("db:check",),
        ("model:list",),
        ("model:show", "1"),
        ("predict:match", "1"),
        ("features:export", "--as-of", "2025-01-01", "--out", "x.csv"),
        ("db:cleanup", "--dry-run"),
    ],
)
def test_a_read_only_command_on_a_mistyped_home_creates_nothing(
    command: tuple[str, ...], tmp_path: Path
) -> None:
    home = tmp_path / "mistyped"
    result = run(*command, home=home)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "no store at" in lines[0]
    assert str(home / "formline.db") in lines[0]
    assert not home.exists()


def test_a_file_that_is_not_a_store_is_refused_and_left_alone(tmp_path: Path) -> None:
    (tmp_path / "formline.db").write_bytes(b"")
    result = run("model:list", home=tmp_path)
    assert result.returncode == 2
    assert "not a formline store" in result.stderr
    assert (tmp_path / "formline.db").read_bytes() == b""


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://ann:s3cr@t@127.0.0.1:5432/test", "more than one '@'"),
        ("postgresql://ann:s3cret@127.0.0.1:notaport/test", "malformed"),
    ],
)
def test_a_malformed_database_url_exits_2_without_the_password(
    url: str, message: str, tmp_path: Path
) -> None:
    result = run("db:check", home=tmp_path, env={"DATABASE_URL": url})
    assert result.returncode == 2
    assert message in result.stderr
    assert "s3cr" not in result.stderr + result.stdout
    assert "t@127.0.0.1" not in result.stderr


def test_a_stalled_database_fails_a_command_in_one_line_instead_of_hanging(
    postgres_url: str, tmp_path: Path
) -> None:
    import time

    from stalling_proxy import StallingProxy

    with StallingProxy() as proxy:
        proxy.pause()
        env = {"DATABASE_URL": proxy.url(postgres_url), "DATABASE_CONNECT_TIMEOUT": "2"}
        started = time.monotonic()
        result = run("model:list", home=tmp_path, env=env)
        seconds = time.monotonic() - started
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "timeout" in lines[0], result.stderr
    assert seconds < 20, seconds
