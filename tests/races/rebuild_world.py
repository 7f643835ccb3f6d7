"""A small demo racing world in a store, for the dataset rebuild tests."""

from __future__ import annotations

from datetime import datetime

from formline.races.demo import generate_race_world
from formline.races.store import staged_race_load
from formline.store.db import Store

NOW = datetime(2025, 6, 1)
EARLIER = datetime(2025, 5, 1)


def load_small_world(store: Store) -> None:
    """A small demo world (about 1,000 runners over 90 days, future cards included)."""
    world = generate_race_world(7, NOW, n_days=90, n_horses=160, n_jockeys=14, n_trainers=10)
    with staged_race_load(store, "loading a small racing world") as load:
        load.add(world.batch)
        load.write()
