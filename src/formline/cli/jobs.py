"""``jobs:list``: the runs recorded in ``job_runs``, dead ones found and failed first."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from formline.cli.app import app, console, load_settings, model_dir, open_existing_store


@app.command("jobs:list")
def jobs_list(
    limit: Annotated[int, typer.Option("--limit", min=1, help="Rows at most.")] = 30,
    run_id: Annotated[
        str | None, typer.Option("--run-id", help="Only the rows of one run.")
    ] = None,
) -> None:
    """Show recorded runs, newest first: command or step, status, owner, duration, detail.

    Runs whose owner is gone (its process, or its heartbeat for JOB_STALE_SECONDS) are marked
    failed first, with why, and the files they left in the model folder are removed."""
    from formline.pipeline.orphans import remove_orphan_files
    from formline.store.jobs import list_job_runs, mark_dead_runs

    settings = load_settings()
    store = open_existing_store(settings)
    dead = mark_dead_runs(store, settings.job_stale_seconds)
    cleaned = remove_orphan_files(store, model_dir(settings))
    for run in dead:
        extra = (
            f"; model versions {list(run.model_version_ids)} failed"
            if run.model_version_ids
            else ""
        )
        console.print(f"job {run.id} ({run.step}) was dead: {run.reason}{extra}", highlight=False)
    removed = len(cleaned.temp_files) + len(cleaned.bundles)
    if removed:
        console.print(f"removed {removed} files left by dead or failed runs", highlight=False)
    table = Table(header_style="bold")
    for col in ("id", "run", "step", "status", "by", "started", "seconds", "owner", "detail"):
        table.add_column(col, overflow="fold")
    for row in list_job_runs(store, run_id=run_id, limit=limit):
        seconds = "" if row["seconds"] is None else f"{row['seconds']:.1f}"
        owner = f"{row['pid']}@{row['host']}" if row["pid"] else ""
        table.add_row(
            str(row["id"]),
            row["run_id"][:8],
            row["step"],
            row["status"],
            row["triggered_by"],
            f"{row['started_at']:%Y-%m-%d %H:%M:%S}",
            seconds,
            owner,
            row["error"] or row["detail"] or "",
        )
    console.print(table)
