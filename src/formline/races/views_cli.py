"""The races domain's ``refresh:views`` command: recompute the current-form views the read API
serves (:mod:`formline.races.views`).

Registered on the ``formline`` app by the CLI plumbing through ``RacesDomain.cli_commands``
(``"formline.races.views_cli:register"``, see :func:`formline.cli.app.mount_domain_commands`).
"""

from __future__ import annotations

import typer
from rich.table import Table

from formline.cli.app import (
    AsOf,
    console,
    current_run,
    load_settings,
    open_configured_store,
    recorded,
)


def register(app: typer.Typer) -> None:
    """Register ``refresh:views`` on ``app``."""
    # No run lock: the refresh is one transaction, and the database serialises two of them.
    app.command("refresh:views")(recorded("refresh:views", lock=False)(refresh_views_command))


def refresh_views_command(as_of: AsOf = None) -> None:
    """Recompute the racing current-form views (horse, jockey, trainer form; jockey-horse and
    jockey-trainer connections) as of --as-of, in one transaction: materialized views refreshed
    concurrently on PostgreSQL, tables swapped on SQLite."""
    from formline.races.views import refresh_views
    from formline.timeutil import parse_instant

    instant = parse_instant(as_of) if as_of else None
    store = open_configured_store(load_settings())
    with console.status("refreshing the current-form views"):
        counts = refresh_views(store, instant)
    run = current_run()
    if run is not None:
        run.rows = sum(counts.values())
        run.detail = ", ".join(f"{name} {rows}" for name, rows in counts.items())
    table = Table("view", "rows")
    for name, rows in counts.items():
        table.add_row(name, str(rows))
    console.print(table)
