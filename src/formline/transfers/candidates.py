"""Candidate clubs per player at risk as of a moment (pure: frames in, frame out; one DuckDB
statement, no query per player).

The second model asks "to which club, given he moves" over a candidate set; this module builds
that set. Per player up to ``n`` (:data:`CANDIDATE_CLUBS_PER_PLAYER`) clubs, never his own,
each with the reasons it is there:

* ``signal``: a ``player_club`` signal holds about the pair as of ``T`` (destination
  co-occurrence and the like; the real data has none, the demo world's users make them);
* ``same_league``: a club of his club's league in the season of ``T``;
* ``top_other_league``: one of the :data:`TOP_CLUBS_PER_LEAGUE` strongest clubs of every
  other league that season;
* ``random``: seeded random negatives from the clubs in a league that season.

Priority when more than ``n`` qualify
-------------------------------------
``random_negatives`` slots (capped at ``n``) are kept for random clubs. The others go, in this
order, to: signal clubs (strongest signal first), same-league clubs (strongest first), then the
top clubs of other leagues (every league's strongest before any league's second, a better tier
first within a rank). A club that qualifies twice is listed once, with both reasons, at its
better place. Slots the first three leave empty go to random clubs too, so a player gets ``n``
candidates whenever enough clubs are in a league. Ties break by club id.

Strength is the ``strength`` column of the clubs (see
:func:`formline.transfers.spells.clubs_as_of`). The random draw ranks each (player, club) by
DuckDB's hash of (seed, player, club): the same inputs and seed give the same set (on one DuckDB
version), whatever other players are in the frame.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from formline.transfers.signals_as_of import signals_as_of
from formline.transfers.spells import CandidateInputs, clubs_as_of, players_at_risk

#: Candidate clubs per player (the ``CANDIDATE_CLUBS_PER_PLAYER`` of the seed worker).
CANDIDATE_CLUBS_PER_PLAYER = 20
#: How many clubs of each other league are "top clubs".
TOP_CLUBS_PER_LEAGUE = 3
#: Slots kept for seeded random negatives.
RANDOM_NEGATIVES = 3
#: The reasons, in priority order.
REASONS = ("signal", "same_league", "top_other_league", "random")

_SQL = """
WITH p AS (
    SELECT a.player_id, a.club_id AS own_club, c.league_id AS own_league
    FROM at_risk a LEFT JOIN clubs c ON c.club_id = a.club_id
),
ranked AS (
    SELECT club_id, league_id, coalesce(tier, 99) AS tier, row_number() OVER (
        PARTITION BY league_id ORDER BY strength DESC, club_id
    ) AS league_rank
    FROM clubs WHERE league_id IS NOT NULL
),
sig AS (
    SELECT player_id, club_id, max(value_number) AS value FROM signals
    WHERE entity_type = 'player_club' AND player_id IS NOT NULL AND club_id IS NOT NULL
    GROUP BY player_id, club_id
),
options AS (
    SELECT p.player_id, s.club_id, 1 AS priority, 'signal' AS reason,
           -coalesce(s.value, 0.0) AS k1, 0 AS k2
    FROM p JOIN sig s ON s.player_id = p.player_id AND s.club_id <> p.own_club
    UNION ALL
    SELECT p.player_id, r.club_id, 2, 'same_league', r.league_rank, 0
    FROM p JOIN ranked r ON r.league_id = p.own_league AND r.club_id <> p.own_club
    UNION ALL
    SELECT p.player_id, r.club_id, 3, 'top_other_league', r.league_rank, r.tier
    FROM p JOIN ranked r ON r.league_id IS DISTINCT FROM p.own_league
     AND r.league_rank <= $top AND r.club_id <> p.own_club
),
ordered AS (
    SELECT *, row_number() OVER (
        PARTITION BY player_id ORDER BY priority, k1, k2, club_id
    ) AS place
    FROM options
),
per_club AS (
    SELECT player_id, club_id, min(place) AS place,
           string_agg(reason, ',' ORDER BY priority) AS reasons
    FROM ordered GROUP BY player_id, club_id
),
chosen AS (
    SELECT player_id, club_id, reasons, pick FROM (
        SELECT *, row_number() OVER (PARTITION BY player_id ORDER BY place) AS pick
        FROM per_club
    ) WHERE pick <= $keep
),
filled AS (SELECT player_id, count(*) AS taken FROM chosen GROUP BY player_id),
draws AS (
    SELECT p.player_id, r.club_id, row_number() OVER (
        PARTITION BY p.player_id ORDER BY hash($seed, p.player_id, r.club_id), r.club_id
    ) AS pick
    FROM p JOIN ranked r ON r.club_id <> p.own_club
    WHERE NOT EXISTS (
        SELECT 1 FROM chosen x WHERE x.player_id = p.player_id AND x.club_id = r.club_id
    )
)
SELECT player_id, club_id, pick AS rank, reasons FROM chosen
UNION ALL
SELECT d.player_id, d.club_id, coalesce(f.taken, 0) + d.pick, 'random'
FROM draws d LEFT JOIN filled f ON f.player_id = d.player_id
WHERE coalesce(f.taken, 0) + d.pick <= $n
ORDER BY player_id, rank
"""


def generate_candidates(
    at_risk: pd.DataFrame,
    clubs: pd.DataFrame,
    signals: pd.DataFrame | None = None,
    *,
    n: int = CANDIDATE_CLUBS_PER_PLAYER,
    seed: int = 0,
    top_per_league: int = TOP_CLUBS_PER_LEAGUE,
    random_negatives: int = RANDOM_NEGATIVES,
    con: duckdb.DuckDBPyConnection | None = None,
) -> pd.DataFrame:
    """Up to ``n`` candidate clubs per player at risk, with their reasons (see the module
    docstring for the priority).

    Parameters
    ----------
    at_risk
        ``player_id``, ``club_id`` (his club as of ``T``), as
        :func:`formline.transfers.spells.players_at_risk` gives them.
    clubs
        ``club_id``, ``league_id``, ``tier``, ``strength`` as of ``T``, as
        :func:`formline.transfers.spells.clubs_as_of` gives them.
    signals
        The signals as of ``T`` (:func:`formline.transfers.signals_as_of.signals_as_of`);
        ``player_club`` rows with a ``value_number`` make ``signal`` candidates. None: none.
    n
        Most candidates per player.
    seed
        Seed of the random negatives.
    top_per_league
        Clubs of each other league that are "top clubs".
    random_negatives
        Slots kept for random clubs (at most ``n``).
    con
        A DuckDB connection to run on (a fresh in-memory one if None).

    Returns
    -------
    pandas.DataFrame
        ``player_id``, ``club_id``, ``rank`` (1 = first by the priority), ``reasons`` (comma
        separated, in :data:`REASONS` order); sorted by player and rank.

    Raises
    ------
    ValueError
        If ``n`` is below 1, or ``top_per_league`` or ``random_negatives`` is negative.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if top_per_league < 0 or random_negatives < 0:
        raise ValueError("top_per_league and random_negatives must not be negative")
    people = at_risk.loc[:, ["player_id", "club_id"]].astype("Int64")
    known = clubs.loc[:, ["club_id", "league_id", "tier", "strength"]].astype(
        {"club_id": "Int64", "league_id": "Int64", "tier": "Int64", "strength": "float64"}
    )
    if signals is None or signals.empty:
        pairs = pd.DataFrame(
            {
                "entity_type": pd.Series(dtype="string"),
                "player_id": pd.Series(dtype="Int64"),
                "club_id": pd.Series(dtype="Int64"),
                "value_number": pd.Series(dtype="float64"),
            }
        )
    else:
        pairs = signals.loc[:, ["entity_type", "player_id", "club_id", "value_number"]].astype(
            {"player_id": "Int64", "club_id": "Int64", "value_number": "float64"}
        )
    own = con is None
    db = duckdb.connect(":memory:") if con is None else con
    try:
        for name, frame in (("at_risk", people), ("clubs", known), ("signals", pairs)):
            db.register(name, frame)
        params = {
            "n": n,
            "keep": n - min(random_negatives, n),
            "top": top_per_league,
            "seed": seed,
        }
        rows = db.execute(_SQL, params).df()
        for name in ("at_risk", "clubs", "signals"):
            db.unregister(name)
    finally:
        if own:
            db.close()
    for column in ("player_id", "club_id", "rank"):
        rows[column] = rows[column].astype("Int64")
    rows["reasons"] = rows["reasons"].astype(str)
    return rows.reset_index(drop=True)


