"""What the demo market publishes and what its users do: market values and contract months as
bitemporal signals, and user sessions whose attention rises before some moves.

Published signals
-----------------
Valuations fall on fixed days between windows (15 Oct and 15 Dec after a summer window, 15 Mar
and 15 May after a winter one) and describe the player's state on that day
(``effective_from``) until the next valuation day (``effective_to``). They are learned later:
a market value 2 to 14 days after, a contract's months left 5 to 30 days after, and a share of
each (``late_share``) 45 to 120 days after. Only what is observed by ``now`` is published.

User events
-----------
From ``now - event_days`` to ``now``: background views and searches at a rate that grows with a
player's performance; before a share of moves (``attention_share``) a burst of sessions over the
42 days before the move, denser towards it, viewing the player and, in most sessions, the
destination club; and as many bursts again (``spike_share``) about players who do not move then,
with a club they do not join. Each event of a session names the player; a view "of the club"
names the club beside him (``user_events`` has no club-only events).
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from formline.transfers.records import CONTRACT_MONTHS, MARKET_VALUE, SIGNAL_COLUMNS
from formline.transfers.sources.demo_market import SOURCE, TransferMarket, market_value

#: How long before a move its rumours start.
ATTENTION_LEAD = np.timedelta64(42, "D")
_VALUATION_DAYS = {"summer": ((10, 15), (12, 15)), "winter": ((3, 15), (5, 15))}


def _valuation_days(windows: pd.DataFrame) -> pd.DataFrame:
    rows = []
    seasons = windows["season"].astype(int).tolist()
    kinds = windows["transfer_window"].astype(str).tolist()
    for index, (season, kind) in enumerate(zip(seasons, kinds, strict=True)):
        year = season + (kind == "winter")
        for month, day in _VALUATION_DAYS[kind]:
            rows.append((index, datetime(year, month, day)))
    days = pd.DataFrame(rows, columns=["window_index", "effective_from"])
    days["effective_from"] = days["effective_from"].astype("datetime64[us]")
    days["effective_to"] = days["effective_from"].shift(-1)
    last = days["effective_from"].iloc[-1]
    days.loc[days.index[-1], "effective_to"] = last + pd.Timedelta(days=91)
    return days


def published_signals(
    rng: np.random.Generator, market: TransferMarket, now: datetime, late_share: float = 0.1
) -> pd.DataFrame:
    """Market values and contract months of every player at a club on every valuation day,
    observed after the day they describe (see the module docstring); those observed by ``now``."""
    days = _valuation_days(market.windows)
    state = market.states[market.states["club_key"].notna()].merge(days, on="window_index")
    months = (state["contract_expires_on"] - state["effective_from"]).dt.days.to_numpy() / 30.44
    months = np.clip(months, 0.0, None)
    age = state["age"].to_numpy() - (state["effective_from"].dt.month >= 6).to_numpy() * 0.5
    value = market_value(state["performance"].to_numpy(), age, months)
    frames = []
    for signal, number, delay, confidence in (
        (MARKET_VALUE, value, (2, 15), (0.7, 0.95)),
        (CONTRACT_MONTHS, np.floor(months), (5, 31), (0.8, 1.0)),
    ):
        n = len(state)
        days_late = rng.integers(*delay, n).astype(float)
        late = rng.random(n) < late_share
        days_late[late] = rng.integers(45, 121, int(late.sum()))
        frames.append(
            pd.DataFrame(
                {
                    "entity_type": "player",
                    "player_key": state["player_key"].to_numpy(),
                    "signal_type": signal,
                    "value_number": number,
                    "source": SOURCE,
                    "confidence": np.round(rng.uniform(*confidence, n), 2),
                    "observed_at": state["effective_from"] + pd.to_timedelta(days_late, "D"),
                    "effective_from": state["effective_from"].to_numpy(),
                    "effective_to": state["effective_to"].to_numpy(),
                }
            )
        )
    signals = pd.concat(frames, ignore_index=True)
    signals = signals[signals["observed_at"] <= now]
    return signals.reindex(columns=list(SIGNAL_COLUMNS)).reset_index(drop=True)


def _burst(
    rng: np.random.Generator, ends: np.ndarray, sizes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Session times for bursts ending at ``ends``, ``sizes`` sessions each, denser towards the
    end; returns the burst index of each session and its time."""
    which = np.repeat(np.arange(ends.size), sizes)
    before = (1.0 - np.sqrt(rng.random(which.size))) * ATTENTION_LEAD.astype(
        "timedelta64[s]"
    ).astype(float)
    return which, ends[which] - before.astype("timedelta64[s]").astype("timedelta64[us]")


