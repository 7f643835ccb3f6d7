"""The candidate generator's recall (what ``candidates:audit`` will report; pure over frames).

For each window ``W``, as of its opening ``T`` (:func:`formline.transfers.spells.window_opens`):
the players at risk and their candidates, from the facts known at ``T`` only; then the moves of
``W`` (its season and window, observed after ``T``) that took a player at risk to a club, his
first of the window (a loan's return first, as the data lists it). Recall is the share of those
movers whose destination was among his candidates, overall, by reason (the candidate's reasons
include it; a club there for two reasons counts for both), without loan returns (a return
to the parent club is known in advance but rarely a candidate), and for the movers whose
destination was in a league that season (the only clubs the league, top-club and random reasons
can name: most real destinations are outside the covered leagues). ``unseen`` counts the movers of
``W`` not at risk at ``T`` (first seen then, or last seen at no club): no candidate set covers
them.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd

from formline.transfers.candidates import (
    CANDIDATE_CLUBS_PER_PLAYER,
    REASONS,
    candidates_from_inputs,
)
from formline.transfers.spells import CandidateInputs, season_of, window_opens

#: The columns of :attr:`RecallAudit.windows`.
AUDIT_COLUMNS = (
    "season",
    "transfer_window",
    "as_of",
    "at_risk",
    "candidates",
    "movers",
    "hits",
    *(f"hits_{reason}" for reason in REASONS),
    "movers_no_return",
    "hits_no_return",
    "movers_in_league",
    "hits_in_league",
    "unseen",
    "seconds",
)


@dataclass(frozen=True)
class RecallAudit:
    """Per window (:data:`AUDIT_COLUMNS`): players at risk, candidates, movers, hits (overall,
    per reason, without loan returns, to clubs in a league), movers not at risk, seconds
    taken."""

    windows: pd.DataFrame

    def totals(self) -> dict[str, float]:
        """Sums over the windows, with ``recall``, ``recall_<reason>``, ``recall_no_return``,
        ``recall_in_league`` and ``candidates_per_player``."""
        w = self.windows
        sums = {
            c: float(w[c].sum())
            for c in AUDIT_COLUMNS
            if c not in ("season", "transfer_window", "as_of")
        }
        movers = sums["movers"] or float("nan")
        out = dict(sums)
        out["recall"] = sums["hits"] / movers
        for reason in REASONS:
            out[f"recall_{reason}"] = sums[f"hits_{reason}"] / movers
        out["recall_no_return"] = sums["hits_no_return"] / (
            sums["movers_no_return"] or float("nan")
        )
        out["recall_in_league"] = sums["hits_in_league"] / (
            sums["movers_in_league"] or float("nan")
        )
        out["candidates_per_player"] = sums["candidates"] / (sums["at_risk"] or float("nan"))
        return out

    def summary(self) -> str:
        """One line: windows, movers, recall overall, by reason and without returns."""
        t = self.totals()
        reasons = ", ".join(f"{r} {t[f'recall_{r}']:.3f}" for r in REASONS)
        return (
            f"{len(self.windows)} windows, {int(t['at_risk'])} player-windows at risk, "
            f"{t['candidates_per_player']:.1f} candidates per player, {int(t['movers'])} movers "
            f"({int(t['unseen'])} more not at risk): recall {t['recall']:.3f} "
            f"({int(t['hits'])} hits; by reason: {reasons}); "
            f"without loan returns {t['recall_no_return']:.3f}; to a club in a league "
            f"{t['recall_in_league']:.3f} ({int(t['movers_in_league'])} movers); "
            f"{t['seconds']:.1f} s"
        )


def _movers(transfers: pd.DataFrame, season: int, window: str, as_of: object) -> pd.DataFrame:
    moves = transfers[
        (transfers["season"] == season)
        & (transfers["transfer_window"] == window)
        & (transfers["observed_at"] > as_of)
        & transfers["to_club_id"].notna()
    ]
    moves = moves.assign(_back=~moves["loan_return"].fillna(False).astype(bool))
    first = moves.sort_values(["player_id", "observed_at", "_back", "id"]).drop_duplicates(
        "player_id"
    )
    return first.loc[:, ["player_id", "to_club_id", "loan_return"]]


def audit_recall(
    inputs: CandidateInputs,
    windows: Sequence[tuple[int, str]],
    *,
    n: int = CANDIDATE_CLUBS_PER_PLAYER,
    seed: int = 0,
) -> RecallAudit:
    """The generator's recall over ``windows`` (``(season, "summer" | "winter")`` pairs), each
    generated as of its opening from ``inputs`` cut there (see the module docstring).

    Raises
    ------
    ValueError
        For an unknown window name.
    """
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    try:
        rows = [_window(inputs, season, window, n, seed, con) for season, window in windows]
    finally:
        con.close()
    return RecallAudit(pd.DataFrame(rows, columns=list(AUDIT_COLUMNS)))


def _window(
    inputs: CandidateInputs,
    season: int,
    window: str,
    n: int,
    seed: int,
    con: duckdb.DuckDBPyConnection,
) -> dict[str, object]:
    """One row of the audit: the window's candidates as of its opening, and its movers."""
    started = time.perf_counter()
    as_of = window_opens(season, window)
    at_risk, candidates = candidates_from_inputs(inputs, as_of, n=n, seed=seed, con=con)
    seconds = time.perf_counter() - started
    moved = _movers(inputs.transfers, season, window, pd.Timestamp(as_of))
    seen = moved[moved["player_id"].isin(at_risk["player_id"])]
    hit = seen.merge(
        candidates.rename(columns={"club_id": "to_club_id"}),
        on=["player_id", "to_club_id"],
        how="left",
    )
    reasons = hit["reasons"].fillna("")
    found = hit["rank"].notna()
    back = hit["loan_return"].fillna(False).astype(bool)
    row: dict[str, object] = {
        "season": season,
        "transfer_window": window,
        "as_of": as_of,
        "at_risk": len(at_risk),
        "candidates": len(candidates),
        "movers": len(seen),
        "hits": int(found.sum()),
    }
    listed = reasons.str.split(",")
    for reason in REASONS:
        row[f"hits_{reason}"] = int(listed.apply(lambda r, x=reason: x in r).sum())
    row["movers_no_return"] = int((~back).sum())
    row["hits_no_return"] = int((found & ~back).sum())
    seasons = inputs.club_seasons
    leagued = seasons.loc[seasons["season"] == season_of(as_of), "club_id"]
    inside = hit["to_club_id"].isin(leagued).to_numpy()
    row["movers_in_league"] = int(inside.sum())
    row["hits_in_league"] = int((found & inside).sum())
    row["unseen"] = len(moved) - len(seen)
    row["seconds"] = seconds
    return row
