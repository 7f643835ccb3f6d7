"""Small synthetic worlds for feature tests, built directly as builder input frames."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd

START = datetime(2021, 8, 7, 15, 0)


def small_world(
    seed: int,
    n_teams: int = 6,
    n_rounds: int = 10,
    n_competitions: int = 1,
    scheduled_from_round: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A random little league (or several), one round a week, with results and odds.

    Rounds from ``scheduled_from_round`` on are fixtures without results or closing odds.
    Returns (matches, odds) frames with the builder's input columns.
    """
    rng = np.random.default_rng(seed)
    matches, odds = [], []
    match_id = 0
    for comp in range(n_competitions):
        teams = np.arange(comp * 100 + 1, comp * 100 + 1 + n_teams)
        for rnd in range(n_rounds):
            order = rng.permutation(teams)
            kickoff_day = START + timedelta(days=7 * rnd + int(rng.integers(0, 3)))
            season = "2021-22" if rnd < n_rounds // 2 else "2022-23"
            for i in range(0, n_teams - 1, 2):
                match_id += 1
                kickoff = kickoff_day + timedelta(hours=int(rng.integers(0, 6)))
                finished = scheduled_from_round is None or rnd < scheduled_from_round
                hg, ag = (
                    (int(rng.poisson(1.5)), int(rng.poisson(1.1))) if finished else (None, None)
                )
                matches.append(
                    {
                        "match_id": match_id,
                        "competition_id": comp + 1,
                        "season": season,
                        "kickoff_at": kickoff,
                        "home_team_id": int(order[i]),
                        "away_team_id": int(order[i + 1]),
                        "status": "finished" if finished else "scheduled",
                        "home_goals": hg,
                        "away_goals": ag,
                        "home_shots": int(rng.integers(3, 20)) if finished else None,
                        "away_shots": int(rng.integers(3, 20)) if finished else None,
                        "home_shots_on_target": int(rng.integers(0, 8)) if finished else None,
                        "away_shots_on_target": int(rng.integers(0, 8)) if finished else None,
                        "home_xg": float(rng.uniform(0.2, 3)) if finished else None,
                        "away_xg": float(rng.uniform(0.2, 3)) if finished else None,
                        "home_corners": int(rng.integers(0, 12)) if finished else None,
                        "away_corners": int(rng.integers(0, 12)) if finished else None,
                        "observed_at": kickoff + timedelta(hours=2) if finished else None,
                    }
                )
                p = rng.dirichlet([4, 2.5, 3])
                kinds = [("opening", kickoff - timedelta(days=1))]
                if finished:
                    kinds.append(("closing", kickoff))
                for kind, observed in kinds:
                    for bookmaker in ("book_a", "book_b"):
                        for selection, prob in zip(("home", "draw", "away"), p, strict=True):
                            odds.append(
                                {
                                    "match_id": match_id,
                                    "bookmaker": bookmaker,
                                    "market": "1x2",
                                    "selection": selection,
                                    "line": 0.0,
                                    "kind": kind,
                                    "price": round(1 / (prob * 1.05) * rng.uniform(0.95, 1.05), 2),
                                    "observed_at": observed,
                                }
                            )
                    for selection, prob in (("over", 0.52), ("under", 0.48)):
                        odds.append(
                            {
                                "match_id": match_id,
                                "bookmaker": "book_a",
                                "market": "over_under",
                                "selection": selection,
                                "line": 2.5,
                                "kind": kind,
                                "price": round(1 / (prob * 1.05) * rng.uniform(0.95, 1.05), 2),
                                "observed_at": observed,
                            }
                        )
    return _typed_matches(pd.DataFrame(matches)), pd.DataFrame(odds)


def _typed_matches(frame: pd.DataFrame) -> pd.DataFrame:
    for col in (
        "home_goals",
        "away_goals",
        "home_shots",
        "away_shots",
        "home_shots_on_target",
        "away_shots_on_target",
        "home_corners",
        "away_corners",
    ):
        frame[col] = frame[col].astype("Int64")
    for col in ("home_xg", "away_xg"):
        frame[col] = frame[col].astype("Float64")
    for col in ("kickoff_at", "observed_at"):
        frame[col] = pd.to_datetime(frame[col]).astype("datetime64[us]")
    return frame


def build(
    matches: pd.DataFrame,
    odds: pd.DataFrame,
    as_of: datetime,
    queries: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Features as of ``as_of`` (or for the given (match, cutoff) ``queries``) from frames."""
    from formline.engine import compute_session
    from formline.matches.features import build_match_features, create_input_tables

    con = compute_session(threads=1)
    try:
        create_input_tables(con, matches, odds)
        return build_match_features(con, as_of, queries=queries)
    finally:
        con.close()


def frames_from_batch(
    matches: pd.DataFrame, odds: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Builder input frames from source frames (names become ids, in order of appearance)."""
    frame = matches.reset_index(drop=True).copy()
    frame["match_id"] = np.arange(1, len(frame) + 1)
    teams = {
        name: i + 1
        for i, name in enumerate(pd.unique(frame[["home_team", "away_team"]].to_numpy().ravel()))
    }
    comps = {name: i + 1 for i, name in enumerate(pd.unique(frame["competition"]))}
    frame["home_team_id"] = frame["home_team"].map(teams)
    frame["away_team_id"] = frame["away_team"].map(teams)
    frame["competition_id"] = frame["competition"].map(comps)
    key = ["competition", "season", "home_team", "away_team"]
    priced = odds.merge(frame[[*key, "match_id"]], on=key, how="inner")
    return frame, priced


def match_row(
    match_id: int,
    home: int,
    away: int,
    kickoff: datetime,
    goals: tuple[int, int] | None,
    season: str = "2022-23",
    competition_id: int = 1,
) -> dict[str, object]:
    """One builder input row; ``goals`` None means scheduled."""
    finished = goals is not None
    return {
        "match_id": match_id,
        "competition_id": competition_id,
        "season": season,
        "kickoff_at": kickoff,
        "home_team_id": home,
        "away_team_id": away,
        "status": "finished" if finished else "scheduled",
        "home_goals": goals[0] if goals else None,
        "away_goals": goals[1] if goals else None,
        "home_shots": 10 if finished else None,
        "away_shots": 8 if finished else None,
        "home_shots_on_target": 4 if finished else None,
        "away_shots_on_target": 3 if finished else None,
        "home_xg": 1.5 if finished else None,
        "away_xg": 1.0 if finished else None,
        "home_corners": 6 if finished else None,
        "away_corners": 4 if finished else None,
        "observed_at": kickoff + timedelta(hours=2) if finished else None,
    }


def rows_frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    """Typed builder input frame from :func:`match_row` rows."""
    return _typed_matches(pd.DataFrame(rows))


NO_ODDS = pd.DataFrame(
    {
        "match_id": pd.Series(dtype="int64"),
        "bookmaker": pd.Series(dtype="str"),
        "market": pd.Series(dtype="str"),
        "selection": pd.Series(dtype="str"),
        "line": pd.Series(dtype="float64"),
        "kind": pd.Series(dtype="str"),
        "price": pd.Series(dtype="float64"),
        "observed_at": pd.Series(dtype="datetime64[us]"),
    }
)
