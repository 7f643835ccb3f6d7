"""The races domain as the read API sees it (its name, routers and cache), for tests that build
the app before the real races domain declares them; no pandas, so a process without the
numerical stack can mount it too."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from formline.domain import Market, get_domain, register_domain, unregister_domain
from formline.races.api import RACES_API_CACHE, RACES_API_ROUTERS
from formline.races.domain import VALIDATION_LEADS
from support import unimplemented_methods

DOMAIN = "races"


@unimplemented_methods
class ApiOnlyRaces:
    """The races domain as the read API sees it: its name, routers and cache (enough for
    ``create_app``), for as long as the real domain does not declare them."""

    name = DOMAIN
    event_noun = "race"
    unit_noun = "runner"
    unit_key = "runner_id"
    event_key = "race_id"
    start_column = "start_at"
    scope_column = "venue"
    information_states = ("market", "card")
    reference_model = "rating"
    market_reference = "public"
    validation_leads = VALIDATION_LEADS
    markets = (Market("win", "the runner wins"), Market("place", "the runner places"))
    model_types = ()
    sources = ()
    api_routers = RACES_API_ROUTERS
    api_cache: str | None = RACES_API_CACHE
    target_columns = ("finish_position",)
    cli_commands = ("formline.races.views_cli:register",)
    season_simulation = None

    def register_tables(self) -> None:
        import formline.races.tables  # noqa: F401


def _declares_the_api() -> bool:
    try:
        declared: Any = get_domain(DOMAIN)
    except Exception:  # no races domain registered yet
        return False
    return bool(
        set(RACES_API_ROUTERS) <= set(declared.api_routers)
        and declared.api_cache == RACES_API_CACHE
    )


@contextmanager
def races_api_mounted() -> Iterator[None]:
    """The races routes mounted by ``create_app``: through the registered races domain once it
    declares them, else through :class:`ApiOnlyRaces` for the block."""
    if _declares_the_api():
        yield
        return
    register_domain(DOMAIN, ApiOnlyRaces)
    try:
        yield
    finally:
        unregister_domain(DOMAIN)
