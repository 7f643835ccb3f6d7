"""Derived attention signals from user events, set-based in DuckDB (pure: frames in, frames out;
no store).

For a window of length ``w`` ending at ``as_of`` (events with ``as_of - w < occurred_at <=
as_of``, views only):

* **attention velocity** per player: ``(views in the recent half + 1) / (views in the older half
  + 1) x 100``, capped at :data:`VELOCITY_CAP`, for players with at least
  :data:`VELOCITY_MIN_VIEWS` views in the window;
* **destination co-occurrence** per (player, club): the sessions that viewed both the player and
  the club in the window (a view names the club beside the player), ``x 10``, capped at
  :data:`COOCCURRENCE_CAP`, for pairs with at least :data:`COOCCURRENCE_MIN_SESSIONS` sessions.

Each is a signal event (columns of :data:`formline.transfers.store_records.SIGNAL_ID_COLUMNS`)
with confidence :data:`DERIVED_SIGNAL_CONFIDENCE`, ``observed_at = effective_from = as_of`` and
``effective_to = as_of + w``: known once the window is over, and holding until the next window of
the same length would replace it. The same events, ``as_of`` and window give the same rows, so a
rerun of the same window writes nothing new (the signals' natural key).

These signals exist only where user events do (the demo world): the real transfer data has none.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import pandas as pd

from formline.transfers.records import ATTENTION_VELOCITY, DESTINATION_COOCCURRENCE

#: The confidence of every derived signal (the ``DERIVED_SIGNAL_CONFIDENCE`` of the seed worker).
DERIVED_SIGNAL_CONFIDENCE = 0.6
#: The ``source`` of derived signal events.
DERIVED_SOURCE = "derived"
VELOCITY_CAP = 1000.0
VELOCITY_MIN_VIEWS = 3
COOCCURRENCE_SCALE = 10.0
COOCCURRENCE_CAP = 100.0
COOCCURRENCE_MIN_SESSIONS = 2

#: The columns the derivation reads from user events.
EVENT_COLUMNS = ("session_id", "player_id", "club_id", "kind", "occurred_at")

_SQL = f"""
WITH w AS (
    SELECT session_id, player_id, club_id, occurred_at FROM events
    WHERE kind = 'view' AND occurred_at > $start AND occurred_at <= $as_of
),
velocity AS (
    SELECT player_id, count(*) FILTER (WHERE occurred_at > $middle) AS recent,
           count(*) FILTER (WHERE occurred_at <= $middle) AS older
    FROM w GROUP BY player_id HAVING count(*) >= {VELOCITY_MIN_VIEWS}
),
viewed_players AS (SELECT DISTINCT session_id, player_id FROM w),
viewed_clubs AS (SELECT DISTINCT session_id, club_id FROM w WHERE club_id IS NOT NULL),
pairs AS (
    SELECT p.player_id, c.club_id, count(*) AS sessions
    FROM viewed_players p JOIN viewed_clubs c ON c.session_id = p.session_id
    GROUP BY p.player_id, c.club_id HAVING count(*) >= {COOCCURRENCE_MIN_SESSIONS}
)
SELECT 'player' AS entity_type, player_id, CAST(NULL AS BIGINT) AS club_id,
       '{ATTENTION_VELOCITY}' AS signal_type,
       least((recent + 1) / (older + 1.0) * 100.0, {VELOCITY_CAP}) AS value_number
FROM velocity
UNION ALL
SELECT 'player_club', player_id, club_id, '{DESTINATION_COOCCURRENCE}',
       least(sessions * {COOCCURRENCE_SCALE}, {COOCCURRENCE_CAP})
FROM pairs
ORDER BY signal_type, player_id, club_id
"""


def attention_signals(
    events: pd.DataFrame,
    as_of: datetime,
    window: timedelta,
    *,
    confidence: float = DERIVED_SIGNAL_CONFIDENCE,
    con: duckdb.DuckDBPyConnection | None = None,
) -> pd.DataFrame:
    """The attention velocity and destination co-occurrence signals of the window ending at
    ``as_of`` (see the module docstring).

    Parameters
    ----------
    events
        User events with :data:`EVENT_COLUMNS` (``player_id``, ``club_id`` integer ids; naive
        UTC ``occurred_at``); other columns are ignored.
    as_of
        The window's end, naive UTC.
    window
        Its length (the halves split it in two).
    confidence
        The signals' confidence, in [0, 1].
    con
        A DuckDB connection to run on (a fresh in-memory one if None).

    Returns
    -------
    pandas.DataFrame
        One row per signal: ``entity_type``, ``player_id``, ``club_id``, ``signal_type``,
        ``value_number``, ``source``, ``confidence``, ``observed_at``, ``effective_from``,
        ``effective_to``; sorted by signal type, player and club.

    Raises
    ------
    ValueError
        If ``window`` is not positive or ``confidence`` is outside [0, 1].
    """
    if window <= timedelta(0):
        raise ValueError(f"the window must be positive, got {window}")
    if not 0.0 <= confidence <= 1.0:
        raise ValueError(f"confidence must be in [0, 1], got {confidence}")
    own = con is None
    db = duckdb.connect(":memory:") if con is None else con
    try:
        if own:
            db.execute("SET TimeZone = 'UTC'")
        frame = events.loc[:, list(EVENT_COLUMNS)].astype(
            {"player_id": "int64", "club_id": "Int64", "occurred_at": "datetime64[us]"}
        )
        db.register("events", frame)
        params = {"start": as_of - window, "middle": as_of - window / 2, "as_of": as_of}
        rows = db.execute(_SQL, params).df()
        db.unregister("events")
    finally:
        if own:
            db.close()
    rows["club_id"] = rows["club_id"].astype("Int64")
    rows["value_number"] = rows["value_number"].astype(float)
    rows["source"] = DERIVED_SOURCE
    rows["confidence"] = float(confidence)
    stamp = pd.Timestamp(as_of).as_unit("us")
    rows["observed_at"] = stamp
    rows["effective_from"] = stamp
    rows["effective_to"] = (stamp + pd.Timedelta(window)).as_unit("us")
    return rows
