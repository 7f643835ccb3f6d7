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
    ):
        frame[col] = frame[col].astype("Int64")
    for col in ("home_xg", "away_xg"):
        frame[col] = frame[col].astype("Float64")
    for col in ("kickoff_at", "observed_at"):
        frame[col] = pd.to_datetime(frame[col]).astype("datetime64[us]")
    return frame


def build(matches: pd.DataFrame, odds: pd.DataFrame, as_of: datetime) -> pd.DataFrame:
    """Features as of ``as_of`` from in-memory frames."""
    from formline.engine import compute_session
    from formline.matches.features import build_match_features, create_input_tables

    con = compute_session(threads=1)
    try:
        create_input_tables(con, matches, odds)
        return build_match_features(con, as_of)
    finally:
        con.close()
