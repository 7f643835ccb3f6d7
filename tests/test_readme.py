"""Every command the README shows runs as documented."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from support import REPO_ROOT, require_football_odds

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
MAKEFILE = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")


def _shell_blocks() -> list[list[str]]:
    blocks = re.findall(r"```sh\n(.*?)```", README, flags=re.S)
    return [
        [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
        for block in blocks
    ]


def test_the_quick_start_is_exactly_make_demo_and_make_test() -> None:
    assert _shell_blocks()[0] == ["make demo", "make test"]
    assert re.search(r"^demo:", MAKEFILE, flags=re.M)
    assert re.search(r"^test:", MAKEFILE, flags=re.M)
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci


def test_every_command_in_the_table_exists() -> None:
    documented = set(re.findall(r"`formline ([a-z]+:[a-z-]+)", README))
    assert documented >= {"db:check", "db:migrate", "ingest:demo", "features:build"}
    for command in sorted(documented):
        result = subprocess.run(
            [sys.executable, "-m", "formline", command, "--help"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, f"{command}: {result.stderr}"


@pytest.mark.realdata
def test_the_real_data_sessions_run(tmp_path: Path) -> None:
    data = require_football_odds()
    # The real-data session and the model session after it, in the README's order.
    session = [c for b in _shell_blocks() for c in b if c.startswith("formline ")]
    assert any("ingest:football-data" in c for c in session)
    assert any("model:train" in c for c in session)
    env = {**os.environ, "FORMLINE_HOME": str(tmp_path / "home")}
    env.pop("DATABASE_URL", None)
    for command in session:
        argv = shlex.split(command.replace("../shared/data/football_odds", str(data)))
        assert argv[0] == "formline"
        result = subprocess.run(
            [sys.executable, "-m", "formline", *argv[1:]],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
            check=False,
            timeout=900,
        )
        assert result.returncode == 0, f"{command}: {result.stderr}"
    import pandas as pd

    features = pd.read_parquet(tmp_path / "features.parquet")
    assert len(features) == 35_682
    assert features["home_team"].isin(["Man United", "Nott'm Forest"]).any()
    backtest = pd.read_csv(tmp_path / "backtest.csv")
    assert len(backtest) == 3_652  # two seasons of five leagues
    assert (tmp_path / "home" / "formline.db").exists()