def user_events(
    rng: np.random.Generator,
    market: TransferMarket,
    now: datetime,
    *,
    event_days: int = 120,
    views_per_day: float = 0.04,
    attention_share: float = 0.6,
    spike_share: float = 1.0,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """User sessions from ``now - event_days`` to ``now`` (see the module docstring).

    Returns
    -------
    tuple
        The events (``USER_EVENT_COLUMNS``), the moves with ``attention_rise`` (a burst was
        drawn before it) and ``attention_events`` (how many of its events fall before ``now``),
        and the spikes (``player_key``, ``club_key``, ``ends_at``) that lead nowhere.
    """
    start = np.datetime64(now, "us") - np.timedelta64(event_days, "D")
    end = np.datetime64(now, "us")
    # Only players known at ``now`` (a youth player who joins later has no page yet).
    signed = market.contracts.loc[market.contracts["observed_at"] <= now, "player_key"]
    players = market.players.loc[market.players["key"].isin(signed), "key"].to_numpy(dtype=object)
    best = market.states.groupby("player_key")["performance"].max()
    popularity = np.exp(0.8 * best.reindex(players).fillna(-1.0).to_numpy())
    popularity /= popularity.mean()
    # Background: one-event sessions.
    counts = rng.poisson(views_per_day * event_days * popularity)
    background = np.repeat(np.arange(players.size), counts)
    span = (end - start).astype(np.int64)
    at = start + (rng.random(background.size) * span).astype(np.int64).astype("timedelta64[us]")
    parts = [
        pd.DataFrame(
            {
                "session": np.arange(background.size),
                "player_key": players[background],
                "club_key": pd.NA,
                "kind": np.where(rng.random(background.size) < 0.12, "search", "view"),
                "occurred_at": at,
            }
        )
    ]
    moves = market.moves.copy()
    moved_on = moves["moved_on"].to_numpy("datetime64[us]")
    eligible = (
        moves["to_club_key"].notna().to_numpy()
        & ~moves["loan_return"].astype(bool).to_numpy()
        & (moved_on > start)
        & (moved_on - ATTENTION_LEAD < end)
    )
    rises = eligible & (rng.random(len(moves)) < attention_share)
    moves["attention_rise"] = rises
    pop = pd.Series(popularity, index=players)
    chosen = moves[rises]
    sizes = 4 + rng.poisson(5 * pop.reindex(chosen["player_key"]).to_numpy())
    # Spikes: players with no move from the span's start on, and a club they do not join.
    quiet = np.setdiff1d(players, moves.loc[moved_on > start, "player_key"].to_numpy(dtype=object))
    n_spikes = min(round(float(spike_share * rises.sum())), quiet.size)
    club_keys = market.clubs["key"].to_numpy(dtype=object)
    spikes = pd.DataFrame(
        {
            "player_key": rng.choice(quiet, n_spikes, replace=False) if n_spikes else [],
            "club_key": rng.choice(club_keys, n_spikes),
            "ends_at": start
            + (rng.random(n_spikes) * span).astype(np.int64).astype("timedelta64[us]")
            + ATTENTION_LEAD,
        }
    )
    spike_sizes = 4 + rng.poisson(5 * pop.reindex(spikes["player_key"]).to_numpy())
    session = background.size
    for who, clubs_, ends, n in (
        (chosen["player_key"], chosen["to_club_key"], moved_on[rises], sizes),
        (
            spikes["player_key"],
            spikes["club_key"],
            spikes["ends_at"].to_numpy("datetime64[us]"),
            spike_sizes,
        ),
    ):
        burst, times = _burst(rng, ends, n)
        ids = session + np.arange(burst.size)
        session += burst.size
        who_, club_ = who.to_numpy(dtype=object)[burst], clubs_.to_numpy(dtype=object)[burst]
        with_club = rng.random(burst.size) < 0.75
        searched = rng.random(burst.size) < 0.2
        later = (rng.integers(1, 15, burst.size) * 60_000_000).astype("timedelta64[us]")
        parts.append(
            pd.DataFrame(
                {
                    "session": ids,
                    "player_key": who_,
                    "club_key": pd.NA,
                    "kind": "view",
                    "occurred_at": times,
                }
            )
        )
        parts.append(
            pd.DataFrame(
                {
                    "session": ids[with_club],
                    "player_key": who_[with_club],
                    "club_key": club_[with_club],
                    "kind": "view",
                    "occurred_at": (times + later)[with_club],
                }
            )
        )
        parts.append(
            pd.DataFrame(
                {
                    "session": ids[searched],
                    "player_key": who_[searched],
                    "club_key": pd.NA,
                    "kind": "search",
                    "occurred_at": (times - later)[searched],
                }
            )
        )
    events = pd.concat(parts, ignore_index=True)
    events["occurred_at"] = events["occurred_at"].dt.floor("s")
    events = events[(events["occurred_at"] >= start) & (events["occurred_at"] < end)]
    events = events.sort_values(["occurred_at", "session", "kind"], kind="stable").reset_index(
        drop=True
    )
    visible = events.groupby("session").size()
    first = session - sizes.sum() - spike_sizes.sum()
    bursts = np.repeat(np.flatnonzero(rises), sizes)
    seen = visible.reindex(first + np.arange(bursts.size)).fillna(0).to_numpy()
    moves["attention_events"] = np.bincount(bursts, weights=seen, minlength=len(moves)).astype(
        np.int64
    )
    events["session_id"] = "demo-s" + events["session"].astype(str).str.zfill(7)
    events["event_id"] = "demo-e" + pd.Series(np.arange(len(events)), dtype="int64").astype(
        str
    ).str.zfill(8)
    return events.drop(columns=["session"]), moves, spikes
