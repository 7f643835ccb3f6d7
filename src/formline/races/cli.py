"""The races domain's own commands: ``ingest:hkjc`` and ``predict:race``.

Registered on the ``formline`` app by the CLI plumbing (:attr:`RacesDomain.cli_commands
<formline.races.domain.RacesDomain.cli_commands>`, see
:func:`formline.cli.app.mount_domain_commands`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from formline.cli.app import (
    console,
    load_settings,
    open_configured_store,
    open_existing_store,
    recorded,
)


def register(app: typer.Typer) -> None:
    """Register the races domain's commands on ``app``."""
    app.command("ingest:hkjc")(recorded("ingest:hkjc")(ingest_hkjc))
    app.command("predict:race")(predict_race)


def ingest_hkjc(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Hong Kong racing files or folders: a gdaley folder (races.csv + runs.csv) or "
            "an HKJC results.csv."
        ),
    ],
) -> None:
    """Load Hong Kong racing files (either layout); bad rows are reported and kept as rejects."""
    from formline.cli.data import ingest_limits, print_ingest_report, print_rejects
    from formline.races.ingest import ingest_hkjc as run
    from formline.races.ingest import limits_of

    settings = load_settings()
    store = open_configured_store(settings)
    with console.status("loading Hong Kong races"):
        result = run(store, paths, limits_of(ingest_limits(settings)))
    print_rejects(result.rejects)
    races = result.report.tables.get("races")
    runners = result.report.tables.get("runners")

    def total(c: Any) -> int:
        return 0 if c is None else int(c.inserted + c.updated + c.unchanged)

    console.print(
        f"{len(result.rows)} files, {sum(result.rows.values())} rows read: {total(races)} races, "
        f"{total(runners)} runners; {len(result.rejects)} rejects kept"
    )
    print_ingest_report(result.report)


def predict_race(race_id: Annotated[int, typer.Argument(help="Race id (the store's).")]) -> None:
    """Print the race card with its latest published win and place probabilities and drivers.

    An unknown race id and a race no snapshot covers are both exit code 3, with messages that
    tell them apart.
    """
    from formline.errors import NotFoundError
    from formline.races.predictions import latest_race_prediction
    from formline.races.reads import race_card
    from formline.store.registry import get_model_version

    store = open_existing_store(load_settings())
    card = race_card(store, race_id)
    if card is None:
        raise NotFoundError(f"race {race_id} does not exist")
    race, runners = card
    what = (
        f"race {race_id}: {race['venue']} {race['race_date']} race {race['race_number']}, "
        f"{race['distance']} m {race['surface'] or ''}, start {race['start_at']:%Y-%m-%d %H:%M}Z"
    )
    found = latest_race_prediction(store, race_id)
    if found is None:
        raise NotFoundError(f"{what} has no prediction: no published snapshot covers it")
    snapshot_id, published, predicted = found
    console.print(what, markup=False, highlight=False)
    by_runner = predicted.set_index("runner_id")
    models = sorted({int(m) for m in predicted["model_version_id"]})
    labels = ", ".join(get_model_version(store, m).label for m in models)
    source = "the published snapshot" if published else "an earlier snapshot, not the current"
    console.print(f"prediction of {labels} from {source} ({snapshot_id})", markup=False)
    table = Table(header_style="bold")
    for col in ("no.", "horse", "jockey", "draw", "p win", "fair", "p place", "fair"):
        table.add_column(col, justify="left" if col in ("horse", "jockey") else "right")
    for runner in runners:
        p = by_runner.loc[runner["runner_id"]] if runner["runner_id"] in by_runner.index else None
        cells = (
            ["", "", "", ""]
            if p is None
            else [
                f"{p['p_win']:.3f}",
                f"{p['fair_win']:.2f}",
                f"{p['p_place']:.3f}",
                f"{p['fair_place']:.2f}",
            ]
        )
        table.add_row(
            "" if runner["saddle_number"] is None else str(runner["saddle_number"]),
            str(runner["horse"] or ""),
            str(runner["jockey"] or ""),
            "" if runner["draw"] is None else str(runner["draw"]),
            *cells,
        )
    console.print(table)
    explained = [d for d in predicted["drivers"] if d]
    if not explained:
        console.print("this model gives no per-feature drivers")
        return
    drivers = Table(title="drivers (contribution to the runner's score)", header_style="bold")
    for col in ("no.", "feature", "value", "contribution"):
        drivers.add_column(col, justify="left" if col == "feature" else "right")
    saddle = {r["runner_id"]: r["saddle_number"] for r in runners}
    for runner_id, listed in zip(predicted["runner_id"], predicted["drivers"], strict=True):
        for d in listed[:3]:
            value = "" if d.get("value") is None else f"{d['value']:.3f}"
            drivers.add_row(
                str(saddle.get(runner_id, "")), d["feature"], value, f"{d['contribution']:+.3f}"
            )
    console.print(drivers)
