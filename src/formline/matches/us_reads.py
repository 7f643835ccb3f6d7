"""The stored US games of one sport as the frames :mod:`formline.matches.us_features` and the
US models take: games, their lines and the reference forecasts (FiveThirtyEight's)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, text

from formline.matches.us_games import US_SPORTS

__all__ = ["UsGames", "read_us_games"]


@dataclass(frozen=True)
class UsGames:
    """One sport's stored games (``match_id``, ``season``, ``kickoff_at``, ``observed_at``,
    ``home_team``, ``away_team``, ``home_score``, ``away_score``, ``status`` and the preferred
    source's ``source``, ``source_file``, ``source_line``), their lines
    (``match_id``, ``bookmaker``, ``market``, ``selection``, ``line``, ``price``, ``kind``,
    ``observed_at``) and reference forecasts (``match_id``, ``forecaster``, ``p_home``)."""

    games: pd.DataFrame
    odds: pd.DataFrame
    forecasts: pd.DataFrame


def _naive(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True).dt.tz_localize(None).astype("datetime64[us]")


def read_us_games(conn: Connection, sport: str) -> UsGames:
    """Every stored game of ``sport`` (one of :data:`~formline.matches.us_games.US_SPORTS`),
    with its lines and reference forecasts.

    Raises
    ------
    ValueError
        If ``sport`` is not a US sport.
    """
    if sport not in US_SPORTS:
        raise ValueError(f"not a US sport: {sport!r}; known: {', '.join(US_SPORTS)}")
    games = pd.DataFrame(
        conn.execute(
            text(
                "SELECT m.id AS match_id, m.season, m.kickoff_at, m.observed_at, "
                "h.name AS home_team, a.name AS away_team, m.home_goals AS home_score, "
                "m.away_goals AS away_score, m.status, m.source, m.source_file, m.source_line "
                "FROM matches m "
                "JOIN teams h ON h.id = m.home_team_id JOIN teams a ON a.id = m.away_team_id "
                "WHERE m.sport = :sport ORDER BY m.kickoff_at, m.id"
            ),
            {"sport": sport},
        ).fetchall(),
        columns=[
            "match_id", "season", "kickoff_at", "observed_at", "home_team", "away_team",
            "home_score", "away_score", "status", "source", "source_file", "source_line",
        ],
    )  # fmt: skip
    for column in ("kickoff_at", "observed_at"):
        games[column] = _naive(games[column])
    for column in ("home_score", "away_score"):
        games[column] = games[column].astype("Float64").astype("float64")
    odds = pd.DataFrame(
        conn.execute(
            text(
                "SELECT o.match_id, o.bookmaker, o.market, o.selection, o.line, o.price, "
                "o.kind, o.observed_at FROM odds o JOIN matches m ON m.id = o.match_id "
                "WHERE m.sport = :sport"
            ),
            {"sport": sport},
        ).fetchall(),
        columns=[
            "match_id", "bookmaker", "market", "selection", "line", "price", "kind",
            "observed_at",
        ],
    )  # fmt: skip
    odds["observed_at"] = _naive(odds["observed_at"])
    odds["price"] = odds["price"].astype("float64")
    forecasts = pd.DataFrame(
        conn.execute(
            text(
                "SELECT f.match_id, f.forecaster, f.p_home FROM reference_forecasts f "
                "JOIN matches m ON m.id = f.match_id WHERE m.sport = :sport"
            ),
            {"sport": sport},
        ).fetchall(),
        columns=["match_id", "forecaster", "p_home"],
    )
    return UsGames(games, odds, forecasts)
