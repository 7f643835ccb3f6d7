"""``simulate:season``: a competition's season in progress simulated from the deployed champions'
forecasts (see :mod:`formline.pipeline.simulate`), printed, written to a CSV and published."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from formline.cli.app import (
    AsOf,
    DomainName,
    Seed,
    app,
    as_of_or_now,
    command_domain,
    console,
    err_console,
    load_settings,
    open_existing_store,
    recorded,
)

if TYPE_CHECKING:
    from formline.pipeline.simulate import SimulationResult


def _percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def print_simulation(result: SimulationResult) -> None:
    """The simulation's header line, its table (one row per team) and its stated
    simplifications."""
    used = ", ".join(
        f"{s.model.label} ({s.information}): {s.games}"
        + ("" if s.score_grid else " (no score grid)")
        for s in result.models
    )
    drawn = "score grids" if result.draws == "score_grids" else "outcome probabilities"
    console.print(
        f"{result.competition} {result.season} as of {result.as_of:%Y-%m-%d %H:%M}: "
        f"{result.n_sims:,} seasons; {result.n_played} games played, {result.n_remaining} to "
        f"play, drawn from {drawn} of {used}",
        markup=False,
        highlight=False,
    )
    rules = result.rules
    table = Table(show_edge=False)
    points = rules.points_label.replace("_", " ")
    for name in ("#", "team", points, "title", f"top {rules.top}"):
        table.add_column(name, justify="left" if name == "team" else "right")
    relegation = "p_relegation" in result.table.columns
    if relegation:
        table.add_column(f"relegated ({rules.relegated})", justify="right")
    table.add_column("likeliest place", justify="right")
    positions = [c for c in result.table.columns if c.startswith("p_pos_")]
    for rank, (_, row) in enumerate(result.table.iterrows(), start=1):
        likeliest = int(row[positions].to_numpy(dtype=float).argmax()) + 1
        cells = [
            str(rank),
            str(row["team"]),
            f"{row[rules.points_label]:.1f}",
            _percent(row["p_title"]),
            _percent(row[f"p_top{rules.top}"]),
        ]
        if relegation:
            cells.append(_percent(row["p_relegation"]))
        cells.append(str(likeliest))
        table.add_row(*cells)
    console.print(table)
    console.print(f"rules: {rules.simplifications}", markup=False, highlight=False)
    if result.note:
        err_console.print(f"note: {result.note}", markup=False, highlight=False)


@app.command("simulate:season")
@recorded("simulate:season")
def simulate_season(
    competition: Annotated[
        str, typer.Option("--competition", help="The competition code (E0, DEMO1 ...).")
    ],
    as_of: AsOf = None,
    n: Annotated[
        int,
        typer.Option("--n", min=1, max=1_000_000, help="Seasons to simulate, 1 to 1,000,000."),
    ] = 10_000,
    seed: Seed = 0,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the table to this CSV (one row per team)."),
    ] = None,
    relegated: Annotated[
        int | None,
        typer.Option(
            "--relegated",
            min=0,
            help="Bottom places relegated, instead of the league's rule (0: no p_relegation).",
        ),
    ] = None,
    domain: DomainName = None,
) -> None:
    """Simulate the rest of a competition's season in progress at as_of from the champions
    deployed then: expected points, P(title), P(top 4), P(relegation), final positions."""
    from formline.pipeline.outputs import check_output, write_atomically
    from formline.pipeline.simulate import simulate_seasons

    if out is not None:  # before minutes of work, not after
        check_output(out, suffixes=(".csv",))
    settings = load_settings()
    instant = as_of_or_now(as_of)
    resolved = command_domain(settings, domain)
    store = open_existing_store(settings)
    with console.status(f"simulating {competition}"):
        (result,) = simulate_seasons(
            store,
            instant,
            [competition],
            n_sims=n,
            seed=seed,
            relegated=relegated,
            domain=resolved,
        )
    print_simulation(result)
    if out is not None:
        table = result.table
        write_atomically(out, lambda tmp: table.to_csv(tmp, index=False, float_format="%.6f"))
        console.print(f"wrote {out}", markup=False, highlight=False)
    state = "stored" if result.created else "already stored (unchanged)"
    if result.published:
        state += " and published"
    else:
        state += ", not published: the published simulation is as of a later instant"
    console.print(f"simulation {result.simulation_id} {state}", markup=False, highlight=False)
