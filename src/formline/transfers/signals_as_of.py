"""The point-in-time read of bitemporal signals, one DuckDB query over a frame (pure: no store).

As of ``T`` a signal counts only if it was known (``observed_at <= T``) and holds at ``T``
(``effective_from <= T < effective_to``, an open ``effective_to`` holding for ever). Of those,
each (entity type, player, club, signal type) keeps one: the latest ``effective_from`` (the most
recent state), then the latest ``observed_at`` (a correction learned later wins), then the
highest confidence, then the source's name (so ties are broken the same way every time).

A signal observed after ``T`` (a late-published market value about a day before ``T``
included) changes nothing as of ``T``: the property test in tests/transfers proves it.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

#: The columns the read needs (``value_text`` and others pass through when present).
AS_OF_COLUMNS = (
    "entity_type",
    "player_id",
    "club_id",
    "signal_type",
    "value_number",
    "source",
    "confidence",
    "observed_at",
    "effective_from",
    "effective_to",
)

_SQL = """
SELECT * EXCLUDE (pick) FROM (
    SELECT *, row_number() OVER (
        PARTITION BY entity_type, player_id, club_id, signal_type
        ORDER BY effective_from DESC, observed_at DESC, confidence DESC, source
    ) AS pick
    FROM signals
    WHERE observed_at <= $as_of AND effective_from <= $as_of
      AND (effective_to IS NULL OR $as_of < effective_to)
)
WHERE pick = 1
ORDER BY entity_type, signal_type, player_id NULLS FIRST, club_id NULLS FIRST
"""


def signals_as_of(
    signals: pd.DataFrame, as_of: datetime, *, con: duckdb.DuckDBPyConnection | None = None
) -> pd.DataFrame:
    """The signals that hold as of ``as_of`` (naive UTC), the latest per entity and signal type
    (see the module docstring).

    Parameters
    ----------
    signals
        Signal events with at least :data:`AS_OF_COLUMNS` (ids or keys in ``player_id`` and
        ``club_id``; timestamps naive UTC).
    as_of
        The moment to read at.
    con
        A DuckDB connection to run on (a fresh in-memory one if None).

    Returns
    -------
    pandas.DataFrame
        The rows kept, with the input's columns and dtypes (timestamps as ``datetime64[us]``),
        sorted by entity type, signal type, player and club; an index from 0.
    """
    missing = [c for c in AS_OF_COLUMNS if c not in signals.columns]
    if missing:
        raise ValueError(f"signals lack the columns {', '.join(missing)}")
    stamps = {c: "datetime64[us]" for c in ("observed_at", "effective_from", "effective_to")}
    signals = signals.astype(stamps)
    if signals.empty:
        # DuckDB types the columns of an empty frame by their values, and there are none (an
        # empty text column comes back as integers on older DuckDB): nothing holds, as typed.
        return signals.reset_index(drop=True)
    own = con is None
    db = duckdb.connect(":memory:") if con is None else con
    try:
        if own:
            db.execute("SET TimeZone = 'UTC'")
        db.register("signals", signals)
        rows = db.execute(_SQL, {"as_of": as_of}).df()
        db.unregister("signals")
    finally:
        if own:
            db.close()
    # The rows in the input's own dtypes, whatever DuckDB made of them (an empty result and a
    # full one alike).
    return rows.astype(signals.dtypes[rows.columns].to_dict()).reset_index(drop=True)