def candidates_from_inputs(
    inputs: CandidateInputs,
    as_of: datetime,
    *,
    n: int = CANDIDATE_CLUBS_PER_PLAYER,
    seed: int = 0,
    top_per_league: int = TOP_CLUBS_PER_LEAGUE,
    random_negatives: int = RANDOM_NEGATIVES,
    con: duckdb.DuckDBPyConnection | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The players at risk as of ``as_of`` (naive UTC) and their candidate clubs, from inputs
    read at any time and cut at ``as_of`` here: ``(at_risk, candidates)``.

    Only facts known at ``as_of`` count: moves and signals observed at or before it, club
    seasons of its season (see :mod:`formline.transfers.spells`). The other parameters are
    :func:`generate_candidates`'s."""
    db = duckdb.connect(":memory:") if con is None else con
    try:
        if con is None:
            db.execute("SET TimeZone = 'UTC'")
        at_risk = players_at_risk(inputs.transfers, as_of, con=db)
        clubs = clubs_as_of(inputs.transfers, inputs.club_seasons, inputs.leagues, as_of, con=db)
        signals = inputs.signals
        if not signals.empty:
            signals = signals_as_of(signals, as_of, con=db)
        candidates = generate_candidates(
            at_risk,
            clubs,
            signals,
            n=n,
            seed=seed,
            top_per_league=top_per_league,
            random_negatives=random_negatives,
            con=db,
        )
    finally:
        if con is None:
            db.close()
    return at_risk, candidates
