"""``/simulations/{competition}``: the season simulation published last for a competition
(``formline simulate:season``, ``daily:run``), read-only.

The cache key names the simulation itself (its pointer is read first, one primary-key lookup):
a simulation is immutable, so a cached body is never stale, and a new one is served as soon as
it is published.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from formline.api.deps import Context
from formline.api.errors import bad_parameter
from formline.api.schemas import ErrorPublic, SimulationPublic
from formline.api.serving import cached_read
from formline.errors import NotFoundError
from formline.store.db import Store
from formline.store.simulations import read_simulation, simulation_pointers

router = APIRouter(tags=["simulations"])

_CODE = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"


def find_simulation(store: Store, competition: str, domain: str | None) -> list[tuple[str, int]]:
    """(domain, simulation id) of each published simulation of ``competition``."""
    with store.connect("reading the simulation pointer") as conn:
        return simulation_pointers(conn, competition, domain)


def build_simulation(store: Store, simulation_id: int) -> SimulationPublic:
    """One stored simulation with its teams.

    Raises
    ------
    NotFoundError
        If it is gone.
    """
    with store.connect("reading a season simulation") as conn:
        found = read_simulation(conn, simulation_id, published=True)
    if found is None:
        raise NotFoundError(f"season simulation {simulation_id} does not exist")
    return SimulationPublic(**found)


@router.get(
    "/simulations/{competition}",
    response_model=SimulationPublic,
    responses={404: {"model": ErrorPublic, "description": "No simulation of it published."}},
    summary="A competition's season simulation",
)
async def simulation(
    request: Request,
    ctx: Context,
    competition: Annotated[
        str,
        Path(
            description="A competition code, such as E0.",
            min_length=1,
            max_length=64,
            pattern=_CODE,
        ),
    ],
    domain: Annotated[
        str | None,
        Query(
            description="The domain, when several simulate a competition of this code.",
            min_length=1,
            max_length=32,
            pattern=_CODE,
        ),
    ] = None,
) -> Response:
    """The latest published simulation of the competition's season: expected points, P(title),
    P(top), P(relegation) and the distribution of final positions per team."""
    found = await ctx.in_store_thread(find_simulation, ctx.store, competition, domain)
    if not found:
        raise NotFoundError(f"no season simulation of competition {competition} is published")
    if len(found) > 1:
        domains = ", ".join(sorted(d for d, _ in found))
        bad_parameter(["query", "domain"], f"several domains simulate {competition}: {domains}")
    simulation_id = found[0][1]
    return await cached_read(
        request,
        ctx,
        "simulations",
        {"simulation_id": simulation_id},
        lambda _: build_simulation(ctx.store, simulation_id),
    )
