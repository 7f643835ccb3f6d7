"""Who is where as of a moment, rebuilt from spells (pure: frames in, frames out; DuckDB).

The transfer data has no squad lists: a player is at a club from the move that took him there
until the move that took him away. As of ``T`` only the moves known then count
(``observed_at <= T``), so a move announced after ``T`` changes nothing as of ``T``.

* **At risk** (:func:`players_at_risk`): each player's latest move known at ``T`` (by
  ``observed_at``, then season and window, a loan's return before another move of the same
  window, then the row id) took him to a club; that club is his club as of ``T``. A player whose
  latest move ended at no club (retired, without a club) is not at risk; neither is one whose
  age as of ``T`` (his age at that move plus the seasons since) passes ``max_age``, a stand-in
  for retirements the data does not list.
* **Clubs** (:func:`clubs_as_of`): every club named by a move known at ``T``, or in a league in
  the season of ``T``; its league and tier in that season (``club_seasons`` of exactly that
  season: a club that dropped out of the covered leagues has no league then, not its old one);
  and its strength, the fees it paid for arrivals known in the :data:`STRENGTH_DAYS` before
  ``T`` (the data has no table or budget for every club; the demo's true strength is not stored).

The season of ``T`` starts with the summer window: from 15 June (:func:`season_of`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb
import pandas as pd

#: Oldest age at which a player still counts as at risk (the data lists few retirements).
MAX_AGE = 40
#: Days of arrival fees that make a club's strength.
STRENGTH_DAYS = 730

#: The transfer columns the rebuild reads.
TRANSFER_COLUMNS = (
    "id",
    "player_id",
    "from_club_id",
    "to_club_id",
    "season",
    "transfer_window",
    "age",
    "fee_eur",
    "is_loan",
    "loan_return",
    "observed_at",
)


@dataclass(frozen=True)
class CandidateInputs:
    """What candidates are made of, as read from a store (any ``observed_at``; the functions
    here cut them at ``T``): ``transfers`` (:data:`TRANSFER_COLUMNS`), ``club_seasons``
    (``club_id``, ``season``, ``league_id``), ``leagues`` (``id``, ``tier``) and ``signals``
    (the columns of :data:`formline.transfers.signals_as_of.AS_OF_COLUMNS`)."""

    transfers: pd.DataFrame
    club_seasons: pd.DataFrame
    leagues: pd.DataFrame
    signals: pd.DataFrame


def season_of(as_of: datetime) -> int:
    """The season (its first year) ``as_of`` falls in: from 15 June on, the new one."""
    return as_of.year if (as_of.month, as_of.day) >= (6, 15) else as_of.year - 1


def window_opens(season: int, window: str) -> datetime:
    """When a window opens: 15 June of ``season`` (summer), 1 January of the next year
    (winter), as in the demo market."""
    if window == "summer":
        return datetime(season, 6, 15)
    if window == "winter":
        return datetime(season + 1, 1, 1)
    raise ValueError(f"unknown transfer window {window!r}; expected summer or winter")


def _connect(con: duckdb.DuckDBPyConnection | None) -> duckdb.DuckDBPyConnection:
    if con is not None:
        return con
    db = duckdb.connect(":memory:")
    db.execute("SET TimeZone = 'UTC'")
    return db


def _moves(transfers: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in TRANSFER_COLUMNS if c not in transfers.columns]
    if missing:
        raise ValueError(f"transfers lack the columns {', '.join(missing)}")
    frame = transfers.loc[:, list(TRANSFER_COLUMNS)].copy()
    for column in ("id", "player_id", "from_club_id", "to_club_id", "season", "age"):
        frame[column] = frame[column].astype("Int64")
    for column in ("is_loan", "loan_return"):
        frame[column] = frame[column].astype("boolean")
    frame["fee_eur"] = frame["fee_eur"].astype("Float64")
    frame["observed_at"] = frame["observed_at"].astype("datetime64[us]")
    return frame


_AT_RISK = """
SELECT player_id, to_club_id AS club_id, season AS since_season,
       transfer_window AS since_window, is_loan AS on_loan,
       age + ($season - season) AS age
FROM (
    SELECT *, row_number() OVER (
        PARTITION BY player_id
        ORDER BY observed_at DESC, season DESC, (transfer_window = 'winter') DESC,
                 coalesce(loan_return, false) ASC, id DESC
    ) AS latest
    FROM moves WHERE observed_at <= $as_of
)
WHERE latest = 1 AND to_club_id IS NOT NULL
  AND (age IS NULL OR age + ($season - season) <= $max_age)
