"""The seeded synthetic transfer world: the market of
:mod:`~formline.transfers.sources.demo_market`, its published signals and its users' events of
:mod:`~formline.transfers.sources.demo_attention`, cut at ``now``.

Pure: frames in memory, no store. The same arguments give identical frames; what was not known
at ``now`` (moves announced later, contracts signed later, signals observed later, seasons not
finished) is left out of what a store would load, and kept as the world's truth in
:attr:`TransferWorld.moves` (every move, future windows included).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from formline.transfers.frames import (
    CLUB_ALIAS_COLUMNS,
    TransferBatch,
    conform,
)
from formline.transfers.records import (
    CONTRACT_COLUMNS,
    SEASON_STAT_COLUMNS,
    SIGNAL_COLUMNS,
    USER_EVENT_COLUMNS,
)
from formline.transfers.sources.demo_attention import published_signals, user_events
from formline.transfers.sources.demo_market import (
    SOURCE,
    generate_transfer_market,
    naive_utc,
)

#: The demo world's size parameters (``ingest:demo --world NAME=N``).
DEMO_WORLD = (
    "n_leagues",
    "clubs_per_league",
    "n_players",
    "n_seasons",
    "n_future_windows",
    "event_days",
)


@dataclass(frozen=True)
class TransferWorld:
    """What a store loads (``batch``, ``contracts``, ``season_stats``, ``signals``,
    ``user_events``: all known by ``now``) and the world's truth: ``moves`` (every move, with
    ``observed_at``, ``attention_rise`` and ``attention_events``), ``spikes`` (attention bursts
    that lead nowhere), ``clubs`` (with ``tier``, ``strength``, ``budget_eur``) and ``windows``."""

    batch: TransferBatch
    contracts: pd.DataFrame
    season_stats: pd.DataFrame
    signals: pd.DataFrame
    user_events: pd.DataFrame
    moves: pd.DataFrame
    spikes: pd.DataFrame
    clubs: pd.DataFrame
    windows: pd.DataFrame
    now: datetime

    def future_moves(self) -> pd.DataFrame:
        """The moves not known at ``now``: what a model is asked to predict."""
        return self.moves[self.moves["observed_at"] > self.now].reset_index(drop=True)


def generate_transfer_world(
    seed: int = 42,
    now: datetime | None = None,
    *,
    n_leagues: int = 2,
    clubs_per_league: int = 6,
    n_players: int = 120,
    n_seasons: int = 2,
    n_future_windows: int = 2,
    event_days: int = 120,
) -> TransferWorld:
    """Generate the demo transfer world.

    Parameters
    ----------
    seed
        Seed of the one random generator; the same arguments give identical frames.
    now
        The world's present (naive UTC; aware is converted; None: today 00:00 UTC).
    n_leagues, clubs_per_league
        Leagues (in pairs per country: tier 1 and 2) and clubs in each.
    n_players
        Players at the start (youth players join as others retire).
    n_seasons
        Seasons simulated up to the one in progress at ``now``.
    n_future_windows
        Windows closing after ``now`` that are simulated too (the ones to predict).
    event_days
        Days of user events before ``now``.

    Raises
    ------
    ValueError
        If a size is out of range.
    """
    if event_days < 1:
        raise ValueError("event_days must be at least 1")
    now_at = naive_utc(now)
    rng = np.random.default_rng(seed)
    market = generate_transfer_market(
        seed,
        now_at,
        n_leagues=n_leagues,
        clubs_per_league=clubs_per_league,
        n_players=n_players,
        n_seasons=n_seasons,
        n_future_windows=n_future_windows,
        rng=rng,
    )
    signals = published_signals(rng, market, now_at)
    events, moves, spikes = user_events(rng, market, now_at, event_days=event_days)
    known = moves[moves["observed_at"] <= now_at]
    # Players and clubs known at ``now``: a youth player who joins later is not there yet.
    signed = market.contracts[market.contracts["observed_at"] <= now_at]
    players = market.players[market.players["key"].isin(signed["player_key"])]
    aliases = pd.DataFrame(
        {
            "alias": market.clubs["key"],
            "name": market.clubs["name"],
            "club_key": market.clubs["key"],
        }
    ).assign(rule="name")
    batch = TransferBatch(
        leagues=market.leagues,
        clubs=market.clubs,
        club_aliases=conform(aliases, CLUB_ALIAS_COLUMNS),
        club_seasons=market.club_seasons,
        players=players,
        transfers=known,
    ).conformed()
    return TransferWorld(
        batch=batch,
        contracts=conform(signed, CONTRACT_COLUMNS),
        season_stats=conform(market.season_stats, SEASON_STAT_COLUMNS),
        signals=conform(signals, SIGNAL_COLUMNS),
        user_events=conform(events, USER_EVENT_COLUMNS),
        moves=moves.reset_index(drop=True),
        spikes=spikes,
        clubs=market.clubs,
        windows=market.windows,
        now=now_at,
    )


__all__ = ["DEMO_WORLD", "SOURCE", "TransferWorld", "generate_transfer_world"]
