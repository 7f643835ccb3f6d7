"""The transfers domain's own commands: ``ingest:transfers``.

To be registered on the ``formline`` app by the CLI plumbing once the domain is (its
``cli_commands`` calling :func:`register`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from formline.cli.app import console, err_console, load_settings, open_configured_store, recorded

#: How many reject lines the command prints (all are kept in ``ingest_rejects``).
SHOWN_REJECTS = 50


def register(app: typer.Typer) -> None:
    """Register the transfers domain's commands on ``app``."""
    app.command("ingest:transfers")(recorded("ingest:transfers")(ingest_transfers))


def print_transfer_ingest(result: Any) -> None:
    """What a transfer load changed, per table."""
    table = Table(show_header=True, header_style="bold")
    table.add_column("")
    for col in ("inserted", "updated", "unchanged"):
        table.add_column(col, justify="right")
    for name, counts in result.report.tables.items():
        table.add_row(name, str(counts.inserted), str(counts.updated), str(counts.unchanged))
    console.print(table)
    if result.report.linked_teams:
        console.print(f"{result.report.linked_teams} clubs linked to teams of the match data")
    if not result.report.changed:
        console.print("nothing changed")


def ingest_transfers(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Transfer files or folders: the ewenme league CSVs (club_involved_name) or the "
            "emordonez transfers_all.csv.gz (dealing_club), in any mix."
        ),
    ],
) -> None:
    """Load Transfermarkt-derived transfer files: clubs, players and moves resolved across
    them; bad rows are reported and kept as rejects."""
    from formline.cli.data import ingest_limits
    from formline.transfers.ingest import ingest_transfers as run
    from formline.transfers.ingest import limits_of

    settings = load_settings()
    store = open_configured_store(settings)
    with console.status("loading transfers"):
        result = run(store, paths, limits_of(ingest_limits(settings)))
    for line in result.rejects[:SHOWN_REJECTS]:
        err_console.print(line, markup=False, highlight=False, soft_wrap=True)
    if len(result.rejects) > SHOWN_REJECTS:
        more = len(result.rejects) - SHOWN_REJECTS
        err_console.print(f"... and {more} more (table ingest_rejects)")
    console.print(result.summary(), markup=False, highlight=False)
    print_transfer_ingest(result)
