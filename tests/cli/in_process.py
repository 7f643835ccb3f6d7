"""Running the command line in process, with typer's CliRunner, as a user would in a shell.

The exit code and the one-line error come from the command group itself
(:class:`formline.cli.app.FormlineGroup`), so what a test sees here is what the console script
prints and returns.
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner, Result

from formline.cli import app


def invoke(home: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    """``formline ARGS...`` with ``FORMLINE_HOME=home`` (the embedded store), output captured.

    Output goes to a pipe, not a terminal, as when a script runs the command.
    """
    environment: dict[str, str | None] = {
        "FORMLINE_HOME": str(home),
        "DATABASE_URL": None,
        "REDIS_URL": None,
        "FORMLINE_INGEST_PATHS": None,
    }
    environment.update(env or {})
    return CliRunner().invoke(app, list(args), env=environment, catch_exceptions=False)


def error_line(result: Result) -> str:
    """The one line a failed command printed on stderr (never a traceback)."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]
