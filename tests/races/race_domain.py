"""A test-only races domain: the attributes ``RacesDomain`` sets and :class:`RaceEvaluation`'s
members, with a frame from the demo world (:func:`race_frames.demo_frame`) instead of a store."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
from race_frames import demo_frame

from formline.domain import EventFrame, Market
from formline.races.domain import VALIDATION_LEADS
from formline.races.evaluation import RaceEvaluation
from formline.races.features import RACE_FEATURES
from support import unimplemented_methods

_FRAMES: dict[int, pd.DataFrame] = {}


@unimplemented_methods
class _Races(RaceEvaluation):
    """The races domain's attributes over the mixin, named ``races_test``."""

    name = "races_test"
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
    markets = (
        Market("win", "the runner wins the race"),
        Market("place", "the runner finishes in the places paid (3 from 7 runners, else 2)"),
    )
    sources = ()
    api_routers = ()
    api_cache = None
    target_columns = ("finish_position", "won", "placed")
    cli_commands = ()
    season_simulation = None
    seed = 3

    def register_tables(self) -> None:
        return None

    def feature_set(self) -> Any:
        return RACE_FEATURES

    def load_frame(self, store: Any, as_of: datetime, queries: Any = None) -> EventFrame:
        if self.seed not in _FRAMES:
            _FRAMES[self.seed] = demo_frame(self.seed)
        frame = _FRAMES[self.seed].copy()
        return EventFrame(frame, as_of, RACE_FEATURES.schema_hash, list(RACE_FEATURES.names))
