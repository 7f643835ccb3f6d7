"""Every command the README shows runs as documented."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer

from formline.cli import app
from formline.cli.models import MODEL_LIST_FIELDS, MODEL_SHOW_FIELDS
from formline.matches.backtest import BACKTEST_COLUMNS
from formline.matches.features.compute import EXPORT_ID_COLUMNS, EXPORT_TARGET_COLUMNS
from support import REPO_ROOT, require_football_odds

sys.path.insert(0, str(REPO_ROOT / "tests" / "cli"))
from in_process import invoke

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


def _section(title: str) -> str:
    return README.split(f"{title}\n", 1)[1].split("\n#", 1)[0]


def _documented_commands() -> dict[str, tuple[set[str], int]]:
    """Each command of the README's table: its long options and how many arguments it takes."""
    documented: dict[str, tuple[set[str], int]] = {}
    for row in _section("## Commands").splitlines():
        if not row.startswith("| `formline "):
            continue
        usage = row[1:].split(" | ", 1)[0]
        for span in re.findall(r"`([^`]+)`", usage):
            tokens = span.replace("[", " ").replace("]", " ").split()
            tokens = tokens[1:] if tokens[0] == "formline" else tokens
            name, rest = tokens[0], tokens[1:]
            options = {t for t in rest if t.startswith("--")}
            arguments = [
                t
                for i, t in enumerate(rest)
                if re.fullmatch(r"[A-Z_]+(\.\.\.)?", t) and not (i and rest[i - 1].startswith("--"))
            ]
            assert name not in documented, f"{name} is in the table twice"
            documented[name] = (options, len(arguments))
    return documented


def _long_options(params: list[Any]) -> set[str]:
    return {
        o
        for p in params
        if p.param_type_name == "option"
        for o in p.opts
        if o.startswith("--") and o != "--help"
    }


def test_the_command_table_matches_the_cli() -> None:
    """Every command and option of the CLI is in the README's table, and nothing else is."""
    group: Any = typer.main.get_command(app)
    cli = {
        name: (
            _long_options(command.params),
            sum(p.param_type_name == "argument" for p in command.params),
        )
        for name, command in group.commands.items()
    }
    documented = _documented_commands()
    assert sorted(documented) == sorted(cli), "commands differ between the README and the CLI"
    for name, (options, n_arguments) in cli.items():
        readme_options, readme_arguments = documented[name]
        assert readme_options == options, (
            f"{name}: not in the README {sorted(options - readme_options)}, "
            f"not in the CLI {sorted(readme_options - options)}"
        )
        assert readme_arguments == n_arguments, f"{name}: arguments differ"
    global_line = re.search(r"^Global options: (.*?)\n\n", README, flags=re.S | re.M)
    assert global_line is not None
    documented_global = set(re.findall(r"`(--[a-z-]+)`", global_line.group(1)))
    assert documented_global == _long_options(group.params)


def test_the_readme_documents_every_exported_column_and_json_field() -> None:
    exports = _section("### Exports")
    fields = [*EXPORT_ID_COLUMNS, *EXPORT_TARGET_COLUMNS, *BACKTEST_COLUMNS]
    fields += [*MODEL_LIST_FIELDS, *MODEL_SHOW_FIELDS]
    missing = sorted({f for f in fields if f"`{f}`" not in exports})
    assert missing == [], f"not documented under Exports: {missing}"


#: The README's real-data commands that run in process here, each verb having its own
#: ``python -m formline`` run elsewhere in the suite (tests/cli); the others run as processes.
IN_PROCESS = ("ingest:football-data", "features:build", "features:export", "model:train")


@pytest.mark.realdata
@pytest.mark.slow
def test_the_real_data_sessions_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = require_football_odds()
    # The real-data session and the model session after it, in the README's order.
    session = [c for b in _shell_blocks() for c in b if c.startswith("formline ")]
    assert any("ingest:football-data" in c for c in session)
    assert any("model:train" in c for c in session)
    assert {shlex.split(c)[1] for c in session} > set(IN_PROCESS)
    home = tmp_path / "home"
    env = {**os.environ, "FORMLINE_HOME": str(home)}
    env.pop("DATABASE_URL", None)
    monkeypatch.chdir(tmp_path)  # the README's relative --out paths
    for command in session:
        argv = shlex.split(command.replace("../shared/data/football_odds", str(data)))
        assert argv[0] == "formline"
        if argv[1] in IN_PROCESS:
            done = invoke(home, *argv[1:])
            assert done.exit_code == 0, f"{command}: {done.stderr}"
            continue
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


def _python_blocks() -> list[str]:
    section = README.split("## Python API\n", 1)[1].split("\n## ", 1)[0]  # code has "# ..."
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_the_python_api_examples_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's Python examples run as written, on a small demo world.

    In process (a fresh namespace, so every name the examples use is one they import): the
    command-line verbs have their own process runs in tests/cli.
    """
    blocks = _python_blocks()
    assert blocks, "the Python API section has no example"
    monkeypatch.setenv("FORMLINE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    world = ["--leagues", "1", "--teams", "12", "--seasons", "3"]
    loaded = invoke(tmp_path / "home", "ingest:demo", *world)  # in process: the data only
    assert loaded.exit_code == 0, loaded.output
    checks = (
        "\nassert len(frame) > 300 and frame['finished'].any()\n"
        "assert list(catalog.columns[:3]) == ['name', 'group', 'description']\n"
        "assert len(three_days_out) == len(entity_df)\n"
        "assert (three_days_out['cutoff_at'] < three_days_out['kickoff_at']).all()\n"
        "assert 0.5 < report.metrics['log_loss'] < 1.5 and len(validated) > 50\n"
        "assert published.empty\n"
        "print('ok')\n"
    )
    namespace: dict[str, Any] = {"__name__": "__main__"}
    capsys.readouterr()
    try:
        exec(compile("\n".join(blocks) + checks, "README.md", "exec"), namespace)
    finally:
        if "store" in namespace:
            namespace["store"].dispose()
    assert capsys.readouterr().out.strip().endswith("ok")
