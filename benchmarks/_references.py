"""Outside references for the model backtest: a small Elo-plus-shots logistic baseline and
FiveThirtyEight's club-soccer SPI forecasts, matched to the football-data matches.

Both are independent of formline's feature builder, so they say how much the features and models
add over something anyone can write in an afternoon, and against another published forecaster.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from _common import FOOTBALL_ODDS
from formline.engine import InputQuery, fetch_arrow
from formline.store import Store

P = ["p_home", "p_draw", "p_away"]
SPI_FILE = FOOTBALL_ODDS.parent / "fivethirtyeight" / "spi_matches_merged.csv.gz"
#: FiveThirtyEight league names of the football-data competitions.
SPI_LEAGUES = {
    "Barclays Premier League": "E0",
    "German Bundesliga": "D1",
    "French Ligue 1": "F1",
    "Italy Serie A": "I1",
    "Spanish Primera Division": "SP1",
}


_SHOTS_ON_TARGET = InputQuery(
    "SELECT id AS match_id, home_shots_on_target, away_shots_on_target FROM matches",
    {"match_id": "int", "home_shots_on_target": "float", "away_shots_on_target": "float"},
)


def with_shots_on_target(store: Store, matches: pd.DataFrame) -> pd.DataFrame:
    """``matches`` (with ``match_id``) and each match's shots on target from the store."""
    shots = fetch_arrow(store, _SHOTS_ON_TARGET).to_pandas()
    return matches.merge(shots, on="match_id", how="left")


def elo_shots_baseline(
    matches: pd.DataFrame, first_test_season: str, half_life: float = 20.0
) -> pd.DataFrame:
    """The modelling guide's 60-line reference, written from its description: Elo (K 20, home
    advantage 65, margin-of-victory multiplier 1 + ln(1 + |goal difference|), a third regressed
    to the mean between seasons, a team new to a competition after its first season starts 100
    below the mean) plus the difference of the sides' exponentially weighted shots-on-target
    margins (half-life 20 matches), in a multinomial logistic regression refitted at each
    season on every earlier season.

    ``matches``: finished matches with ``match_id, competition, season, kickoff_at, home_team,
    away_team, home_goals, away_goals, home_shots_on_target, away_shots_on_target``. Features are
    computed per match day before any of that day's results (point in time). Returns ``P`` per
    ``match_id`` for the seasons from ``first_test_season``.
    """
    rows = matches.sort_values(["kickoff_at", "match_id"]).reset_index(drop=True)
    first_season = rows.groupby("competition")["season"].min()
    elo: dict[str, float] = {}
    season_of: dict[str, str] = {}
    sot: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])  # weighted sum, weight
    decay = 0.5 ** (1 / half_life)
    features = np.zeros((len(rows), 2))
    for _, day in rows.groupby(rows["kickoff_at"].dt.date, sort=True):
        for i, r in zip(day.index, day.itertuples(), strict=True):
            for team in (r.home_team, r.away_team):
                if team not in elo:
                    elo[team] = 1500.0 - 100.0 * (r.season != first_season[r.competition])
                elif season_of[team] != r.season:
                    elo[team] = 1500.0 + (elo[team] - 1500.0) * 2 / 3
                season_of[team] = r.season
            form = [sot[t][0] / sot[t][1] if sot[t][1] else 0.0 for t in (r.home_team, r.away_team)]
            features[i] = elo[r.home_team] - elo[r.away_team], form[0] - form[1]
        for i, r in zip(day.index, day.itertuples(), strict=True):
            gd = r.home_goals - r.away_goals
            expected = 1 / (1 + 10 ** (-(features[i, 0] + 65) / 400))
            delta = 20 * (1 + math.log1p(abs(gd))) * ((gd > 0) + 0.5 * (gd == 0) - expected)
            elo[r.home_team] += delta
            elo[r.away_team] -= delta
            margin = r.home_shots_on_target - r.away_shots_on_target
            if not math.isnan(margin):
                for team, value in ((r.home_team, margin), (r.away_team, -margin)):
                    sot[team][0] = decay * sot[team][0] + value
                    sot[team][1] = decay * sot[team][1] + 1.0
    outcome = np.select([rows["home_goals"] > rows["away_goals"], rows["home_goals"] == rows[
        "away_goals"]], [0, 1], 2)  # fmt: skip
    out = []
    for season in sorted(s for s in rows["season"].unique() if s >= first_test_season):
        train, test = rows["season"] < season, rows["season"] == season
        model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000))
        model.fit(features[train], outcome[train])
        proba = model.predict_proba(features[test])
        out.append(pd.DataFrame(proba, columns=P, index=rows.loc[test, "match_id"]))
    return pd.concat(out)


def spi_forecasts(matches: pd.DataFrame) -> pd.DataFrame:
    """FiveThirtyEight's pre-match probabilities (``P``) per football-data ``match_id``.

    The files name teams differently, so the two are joined on league, date and final score
    first; each 538 team name is mapped to the football-data name it met most often in those
    unambiguous pairs, and every match is then joined on league, date and both mapped teams.
    ``matches``: finished matches with ``match_id, competition, kickoff_at, home_team,
    away_team, home_goals, away_goals``. Empty if the file is missing.
    """
    if not SPI_FILE.exists():
        return pd.DataFrame(columns=P)
    spi = pd.read_csv(SPI_FILE)
    spi = spi[spi["league"].isin(SPI_LEAGUES) & spi["score1"].notna()].copy()
    spi["competition"] = spi["league"].map(SPI_LEAGUES)
    spi["date"] = pd.to_datetime(spi["date"]).dt.date
    fd = matches.assign(date=matches["kickoff_at"].dt.date)
    keys = ["competition", "date", "score1", "score2"]
    fd = fd.assign(score1=fd["home_goals"].astype(float), score2=fd["away_goals"].astype(float))
    unique_fd = fd.drop_duplicates(keys, keep=False)
    unique_spi = spi.drop_duplicates(keys, keep=False)
    pairs = unique_spi.merge(unique_fd, on=keys)
    names = pd.concat(
        [
            pairs[["competition", "team1", "home_team"]].set_axis(["c", "spi", "fd"], axis=1),
            pairs[["competition", "team2", "away_team"]].set_axis(["c", "spi", "fd"], axis=1),
        ]
    )
    mapping = names.groupby(["c", "spi"])["fd"].agg(lambda x: x.value_counts().index[0])
    for side, column in (("home_team", "team1"), ("away_team", "team2")):
        pairs_of = zip(spi["competition"], spi[column], strict=True)
        spi[side] = [mapping.get(pair) for pair in pairs_of]
    joined = spi.merge(fd, on=["competition", "date", "home_team", "away_team"])
    joined = joined[(joined["score1_x"] == joined["score1_y"])]
    joined = joined[joined["score2_x"] == joined["score2_y"]].drop_duplicates("match_id")
    proba = joined[["prob1", "probtie", "prob2"]].to_numpy(dtype=np.float64)
    proba = proba / proba.sum(axis=1, keepdims=True)
    return pd.DataFrame(proba, columns=P, index=joined["match_id"].to_numpy())
