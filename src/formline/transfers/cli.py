"""The transfers domain's own commands: ``ingest:transfers``.

To be registered on the ``formline`` app by the CLI plumbing once the domain is (its
``cli_commands`` calling :func:`register`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from formline.cli.app import console, load_settings, open_configured_store, recorded


def register(app: typer.Typer) -> None:
    """Register the transfers domain's commands on ``app``."""
    app.command("ingest:transfers")(recorded("ingest:transfers")(ingest_transfers))


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
    from formline.cli.data import ingest_limits, print_ingest_report, print_rejects
    from formline.transfers.ingest import ingest_transfers as run
    from formline.transfers.ingest import limits_of

    settings = load_settings()
    store = open_configured_store(settings)
    with console.status("loading transfers"):
        result = run(store, paths, limits_of(ingest_limits(settings)))
    print_rejects(result.rejects)
    console.print(result.summary(), markup=False, highlight=False)
    print_ingest_report(result.report)
    if result.report.linked_teams:
        console.print(f"{result.report.linked_teams} clubs linked to teams of the match data")
