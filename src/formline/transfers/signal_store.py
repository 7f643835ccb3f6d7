"""Signals and the store: derive the attention signals of a window from the stored user events
and write them (what ``signals:derive`` will call), and read the signals as of a moment.

The computing is pure (:mod:`formline.transfers.attention`,
:mod:`formline.transfers.signals_as_of`); this module only fetches the rows it needs as Arrow
and writes the result by natural key (:func:`formline.transfers.store_records.write_signals`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd

from formline.engine import InputQuery, compute_session, fetch_arrow
from formline.errors import ConfigError, map_errors
from formline.store.db import Store
from formline.store.load_report import Counts
from formline.store.table_swap import timestamp_literal
from formline.transfers.attention import DERIVED_SIGNAL_CONFIDENCE, attention_signals
from formline.transfers.signals_as_of import AS_OF_COLUMNS, signals_as_of
from formline.transfers.store_records import write_signals

_EVENT_KINDS = {
    "session_id": "text",
    "player_id": "int",
    "club_id": "int",
    "kind": "text",
    "occurred_at": "timestamp",
}
_SIGNAL_KINDS = {
    "id": "int",
    "entity_type": "text",
    "player_id": "int",
    "club_id": "int",
    "signal_type": "text",
    "value_number": "float",
    "source": "text",
    "confidence": "float",
    "observed_at": "timestamp",
    "effective_from": "timestamp",
    "effective_to": "timestamp",
}


@dataclass(frozen=True)
class DerivedSignals:
    """What one derivation did: the window, the events read, the signals per type, and what
    writing them changed (a rerun of the same window: all unchanged)."""

    as_of: datetime
    window: timedelta
    events: int
    per_type: dict[str, int]
    counts: Counts

    def summary(self) -> str:
        """One line: the window, the events read, the signals derived and written."""
        kinds = ", ".join(f"{n} {t}" for t, n in self.per_type.items()) or "no signals"
        c = self.counts
        return (
            f"{self.window / timedelta(days=1):g} days to {self.as_of:%Y-%m-%d %H:%M}: "
            f"{self.events} events, {kinds}; "
            f"{c.inserted} inserted, {c.updated} updated, {c.unchanged} unchanged"
        )


def _events(store: Store, start: datetime, end: datetime) -> pd.DataFrame:
    low, high = timestamp_literal(store.dialect, start), timestamp_literal(store.dialect, end)
    query = InputQuery(
        "SELECT session_id, player_id, club_id, kind, occurred_at FROM user_events "
        f"WHERE occurred_at > {low} AND occurred_at <= {high}",
        _EVENT_KINDS,
    )
    frame: pd.DataFrame = fetch_arrow(store, query).to_pandas(timestamp_as_object=False)
    frame["club_id"] = frame["club_id"].astype("Int64")
    return frame


def derive_signals(
    store: Store,
    as_of: datetime,
    window_days: float,
    *,
    confidence: float = DERIVED_SIGNAL_CONFIDENCE,
) -> DerivedSignals:
    """Derive the attention signals of the ``window_days`` ending at ``as_of`` (naive UTC) from
    the stored user events, and write them as signal events by natural key.

    Raises
    ------
    ConfigError
        If the window is not positive or the confidence is outside [0, 1].
    StoreError
        If the store refuses the read or the write (nothing is written then).
    """
    if window_days <= 0:
        raise ConfigError(f"--window: must be positive, got {window_days} days")
    if not 0.0 <= confidence <= 1.0:
        raise ConfigError(f"DERIVED_SIGNAL_CONFIDENCE: must be in [0, 1], got {confidence}")
    window = timedelta(days=window_days)
    events = _events(store, as_of - window, as_of)
    con = compute_session()
    try:
        with map_errors("deriving attention signals"):
            rows = attention_signals(events, as_of, window, confidence=confidence, con=con)
    finally:
        con.close()
    counts = write_signals(store, rows)
    per_type = rows.groupby("signal_type").size().to_dict()
    return DerivedSignals(
        as_of, window, len(events), {str(k): int(v) for k, v in per_type.items()}, counts
    )


def read_signals(store: Store, where: str = "") -> pd.DataFrame:
    """Every stored signal event (optionally filtered by an SQL ``where`` on ``signal_events``),
    with numeric values, as a frame for :func:`~formline.transfers.signals_as_of.signals_as_of`."""
    condition = f" WHERE {where}" if where else ""
    query = InputQuery(
        f"SELECT {', '.join(_SIGNAL_KINDS)} FROM signal_events{condition} ORDER BY id",
        _SIGNAL_KINDS,
    )
    frame: pd.DataFrame = fetch_arrow(store, query).to_pandas(timestamp_as_object=False)
    for column in ("player_id", "club_id"):
        frame[column] = frame[column].astype("Int64")
    return frame


def read_signals_as_of(store: Store, as_of: datetime) -> pd.DataFrame:
    """The stored signals that hold as of ``as_of``, the latest per entity and signal type."""
    known = f"observed_at <= {timestamp_literal(store.dialect, as_of)}"
    frame = read_signals(store, known)
    con = compute_session()
    try:
        with map_errors("reading signals as of a moment"):
            return signals_as_of(frame.loc[:, ["id", *AS_OF_COLUMNS]], as_of, con=con)
    finally:
        con.close()
