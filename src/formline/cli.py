"""The ``formline`` command line: parses options, calls the pipeline, maps errors to exit codes.

Exit codes: 0 ok, 1 runtime failure, 2 bad usage or bad input. Errors print one line; the
traceback only with ``--verbose``.
"""

from __future__ import annotations

import logging
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from formline.errors import FormlineError
from formline.settings import Settings
from formline.timeutil import parse_instant, utc_now_naive

app = typer.Typer(
    name="formline",
    help="A sports prediction worker: ingest, point-in-time features, models, predictions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

_state: dict[str, Any] = {"verbose": False}

AsOf = Annotated[
    str | None,
    typer.Option("--as-of", help="ISO date or timestamp, UTC (default: now)."),
]


class RichProgress:
    """Draws pipeline progress with Rich (bars when the total is known, spinners otherwise)."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._tasks: dict[str, Any] = {}

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def start(self, step: str, total: int | None = None) -> None:
        self._tasks[step] = self._progress.add_task(step, total=total)

    def advance(self, step: str, amount: int = 1) -> None:
        self._progress.advance(self._tasks[step], amount)

    def finish(self, step: str) -> None:
        task = self._tasks.pop(step, None)
        if task is not None:
            self._progress.remove_task(task)
        console.print(f"[green]✓[/] {step}")


def _settings() -> Settings:
    return Settings()


def _store(settings: Settings, migrate: bool = True) -> Any:
    from formline.store.db import open_store

    return open_store(settings.resolved_database_url, migrate=migrate)


def _as_of(value: str | None) -> datetime:
    return parse_instant(value) if value else utc_now_naive()


@app.callback()
def _main(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show tracebacks and debug logs.")
    ] = False,
) -> None:
    _state["verbose"] = verbose
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING)


@app.command("db:check")
def db_check() -> None:
    """Check that the store is reachable and its schema is current."""
    settings = _settings()
    store = _store(settings, migrate=False)
    current = store.current_revision()
    head = store.head_revision()
    console.print(f"store: {store.display_url} ({store.dialect})")
    console.print(f"schema: {current or 'not migrated'} (newest: {head})")
    if current != head:
        if store.dialect == "sqlite":
            console.print("the embedded store migrates itself on first use")
        else:
            raise FormlineError("schema is not current: run `formline db:migrate`")


@app.command("db:migrate")
def db_migrate() -> None:
    """Create or upgrade the store's schema to the newest revision."""
    store = _store(_settings(), migrate=False)
    before, after = store.migrate()
    if before == after:
        console.print(f"schema already at {after}")
    else:
        console.print(f"schema migrated: {before or 'empty'} -> {after}")


def _print_report(result: Any) -> None:
    report = result.report
    table = Table(show_header=True, header_style="bold")
    for col in ("", "new", "changed"):
        table.add_column(col, justify="right" if col else "left")
    table.add_row("matches", str(report.matches_new), str(report.matches_changed))
    table.add_row("odds", str(report.odds_new), str(report.odds_changed))
    table.add_row("teams", str(report.teams_new), "")
    console.print(table)


@app.command("ingest:demo")
def ingest_demo(
    force: Annotated[bool, typer.Option("--force", help="Reload the demo data.")] = False,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic world.")] = 42,
    now: Annotated[
        str | None, typer.Option("--now", help="The demo's 'now' (default: today, UTC).")
    ] = None,
) -> None:
    """Load a seeded synthetic football world (3 leagues x 20 teams x 6 seasons)."""
    from formline.pipeline.ingest import ingest_demo as run

    demo_now = parse_instant(now, "--now") if now else None
    store = _store(_settings())
    with RichProgress(console) as progress:
        result = run(store, seed=seed, now=demo_now, force=force, progress=progress)
    if result.skipped:
        console.print(result.message)
        return
    _print_report(result)


@app.command("ingest:football-data")
def ingest_football_data(
    paths: Annotated[
        list[Path], typer.Argument(help="football-data.co.uk CSV files or folders of them.")
    ],
) -> None:
    """Load football-data.co.uk CSV files; bad rows are reported and kept as rejects."""
    from formline.pipeline.ingest import ingest_football_data as run

    store = _store(_settings())
    with RichProgress(console) as progress:
        result = run(store, paths, progress=progress)
    for line in result.rejects[:50]:
        err_console.print(line, markup=False, highlight=False, soft_wrap=True)
    if len(result.rejects) > 50:
        err_console.print(f"... and {len(result.rejects) - 50} more (table ingest_rejects)")
    console.print(
        f"{result.files} files, {result.rows} matches read, {len(result.rejects)} rejects kept"
    )
    _print_report(result)


@app.command("features:build")
def features_build(as_of: AsOf = None) -> None:
    """Compute point-in-time features as of a time and store them as snapshots."""
    from formline.pipeline.features import build_features

    instant = _as_of(as_of)
    store = _store(_settings())
    with RichProgress(console) as progress:
        build = build_features(store, instant, progress=progress)
    console.print(
        f"{len(build.frame)} matches, {len(build.feature_names)} features as of "
        f"{instant.isoformat()}Z (feature version {build.feature_version}); "
        f"{build.written} snapshot rows written or changed in {build.seconds:.1f}s"
    )


@app.command("features:export")
def features_export(
    as_of: Annotated[str, typer.Option("--as-of", help="ISO date or timestamp, UTC.")],
    out: Annotated[Path, typer.Option("--out", help="Output file, .parquet or .csv.")],
) -> None:
    """Write one row per match with every feature as of a time to a Parquet or CSV file."""
    from formline.pipeline.features import export_features

    instant = parse_instant(as_of)
    store = _store(_settings())
    with RichProgress(console) as progress:
        rows = export_features(store, instant, out, progress=progress)
    console.print(f"{rows} matches written to {out}")


def main() -> None:
    """Run the CLI, mapping formline errors to one-line messages and exit codes."""
    try:
        app(standalone_mode=False)
    except FormlineError as exc:
        if _state["verbose"]:
            err_console.print_exception()
        err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("aborted")
        sys.exit(1)
    except Exception as exc:  # click usage errors and unexpected failures
        import click  # type: ignore[import-not-found,unused-ignore]

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Exit):
            sys.exit(exc.exit_code)
        if _state["verbose"]:
            err_console.print_exception()
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        err_console.print(
            f"error: {type(exc).__name__}: {first}", markup=False, highlight=False, soft_wrap=True
        )
        sys.exit(1)
