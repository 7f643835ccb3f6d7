"""Football league seasons for ``simulate:season`` (:class:`formline.domain.SeasonSimulator`):
which season of a competition is in progress at an instant, the table of the results known
then, the games left, the league's rules, and a stored model's forecasts of those games.

Read from the domain's event frame as of the instant (:func:`formline.matches.dataset.
load_match_frame`), where a result not observed before it is blank: the table is what was known
then, and every game without a known result is still to play.

Rules, and what they leave out
------------------------------
Points 3/1/0; the table ranks points, goal difference, goals scored, then a coin (no
head-to-head record, no play-off, no points deduction). ``p_relegation`` counts the places that
go down automatically (:data:`RELEGATED`: a relegation play-off place is not counted); a
competition not in the table has none, unless the caller says how many go down.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from formline.domain import GameForecasts, ModelType, SeasonInProgress, SeasonRules
from formline.errors import DataError

__all__ = ["FOOTBALL_SEASONS", "RELEGATED", "FootballSeasons", "rules_for"]

#: Places relegated automatically, by football-data.co.uk division code (the demo world's
#: leagues relegate three). A season that differs is keyed ``(code, season)``: Ligue 1 sent four
#: down in 2022-23 to go from 20 clubs to 18.
RELEGATED: dict[str | tuple[str, str], int] = {
    "E0": 3,
    "E1": 3,
    "E2": 4,
    "E3": 2,
    "SC0": 1,
    "D1": 2,
    "D2": 2,
    "I1": 3,
    "SP1": 3,
    "F1": 3,
    ("F1", "2016-17"): 2,
    ("F1", "2017-18"): 2,
    ("F1", "2018-19"): 2,
    ("F1", "2019-20"): 2,
    ("F1", "2020-21"): 2,
    ("F1", "2021-22"): 2,
    ("F1", "2022-23"): 4,
    ("F1", "2023-24"): 2,
    ("F1", "2024-25"): 2,
    "N1": 2,
    "P1": 2,
    "DEMO": 3,
}

#: Statuses of a game that is (or was) played: a postponed game is still to play, a cancelled
#: one never counts.
PLAYED_STATUSES = ("scheduled", "finished", "postponed")

SIMPLIFICATIONS = (
    "ranked on points, goal difference, goals scored, then a coin (no head-to-head, no "
    "play-offs, no deductions); relegation counts the automatic places only"
)


def rules_for(competition: str, season: str, relegated: int | None = None) -> SeasonRules:
    """The rules of ``competition``'s ``season``: 3/1/0 points, the top four, and the places
    relegated (``relegated`` when given, else :data:`RELEGATED`'s; None if unknown)."""
    if relegated is None:
        key = "DEMO" if competition.startswith("DEMO") else competition
        found = RELEGATED.get((key, season), RELEGATED.get(key))
        relegated = found
    return SeasonRules(
        points=(3.0, 1.0, 0.0),
        top=4,
        relegated=relegated,
        points_label="expected_points",
        simplifications=SIMPLIFICATIONS,
    )


def _to_play(rows: pd.DataFrame) -> pd.Series:
    """Games without a result known at the frame's instant that will be played."""
    playing: pd.Series = rows["status"].isin(PLAYED_STATUSES) & ~rows["finished"].astype(bool)
    return playing


def _next_season(rows: pd.DataFrame, as_of: datetime) -> str | None:
    """The season of the competition's first game still to play after ``as_of``."""
    ahead = rows[_to_play(rows) & (rows["kickoff_at"] > as_of)]
    if ahead.empty:
        return None
    return str(ahead.sort_values("kickoff_at", kind="stable")["season"].iloc[0])


def _table(
    played: pd.DataFrame, index: Mapping[str, int], n_teams: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points, goal difference and goals scored per team from the known results."""
    home = played["home_team"].map(index).to_numpy(dtype=np.int64)
    away = played["away_team"].map(index).to_numpy(dtype=np.int64)
    home_goals = played["home_goals"].to_numpy(dtype=np.float64)
    away_goals = played["away_goals"].to_numpy(dtype=np.float64)
    margin = home_goals - away_goals
    points, difference, scored = np.zeros(n_teams), np.zeros(n_teams), np.zeros(n_teams)
    np.add.at(points, home, np.where(margin > 0, 3.0, np.where(margin == 0, 1.0, 0.0)))
    np.add.at(points, away, np.where(margin < 0, 3.0, np.where(margin == 0, 1.0, 0.0)))
    np.add.at(difference, home, margin)
    np.add.at(difference, away, -margin)
    np.add.at(scored, home, home_goals)
    np.add.at(scored, away, away_goals)
    return points, difference, scored


def with_outcomes(grids: np.ndarray, outcomes: np.ndarray) -> np.ndarray:
    """``grids`` (n, G, G) rescaled within each outcome (home win below the diagonal's left,
    draw on it, away win above) so that each grid's 1X2 is ``outcomes`` (n, 3): the scores
    keep the model's shape, the results the calibrated probabilities it publishes."""
    size = grids.shape[1]
    home_goals, away_goals = np.indices((size, size))
    regions = [home_goals > away_goals, home_goals == away_goals, home_goals < away_goals]
    out = np.array(grids, dtype=np.float64, copy=True)
    total = out.sum(axis=(1, 2))
    for k, region in enumerate(regions):
        mass = out[:, region].sum(axis=1) / total
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(mass > 0, outcomes[:, k] / mass, 0.0)
        out[:, region] *= scale[:, None]
    normalised: np.ndarray = out / out.sum(axis=(1, 2), keepdims=True)
    return normalised


class FootballSeasons:
    """League seasons of the football competitions (see the module's rules)."""

    def seasons_in_progress(self, frame: pd.DataFrame, as_of: datetime) -> list[str]:
        """Competitions with a game still to play after ``as_of``, sorted."""
        ahead = frame[_to_play(frame) & (frame["kickoff_at"] > as_of)]
        return sorted(str(c) for c in ahead["competition"].unique())

    def season(self, frame: pd.DataFrame, competition: str, as_of: datetime) -> SeasonInProgress:
        """``competition``'s season in progress at ``as_of``: the season of its next game, its
        table from the results known then, and every game of it still to play (including one
        that kicked off before ``as_of`` whose result was not known then).

        Raises
        ------
        DataError
            For a competition the store does not have, or one with no game left to play.
        """
        rows = frame[frame["competition"] == competition]
        if rows.empty:
            known = ", ".join(sorted(str(c) for c in frame["competition"].unique())) or "none"
            raise DataError(
                f"--competition: no match of '{competition}' in the store (it has: {known})"
            )
        season = _next_season(rows, as_of)
        if season is None:
            last = rows.sort_values("kickoff_at", kind="stable").iloc[-1]
            raise DataError(
                f"--competition {competition}: no season in progress at {as_of:%Y-%m-%d %H:%M}: "
                f"no game of it is left to play after then (its last stored season, "
                f"{last['season']}, ends {last['kickoff_at']:%Y-%m-%d})"
            )
        games = rows[(rows["season"] == season) & rows["status"].isin(PLAYED_STATUSES)]
        teams = sorted({*games["home_team"].astype(str), *games["away_team"].astype(str)})
        index = {team: k for k, team in enumerate(teams)}
        played = games[games["finished"].astype(bool)]
        points, difference, scored = _table(played, index, len(teams))
        remaining = games[_to_play(games)].sort_values(["kickoff_at", "match_id"], kind="stable")
        remaining = remaining.reset_index(drop=True)
        return SeasonInProgress(
            competition=competition,
            season=season,
            as_of=as_of,
            teams=teams,
            points=points,
            score_difference=difference,
            scored=scored,
            n_played=len(played),
            remaining=remaining,
            home=remaining["home_team"].map(index).to_numpy(dtype=np.int64),
            away=remaining["away_team"].map(index).to_numpy(dtype=np.int64),
            rules=rules_for(competition, season),
        )

    def forecasts(
        self, bundle: Mapping[str, Any], rows: pd.DataFrame, declared: ModelType
    ) -> GameForecasts:
        """The calibrated 1X2 a stored model publishes for ``rows``, and its exact-score grid
        (if its type declares one) rescaled to that 1X2 (:func:`with_outcomes`)."""
        from formline.matches.grid_markets import score_grid_method

        model = bundle["model"]
        outcomes = np.asarray(
            bundle["calibrator"].transform(model.predict_proba(rows)), dtype=np.float64
        )
        grid = score_grid_method(model, declared)
        if grid is None:
            return GameForecasts(outcomes)
        return GameForecasts(outcomes, with_outcomes(np.asarray(grid(rows)), outcomes))


#: The matches domain's season simulation (its ``season_simulation``).
FOOTBALL_SEASONS = FootballSeasons()
