"""The candidate generator and the spells it stands on (pure frames): who is at risk as of T,
the clubs then, candidates with their reasons and priority, never the player's own club, at
most N, reproducible by seed, and point in time (a move observed after T changes nothing as of
T, and does change things later: the positive control); and the recall audit's counting."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
from test_transfer_layering import BANNED, SRC, _imports

from formline.transfers.candidate_audit import audit_recall
from formline.transfers.candidates import candidates_from_inputs, generate_candidates
from formline.transfers.spells import (
    CandidateInputs,
    clubs_as_of,
    players_at_risk,
    season_of,
    window_opens,
)

T = datetime(2020, 6, 15)  # the summer window of 2020 opens
LEAGUES = pd.DataFrame({"id": [1, 2, 3], "tier": [1, 1, 2]})
# League 1: clubs 11-14; league 2: 21-24; league 3 (tier 2): 31-33; club 90 in no league.
SEASONS = pd.DataFrame(
    {
        "club_id": [11, 12, 13, 14, 21, 22, 23, 24, 31, 32, 33],
        "season": [2020] * 11,
        "league_id": [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3],
    }
)


def _moves(rows: list[tuple[object, ...]]) -> pd.DataFrame:
    """Moves from (player, from, to, season, window, fee, observed_at[, age, loan_return])."""
    out = []
    for i, row in enumerate(rows, start=1):
        player, source, target, season, window, fee, seen, *rest = row
        age = rest[0] if rest else 25
        back = rest[1] if len(rest) > 1 else False
        out.append(
            dict(
                id=i,
                player_id=player,
                from_club_id=source,
                to_club_id=target,
                season=season,
                transfer_window=window,
                age=age,
                fee_eur=fee,
                is_loan=False,
                loan_return=back,
                observed_at=seen,
            )
        )
    return pd.DataFrame(out)


SUMMER_2019 = datetime(2019, 9, 1)
WINTER_2019 = datetime(2020, 2, 1)
MOVES = _moves(
    [
        (1, 90, 11, 2019, "summer", 1e6, SUMMER_2019),
        (2, 11, 21, 2019, "summer", 30e6, SUMMER_2019),  # makes 21 the strongest of league 2
        (3, 22, 12, 2019, "winter", 5e6, WINTER_2019),
        (4, 31, 32, 2019, "winter", 2e6, WINTER_2019),
        (5, 12, None, 2019, "winter", None, WINTER_2019),  # retired: not at risk
        (6, 90, 23, 2019, "summer", 0.0, SUMMER_2019, 45),  # too old: not at risk
        (7, 13, 14, 2020, "summer", 1e6, datetime(2020, 9, 1)),  # after T
    ]
)


def _inputs(moves: pd.DataFrame, signals: pd.DataFrame | None = None) -> CandidateInputs:
    empty = pd.DataFrame(
        columns=[
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
        ]
    )
    return CandidateInputs(moves, SEASONS, LEAGUES, empty if signals is None else signals)


def _pair_signal(player: int, club: int, value: float, seen: datetime) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "entity_type": ["player_club"],
            "player_id": [player],
            "club_id": [club],
            "signal_type": ["destination_cooccurrence"],
            "value_number": [value],
            "source": ["derived"],
            "confidence": [0.6],
            "observed_at": [seen],
            "effective_from": [seen],
            "effective_to": [datetime(2021, 1, 1)],
        }
    )


def test_the_players_at_risk_and_the_clubs_are_rebuilt_from_what_was_known() -> None:
    at_risk = players_at_risk(MOVES, T)
    assert at_risk["player_id"].tolist() == [1, 2, 3, 4]  # 5 retired, 6 too old, 7 not yet
    assert at_risk["club_id"].tolist() == [11, 21, 12, 32]
    assert at_risk.loc[0, "age"] == 26  # 25 at his 2019 move, a season on
    clubs = clubs_as_of(MOVES, SEASONS, LEAGUES, T).set_index("club_id")
    assert 90 in clubs.index and pd.isna(clubs.loc[90, "league_id"])
    assert clubs.loc[21, "strength"] == 30e6 and clubs.loc[13, "strength"] == 0
    assert clubs.loc[31, "tier"] == 2
    assert season_of(T) == 2020 and season_of(datetime(2021, 1, 1)) == 2020
    assert window_opens(2020, "winter") == datetime(2021, 1, 1)
    with pytest.raises(ValueError, match="unknown transfer window"):
        window_opens(2020, "spring")


def test_a_loan_return_comes_before_another_move_of_the_same_window() -> None:
    moves = _moves(
        [
            (1, 11, 21, 2019, "summer", 0.0, SUMMER_2019),
            (1, 31, 11, 2019, "summer", 0.0, SUMMER_2019, 25, True),  # listed after, yet first
        ]
    )
    assert players_at_risk(moves, T)["club_id"].tolist() == [21]


def test_candidates_have_their_reasons_and_never_the_own_club() -> None:
    signals = pd.concat([_pair_signal(1, 33, 40.0, T), _pair_signal(1, 12, 20.0, T)])
    _, got = candidates_from_inputs(_inputs(MOVES, signals), T, n=20, seed=1)
    mine = got[got["player_id"] == 1].set_index("club_id")["reasons"].to_dict()
    assert 11 not in mine  # his own club
    assert mine[33] == "signal,top_other_league"  # both reasons, listed once
    assert mine[12] == "signal,same_league"
    assert mine[13] == mine[14] == "same_league"
    assert {c for c, r in mine.items() if r == "top_other_league"} == {21, 22, 23, 31, 32}  # 33 too
    assert {c for c, r in mine.items() if r == "random"} == {24}  # the only club left in a league
    assert 90 not in mine  # random negatives come from the clubs in a league
    assert (
        got.groupby("player_id")["rank"]
        .apply(lambda r: r.tolist() == list(range(1, len(r) + 1)))
        .all()
    )
    own = players_at_risk(MOVES, T).set_index("player_id")["club_id"]
    assert (got["club_id"] != got["player_id"].map(own)).all()


def test_the_priority_and_the_cap_when_more_than_n_qualify() -> None:
    signals = _pair_signal(1, 33, 40.0, T)
    _, got = candidates_from_inputs(_inputs(MOVES, signals), T, n=4, seed=1, random_negatives=1)
    assert got.groupby("player_id").size().max() == 4
    mine = got[got["player_id"] == 1].sort_values("rank")
    # One slot kept for a random club; then signal, same league by strength (12 paid 5e6).
    reasons = mine["reasons"].tolist()
    assert reasons[:3] == ["signal,top_other_league", "same_league", "same_league"]
    assert mine["club_id"].tolist()[:2] == [33, 12]
    assert mine["reasons"].tolist()[3] == "random"
    with pytest.raises(ValueError, match="at least 1"):
        candidates_from_inputs(_inputs(MOVES), T, n=0)
    only_top = generate_candidates(
        players_at_risk(MOVES, T),
        clubs_as_of(MOVES, SEASONS, LEAGUES, T),
        n=3,
        random_negatives=0,
        top_per_league=1,
    )
    player_4 = only_top[only_top["player_id"] == 4]  # at 32, league 3
    assert player_4["reasons"].tolist() == ["same_league", "same_league", "top_other_league"]


def _wide_world() -> tuple[pd.DataFrame, pd.DataFrame]:
    at_risk = pd.DataFrame({"player_id": range(1, 41), "club_id": [1 + i % 5 for i in range(40)]})
    clubs = pd.DataFrame(
        {
            "club_id": range(1, 201),
            "league_id": [1 + i // 20 for i in range(200)],
            "tier": [1] * 200,
            "strength": [float(i % 7) for i in range(200)],
        }
    )
    return at_risk, clubs


def test_candidates_are_reproducible_by_seed() -> None:
    at_risk, clubs = _wide_world()
    first = generate_candidates(at_risk, clubs, seed=7)
    assert first.equals(generate_candidates(at_risk, clubs, seed=7))
    other = generate_candidates(at_risk, clubs, seed=8)
    assert not first.equals(other)
    fixed = first[first["reasons"] != "random"]
    assert fixed.equals(
        other[other["reasons"] != "random"].reset_index(drop=True).set_axis(fixed.index)
    )
    # A player's set does not depend on who else is in the frame.
    alone = generate_candidates(at_risk.iloc[[3]], clubs, seed=7)
    assert alone.equals(first[first["player_id"] == 4].reset_index(drop=True))
    assert (first.groupby("player_id").size() == 20).all()


def test_a_move_observed_after_t_changes_nothing_as_of_t() -> None:
    later = datetime(2020, 9, 1)
    rewritten = MOVES.copy()
    late = rewritten["observed_at"] > T
    rewritten.loc[late, "to_club_id"] = 31  # the late move now goes elsewhere...
    extra = _moves(
        [(1, 11, 24, 2020, "summer", 90e6, later), (8, 90, 13, 2020, "summer", 0, later)]
    )
    rewritten = pd.concat([rewritten, extra.assign(id=extra["id"] + 100)], ignore_index=True)
    signals = _pair_signal(2, 33, 50.0, datetime(2020, 6, 20))  # observed after T too
    before = candidates_from_inputs(_inputs(MOVES), T, seed=3)
    after = candidates_from_inputs(_inputs(rewritten, signals), T, seed=3)
    assert before[0].equals(after[0]) and before[1].equals(after[1])
    # Positive control: as of a later moment the same rewrite changes both.
    at = datetime(2020, 9, 2)
    early = candidates_from_inputs(_inputs(MOVES), at, seed=3)
    moved = candidates_from_inputs(_inputs(rewritten, signals), at, seed=3)
    assert not early[0].equals(moved[0]) and not early[1].equals(moved[1])


def test_the_audit_counts_hits_by_reason_and_the_unseen() -> None:
    window = _moves(
        [
            (1, 11, 13, 2020, "summer", 1e6, datetime(2020, 9, 1)),  # same league: a hit
            (2, 21, 90, 2020, "summer", 0.0, datetime(2020, 9, 1)),  # to no league: a miss
            (9, 90, 11, 2020, "summer", 0.0, datetime(2020, 9, 1)),  # not at risk: unseen
        ]
    )
    moves = pd.concat([MOVES.iloc[:6], window.assign(id=window["id"] + 100)], ignore_index=True)
    audit = audit_recall(_inputs(moves), [(2020, "summer")])
    row = audit.windows.iloc[0]
    assert (row["at_risk"], row["movers"], row["hits"], row["unseen"]) == (4, 2, 1, 1)
    assert row["hits_same_league"] == 1 and row["hits_random"] == 0
    assert (row["movers_in_league"], row["hits_in_league"]) == (1, 1)  # 90 is in no league
    totals = audit.totals()
    assert totals["recall"] == 0.5 and totals["recall_same_league"] == 0.5
    assert "recall 0.500" in audit.summary()


def test_the_candidate_computations_touch_no_store() -> None:
    # DuckDB is their engine; the store, SQLAlchemy and the drivers are candidate_store's.
    pure = [SRC / "spells.py", SRC / "candidates.py", SRC / "candidate_audit.py"]
    banned = tuple(b for b in BANNED if b != "duckdb")
    found = [
        f"{path.name} imports {name}"
        for path in pure
        for name in sorted(_imports(path))
        if any(name == b or name.startswith(b + ".") for b in banned)
    ]
    assert found == []
