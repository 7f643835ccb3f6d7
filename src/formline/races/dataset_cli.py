"""The racing training dataset's commands: ``dataset:rebuild``, ``dataset:status``,
``dataset:rollback`` and ``dataset:export``.

Registered on the ``formline`` app by the races domain's ``cli_commands`` (see
:func:`formline.cli.app.mount_domain_commands`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from formline.cli.app import (
    AsOf,
    as_of_or_now,
    console,
    current_run,
    load_settings,
    one_of,
    open_configured_store,
    open_existing_store,
    recorded,
)

TRIGGERS = ("manual", "cron", "api")
#: The run lock a rebuild and a rollback hold: no two writers of the dataset at once.
LOCK_DOMAIN = "races"


def register(app: typer.Typer) -> None:
    """Register the dataset commands on ``app``."""
    app.command("dataset:rebuild")(recorded("dataset:rebuild", lock=False)(dataset_rebuild))
    app.command("dataset:status")(dataset_status)
    app.command("dataset:rollback")(recorded("dataset:rollback", lock=False)(dataset_rollback))
    app.command("dataset:export")(dataset_export)


def _locked(store: Any, command: str) -> Any:
    from formline.store.run_lock import holder_description, run_lock

    run = current_run()
    return run_lock(
        store,
        LOCK_DOMAIN,
        holder=holder_description(command, None if run is None else run.job_id),
        wait_seconds=load_settings().run_lock_wait_seconds,
    )


def dataset_rebuild(
    as_of: AsOf = None,
    test_mode: Annotated[
        bool,
        typer.Option(
            "--test-mode",
            help="Build and check a sample of the latest races only; publish nothing.",
        ),
    ] = False,
    triggered_by: Annotated[
        str,
        typer.Option(
            "--triggered-by",
            callback=one_of(TRIGGERS),
            help=f"Who started the run, for job_runs: {', '.join(TRIGGERS)}.",
        ),
    ] = "manual",
) -> None:
    """Rebuild the racing training dataset (one row per runner, point-in-time features) in
    phases, check it and swap it in atomically; the previous build is kept for
    dataset:rollback, a build that fails its checks is kept as race_dataset_failed."""
    from formline.races.rebuild import rebuild_dataset
    from formline.races.views import refresh_views

    moment = as_of_or_now(as_of)
    store = open_configured_store(load_settings())
    run = current_run()
    with _locked(store, "dataset:rebuild"):
        result = rebuild_dataset(
            store,
            moment,
            test_mode=test_mode,
            triggered_by=triggered_by,
            run_id=None if run is None else run.run_id,
            refresh_views=lambda s: sum(refresh_views(s, moment).values()),
        )
    table = Table(header_style="bold")
    for column in ("phase", "status", "rows", "seconds", "detail"):
        table.add_column(column, overflow="fold")
    for phase in result.phases:
        rows = "" if phase.rows is None else str(phase.rows)
        table.add_row(phase.phase, phase.status, rows, f"{phase.seconds:.2f}", phase.detail or "")
    console.print(table)
    what = "test run, nothing published" if test_mode else "published as race_dataset"
    console.print(f"{result.rows} runners as of {moment:%Y-%m-%d %H:%M:%S}Z: {what}")
    if run is not None:
        run.rows, run.detail = result.rows, what


def dataset_status(
    limit: Annotated[int, typer.Option("--limit", min=1, help="Phase runs at most.")] = 30,
) -> None:
    """Show the dataset tables (live, previous, failed) and the last rebuild phases."""
    from formline.races.dataset_ops import dataset_status as read_status

    status = read_status(open_existing_store(load_settings()), limit)
    for name, rows in status.tables.items():
        console.print(f"{name}: {'none' if rows is None else f'{rows} rows'}", highlight=False)
    table = Table(header_style="bold")
    for column in ("run", "step", "status", "by", "started", "rows", "seconds", "detail"):
        table.add_column(column, overflow="fold")
    for row in status.runs:
        table.add_row(
            row["run_id"][:8],
            row["step"],
            row["status"],
            row["triggered_by"],
            f"{row['started_at']:%Y-%m-%d %H:%M:%S}",
            "" if row["rows"] is None else str(row["rows"]),
            "" if row["seconds"] is None else f"{row['seconds']:.2f}",
            row["error"] or row["detail"] or "",
        )
    console.print(table)


def dataset_rollback() -> None:
    """Put the previous build back as the live dataset (a second rollback undoes it)."""
    from formline.races.dataset_ops import rollback_dataset

    store = open_configured_store(load_settings())
    with _locked(store, "dataset:rollback"):
        rows = rollback_dataset(store)
    console.print(f"race_dataset rolled back: {rows} rows live", highlight=False)
    run = current_run()
    if run is not None:
        run.rows, run.detail = rows, "previous build swapped back in"


def dataset_export(
    out: Annotated[
        Path, typer.Option("--out", help="The file to write: .parquet or .csv.", dir_okay=False)
    ],
) -> None:
    """Write the live training dataset, one row per runner: race_id (the source's), start_at,
    venue, horse, saddle_number, finish_position and every feature."""
    from formline.races.dataset_ops import export_dataset

    rows = export_dataset(open_existing_store(load_settings()), out)
    console.print(f"{rows} runners written to {out}", highlight=False)
