"""Ingestion steps: a domain's demo world, and its source files, into the store.

Each domain reads its own sources (see :meth:`formline.domain.Domain.ingest_demo` and
:meth:`~formline.domain.Domain.ingest_paths`); these steps only pick the domain.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from formline.domain import Domain, Ingested, resolve_domain
from formline.pipeline.progress import NoProgress, Progress
from formline.store.db import Store


def ingest_demo(
    store: Store,
    *,
    seed: int = 42,
    now: datetime | None = None,
    force: bool = False,
    progress: Progress | None = None,
    domain: Domain | str | None = None,
    **world: int,
) -> Any:
    """Load ``domain``'s seeded synthetic world (None: the only registered domain).

    ``world`` is its size in the domain's terms (``n_leagues``, ``n_teams``, ``n_seasons`` for
    matches); without ``force`` an existing demo load is kept. The result, and the errors, are
    the domain's (see :func:`formline.matches.ingest.ingest_demo`).
    """
    return resolve_domain(domain).ingest_demo(
        store, seed=seed, now=now, force=force, progress=progress or NoProgress(), **world
    )


def ingest_paths(
    store: Store,
    paths: list[Path],
    *,
    limits: Mapping[str, Any] | None = None,
    domain: Domain | str | None = None,
) -> Ingested:
    """Re-load source files or folders through ``domain``'s adapter (the daily ingest step)."""
    return resolve_domain(domain).ingest_paths(store, paths, limits=limits)
