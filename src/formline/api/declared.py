"""What a domain declares to the read API, imported from its ``"package.module:attribute"``
strings: its routers (:attr:`Domain.api_routers <formline.domain.Domain.api_routers>`) and its
cache (:attr:`Domain.api_cache <formline.domain.Domain.api_cache>`), that is, the kinds of
response its routes cache, the setting that gives each its TTL, which of them the hot path may
answer, and what to warm after the domain publishes.

The shared API (the app, the hot path, the warmers) works from these declarations and never
names a domain.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from formline.domain import Domain
from formline.errors import ConfigError

if TYPE_CHECKING:
    from fastapi import APIRouter
    from pydantic import BaseModel

    from formline.store.db import Store
    from formline.store.reads import Pointer

#: One response to warm: its kind and its cache-key parameters.
HotRequest = tuple[str, dict[str, object]]


@dataclass(frozen=True)
class CacheKind:
    """A kind of cached response: its name (in cache keys and the metrics' ``kind`` label),
    the :class:`~formline.settings.Settings` attribute with its TTL in seconds, and whether its
    body is fixed by the snapshot id and the request (then the hot path may answer it)."""

    name: str
    ttl_setting: str
    hot: bool = False


@dataclass(frozen=True)
class DomainCache:
    """A domain's cache declaration (what its ``api_cache`` string names).

    ``hot_requests(store, pointer)`` lists the responses to warm for the snapshot ``pointer``
    points at (of its hot kinds, keyed as the routes key them: the worker keeps each for
    ``API_CACHE_TTL_PREDICTIONS``, an API process for its kind's TTL) and ``build(store, pointer,
    kind, params)`` builds one of them as the route would; both None when the domain warms
    nothing.
    """

    kinds: tuple[CacheKind, ...]
    hot_requests: Callable[[Store, Pointer], list[HotRequest]] | None = None
    build: Callable[[Store, Pointer, str, dict[str, object]], BaseModel] | None = None

    @property
    def warms(self) -> bool:
        """Whether the domain declares what to warm."""
        return self.hot_requests is not None and self.build is not None


#: The cached kinds of the shared routes (``/models``, ``/simulations``).
SHARED_KINDS = (
    CacheKind("models", "api_cache_ttl_models"),
    # Keyed by the simulation's own id (immutable): the predictions' TTL is long enough.
    CacheKind("simulations", "api_cache_ttl_predictions"),
)


def load_declared(spec: str, what: str) -> Any:
    """The object a ``"package.module:attribute"`` string names.

    Raises
    ------
    ConfigError
        If the module or the attribute does not exist (naming ``what`` declared it).
    """
    module_name, _, attribute = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise ConfigError(f"{what}: {spec} names no module ({exc})") from exc
    found = getattr(module, attribute or "router", None)
    if found is None:
        raise ConfigError(f"{what}: module {module_name} has no {attribute or 'router'}")
    return found


def domain_routers(domain: Domain) -> list[APIRouter]:
    """The routers ``domain`` declares (``"package.module:attribute"`` each), imported."""
    from fastapi import APIRouter

    routers = []
    for spec in domain.api_routers:
        router = load_declared(spec, f"domain {domain.name}")
        if not isinstance(router, APIRouter):
            raise ConfigError(f"domain {domain.name}: {spec} is not a FastAPI APIRouter")
        routers.append(router)
    return routers


def domain_cache(domain: Domain) -> DomainCache | None:
    """The cache declaration ``domain`` names (None when it declares none)."""
    if domain.api_cache is None:
        return None
    declared = load_declared(domain.api_cache, f"domain {domain.name}")
    if not isinstance(declared, DomainCache):
        raise ConfigError(f"domain {domain.name}: {domain.api_cache} is not a DomainCache")
    return declared


def cache_ttls(settings: Any, caches: Mapping[str, DomainCache | None]) -> dict[str, int]:
    """Seconds to cache each kind: the shared kinds' and every domain's, read from ``settings``.

    Raises
    ------
    ConfigError
        If two domains declare the same kind (their keys and metrics would mix) or a kind
        names a setting that does not exist.
    """
    owners: dict[str, str] = {kind.name: "the shared routes" for kind in SHARED_KINDS}
    ttls: dict[str, int] = {}
    kinds = [(kind, "") for kind in SHARED_KINDS]
    for name, cache in caches.items():
        for kind in () if cache is None else cache.kinds:
            if kind.name in owners:
                raise ConfigError(
                    f"domain {name} declares the cache kind '{kind.name}' that "
                    f"{owners[kind.name]} already serve"
                )
            owners[kind.name] = f"domain {name}"
            kinds.append((kind, name))
    for kind, name in kinds:
        value = getattr(settings, kind.ttl_setting, None)
        if not isinstance(value, int):
            owner = f"domain {name}" if name else "the shared routes"
            raise ConfigError(
                f"{owner}: cache kind '{kind.name}' names no setting {kind.ttl_setting}"
            )
        ttls[kind.name] = value
    return ttls
