"""Candidates and the store: read what the candidate generator needs as of a moment (only facts
observed at or before it) from the transfer tables, and generate the candidates then (what
``candidates:generate`` will call).

The computing is pure (:mod:`formline.transfers.spells`, :mod:`formline.transfers.candidates`);
this module only fetches the rows as Arrow, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pandas as pd

from formline.engine import InputQuery, compute_session, fetch_arrow
from formline.errors import map_errors
from formline.store.db import Store
from formline.store.table_swap import timestamp_literal
from formline.transfers.candidate_audit import RecallAudit, audit_recall
from formline.transfers.candidates import CANDIDATE_CLUBS_PER_PLAYER, candidates_from_inputs
from formline.transfers.signal_store import read_signals
from formline.transfers.spells import CandidateInputs, season_of

_TRANSFER_KINDS = {
    "id": "int",
    "player_id": "int",
    "from_club_id": "int",
    "to_club_id": "int",
    "season": "int",
    "transfer_window": "text",
    "age": "int",
    "fee_eur": "float",
    "is_loan": "bool",
    "loan_return": "bool",
    "observed_at": "timestamp",
}
_SEASON_KINDS = {"club_id": "int", "season": "int", "league_id": "int"}
_LEAGUE_KINDS = {"id": "int", "tier": "int"}


def _frame(store: Store, sql: str, kinds: dict[str, str]) -> pd.DataFrame:
    frame: pd.DataFrame = fetch_arrow(store, InputQuery(sql, kinds)).to_pandas(
        timestamp_as_object=False
    )
    for column, kind in kinds.items():
        if kind == "int":
            frame[column] = frame[column].astype("Int64")
        elif kind == "bool":
            frame[column] = frame[column].astype("boolean")
    return frame


def read_candidate_inputs(store: Store, as_of: datetime | None = None) -> CandidateInputs:
    """The transfers, club seasons, leagues and signal events the generator reads, as frames.

    With ``as_of`` (naive UTC) only what was known then: moves and signals observed at or
    before it, club seasons up to its season. Without it, everything (the recall audit reads
    once and cuts per window; the pure functions cut at their own ``T`` either way).

    Raises
    ------
    StoreError
        If the store refuses a read.
    """
    moves = f"SELECT {', '.join(_TRANSFER_KINDS)} FROM transfers"
    seasons = f"SELECT {', '.join(_SEASON_KINDS)} FROM club_seasons"
    known = ""
    if as_of is not None:
        at = timestamp_literal(store.dialect, as_of)
        moves += f" WHERE observed_at <= {at}"
        seasons += f" WHERE season <= {season_of(as_of)}"
        known = f"observed_at <= {at}"
    return CandidateInputs(
        transfers=_frame(store, moves + " ORDER BY id", _TRANSFER_KINDS),
        club_seasons=_frame(store, seasons + " ORDER BY club_id, season", _SEASON_KINDS),
        leagues=_frame(store, "SELECT id, tier FROM leagues ORDER BY id", _LEAGUE_KINDS),
        signals=read_signals(store, known),
    )


def candidates_as_of(
    store: Store, as_of: datetime, *, n: int = CANDIDATE_CLUBS_PER_PLAYER, seed: int = 0
) -> pd.DataFrame:
    """The candidate clubs of every player at risk as of ``as_of`` (naive UTC), from what the
    store knew then: ``player_id``, ``club_id``, ``rank``, ``reasons``.

    Raises
    ------
    StoreError
        If the store refuses a read.
    """
    inputs = read_candidate_inputs(store, as_of)
    con = compute_session()
    try:
        with map_errors("generating transfer candidates"):
            return candidates_from_inputs(inputs, as_of, n=n, seed=seed, con=con)[1]
    finally:
        con.close()


def audit_store(
    store: Store,
    windows: Sequence[tuple[int, str]],
    *,
    n: int = CANDIDATE_CLUBS_PER_PLAYER,
    seed: int = 0,
) -> RecallAudit:
    """The generator's recall over ``windows`` on the store's transfers (read once, cut at each
    window's opening): see :mod:`formline.transfers.candidate_audit`.

    Raises
    ------
    StoreError
        If the store refuses a read.
    """
    inputs = read_candidate_inputs(store)
    with map_errors("auditing transfer candidates"):
        return audit_recall(inputs, windows, n=n, seed=seed)


def seasons_windows(first: int, last: int) -> list[tuple[int, str]]:
    """Every (season, window) from ``first``'s summer to ``last``'s winter."""
    return [(s, w) for s in range(first, last + 1) for w in ("summer", "winter")]
