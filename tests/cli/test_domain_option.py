"""``--domain`` and the domain-aware verbs, in process."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from in_process import error_line, invoke

from formline.cli.app import mount_domain_commands
from formline.domain import get_domain
from formline.errors import ConfigError


def test_features_list_shows_every_feature_with_its_description(tmp_path: Path) -> None:
    result = invoke(tmp_path, "features:list")
    assert result.exit_code == 0, result.stderr
    specs = list(get_domain("matches").feature_set())
    for spec in (specs[0], specs[-1]):
        assert spec.name in result.stdout and spec.description in result.stdout
    # The setting picks the domain when --domain is not given.
    same = invoke(tmp_path, "features:list", env={"FORMLINE_DOMAIN": "matches"})
    assert same.stdout == result.stdout


def test_an_unknown_domain_exits_2_naming_the_registered_ones(tmp_path: Path) -> None:
    for argv in (
        ["features:list", "--domain", "horses"],
        ["model:train", "--domain", "horses"],
        ["predict:run", "--domain", "horses"],
        ["ingest:demo", "--domain", "horses"],
        ["features:build", "--domain", "horses"],
        ["features:export", "--as-of", "2025-01-01", "--out", "x.csv", "--domain", "horses"],
    ):
        result = invoke(tmp_path, *argv)
        assert result.exit_code == 2, argv
        assert error_line(result) == "error: --domain: unknown 'horses'; choose from matches, races"
    assert not (tmp_path / "formline.db").exists()  # refused before a store was created


def test_a_domains_own_commands_join_their_groups() -> None:
    fresh = typer.Typer()
    for name in ("ingest:demo", "features:build", "predict:run", "serve"):
        fresh.command(name)(lambda: None)
    mount_domain_commands(fresh)
    names = [c.name for c in fresh.registered_commands]
    assert names == [
        "ingest:demo",
        "ingest:football-data",
        "ingest:us-sports",
        "ingest:hkjc",
        "features:build",
        "predict:run",
        "predict:match",
        "predict:race",
        "serve",
        "backfill",  # a group of its own: after the shared commands
        "dataset:rebuild",
        "dataset:status",
        "dataset:rollback",
        "dataset:export",
        "refresh:views",
    ]
    with pytest.raises(ConfigError, match="registers command ingest:football-data, which"):
        mount_domain_commands(fresh)