ORDER BY player_id
"""


def players_at_risk(
    transfers: pd.DataFrame,
    as_of: datetime,
    *,
    max_age: int = MAX_AGE,
    con: duckdb.DuckDBPyConnection | None = None,
) -> pd.DataFrame:
    """The players at a club as of ``as_of`` (naive UTC), rebuilt from the moves known then.

    Parameters
    ----------
    transfers
        Moves with :data:`TRANSFER_COLUMNS` (any ``observed_at``; later ones are ignored).
    as_of
        The moment.
    max_age
        Players older than this as of ``as_of`` are taken to have retired.
    con
        A DuckDB connection to run on (a fresh in-memory one if None).

    Returns
    -------
    pandas.DataFrame
        One row per player at risk: ``player_id``, ``club_id`` (his club as of ``as_of``),
        ``since_season``, ``since_window`` (the move that took him there), ``on_loan``,
        ``age`` (NA when unknown); sorted by player.
    """
    db = _connect(con)
    try:
        db.register("moves", _moves(transfers))
        params = {"as_of": as_of, "season": season_of(as_of), "max_age": max_age}
        rows = db.execute(_AT_RISK, params).df()
        db.unregister("moves")
    finally:
        if con is None:
            db.close()
    for column in ("player_id", "club_id", "since_season", "age"):
        rows[column] = rows[column].astype("Int64")
    return rows.reset_index(drop=True)


_CLUBS = """
WITH known AS (
    SELECT from_club_id AS club_id FROM moves
    WHERE observed_at <= $as_of AND from_club_id IS NOT NULL
    UNION SELECT to_club_id FROM moves WHERE observed_at <= $as_of AND to_club_id IS NOT NULL
    UNION SELECT club_id FROM seasons WHERE season = $season
),
spend AS (
    SELECT to_club_id AS club_id, sum(coalesce(fee_eur, 0)) AS strength FROM moves
    WHERE observed_at <= $as_of AND observed_at > $since AND to_club_id IS NOT NULL
    GROUP BY to_club_id
)
SELECT k.club_id, s.league_id, l.tier, coalesce(p.strength, 0.0) AS strength
FROM known k
LEFT JOIN seasons s ON s.club_id = k.club_id AND s.season = $season
LEFT JOIN leagues l ON l.id = s.league_id
LEFT JOIN spend p ON p.club_id = k.club_id
ORDER BY k.club_id
"""


def clubs_as_of(
    transfers: pd.DataFrame,
    club_seasons: pd.DataFrame,
    leagues: pd.DataFrame,
    as_of: datetime,
    *,
    con: duckdb.DuckDBPyConnection | None = None,
) -> pd.DataFrame:
    """The clubs known as of ``as_of``, with their league, tier and strength then (see the
    module docstring).

    Parameters
    ----------
    transfers
        Moves with :data:`TRANSFER_COLUMNS`.
    club_seasons
        ``club_id``, ``season``, ``league_id``: a club's league per season.
    leagues
        ``id``, ``tier``.
    as_of
        The moment (naive UTC).
    con
        A DuckDB connection to run on (a fresh in-memory one if None).

    Returns
    -------
    pandas.DataFrame
        ``club_id``, ``league_id`` and ``tier`` (NA outside the leagues that season),
        ``strength`` (euros of arrival fees, 0 when none); sorted by club.
    """
    db = _connect(con)
    seasons = club_seasons.loc[:, ["club_id", "season", "league_id"]].astype("Int64")
    tiers = leagues.loc[:, ["id", "tier"]].astype("Int64")
    try:
        db.register("moves", _moves(transfers))
        db.register("seasons", seasons)
        db.register("leagues", tiers)
        params = {
            "as_of": as_of,
            "since": as_of - timedelta(days=STRENGTH_DAYS),
            "season": season_of(as_of),
        }
        rows = db.execute(_CLUBS, params).df()
        for name in ("moves", "seasons", "leagues"):
            db.unregister(name)
    finally:
        if con is None:
            db.close()
    for column in ("club_id", "league_id", "tier"):
        rows[column] = rows[column].astype("Int64")
    rows["strength"] = rows["strength"].astype(float)
    return rows.reset_index(drop=True)
