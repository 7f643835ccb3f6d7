"""How good are season simulations made a third of the way into a season? (issue 14 §4)

For every top-5 league season of the shared football-data files from 2012-13 on: cut the season
when a third of its games are played, simulate the rest 10,000 times, and score the simulated
P(title), P(top 4) and P(relegation) against the final table (Brier over the league's teams,
averaged over seasons). Two simulations of the same remaining games:

* **Dixon-Coles**: fitted on the league's results of the two years before the cut (what was
  known then), score grids drawn, so goal difference and goals can break ties;
* **market**: each remaining game's *closing* Pinnacle 1X2 prices, de-margined by
  normalisation (prices taken just before each game, so later than the cut: a reference of
  what the market came to know, not a forecast made at the cut); results only, ties on points
  by a coin.

The final table is the data's: points, then goal difference, then goals scored (head-to-head,
deductions and play-offs are not modelled; the Bundesliga's 16th place, which plays off, counts
as not relegated). Beside them, the naive forecast that the table at the cut is the final
table (1 for the leader, 0 otherwise). Writes the ``simulation_quality`` section of
``docs/benchmarks.md``.

Usage: ``.venv/bin/python benchmarks/simulation_quality.py [--sims 10000] [--no-docs]``.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from _common import FOOTBALL_ODDS, markdown_table, publish
from formline.core.simulation import simulate_season
from formline.matches.models.dixon_coles import DixonColes

LEAGUES = {"E0": 3, "D1": 2, "SP1": 3, "I1": 3, "F1": 3}  # division -> direct relegations
FIRST_SEASON = "2012-13"


def _read() -> pd.DataFrame:
    path = FOOTBALL_ODDS / "matches_all.csv.gz"
    columns = ["Season", "Div", "DateISO", "HomeTeam", "AwayTeam", "FTHG", "FTAG"]
    frame = pd.read_csv(path, usecols=[*columns, "PSCH", "PSCD", "PSCA"], low_memory=False)
    frame = frame[frame["Div"].isin(list(LEAGUES))].dropna(subset=["FTHG", "FTAG"])
    frame["kickoff_at"] = pd.to_datetime(frame["DateISO"])
    return frame.sort_values(["Div", "kickoff_at"], kind="stable").reset_index(drop=True)


def _table(teams: list[str], games: pd.DataFrame) -> pd.DataFrame:
    """Points, goal difference and goals scored of each team over ``games``."""
    rows = []
    for side, other, sign in (("HomeTeam", "FTHG", 1), ("AwayTeam", "FTAG", -1)):
        margin = (games["FTHG"] - games["FTAG"]) * sign
        rows.append(
            pd.DataFrame(
                {
                    "team": games[side],
                    "points": np.where(margin > 0, 3, np.where(margin == 0, 1, 0)),
                    "gd": margin,
                    "gf": games[other],
                }
            )
        )
    totals = pd.concat(rows).groupby("team")[["points", "gd", "gf"]].sum()
    return totals.reindex(teams, fill_value=0)


def _final_positions(table: pd.DataFrame) -> np.ndarray:
    order = np.lexsort((-table["gf"].to_numpy(), -table["gd"].to_numpy(), -table["points"]))
    positions = np.empty(len(table), dtype=np.int64)
    positions[order] = np.arange(1, len(table) + 1)
    return positions


def _brier(p: np.ndarray, happened: np.ndarray) -> float:
    return float(np.mean((p - happened) ** 2))


def _scores(summary: pd.DataFrame, teams: list[str], final: np.ndarray, down: int) -> dict:
    s = summary.set_index("team").reindex(teams)
    n = len(teams)
    return {
        "title": _brier(s["p_title"].to_numpy(), (final == 1).astype(float)),
        "top 4": _brier(s["p_top4"].to_numpy(), (final <= 4).astype(float)),
        "relegation": _brier(s["p_relegation"].to_numpy(), (final > n - down).astype(float)),
    }


def evaluate(n_sims: int) -> tuple[pd.DataFrame, int]:
    """Per league season and forecaster, the three Briers."""
    data = _read()
    out = []
    seasons = 0
    for (division, season), games in data.groupby(["Div", "Season"], sort=True):
        if season < FIRST_SEASON:
            continue
        games = games.reset_index(drop=True)
        teams = sorted(set(games["HomeTeam"]) | set(games["AwayTeam"]))
        cut = games["kickoff_at"].iloc[len(games) // 3]
        played, remaining = games[games["kickoff_at"] < cut], games[games["kickoff_at"] >= cut]
        if remaining[["PSCH", "PSCD", "PSCA"]].isna().any().any():
            continue  # the market forecaster needs every remaining game's closing prices
        seasons += 1
        so_far = _table(teams, played)
        final = _final_positions(_table(teams, games))
        code = {t: i for i, t in enumerate(teams)}
        home = remaining["HomeTeam"].map(code).to_numpy()
        away = remaining["AwayTeam"].map(code).to_numpy()
        table_args = {
            "points": so_far["points"].to_numpy(),
            "goal_difference": so_far["gd"].to_numpy(),
            "goals_for": so_far["gf"].to_numpy(),
        }
        history = data[
            (data["Div"] == division)
            & (data["kickoff_at"] < cut)
            & (data["kickoff_at"] >= cut - pd.Timedelta(days=730))
        ]
        ids, names = pd.factorize(pd.concat([history["HomeTeam"], history["AwayTeam"]]))
        n = len(history)
        index = {name: i for i, name in enumerate(names)}
        X = pd.DataFrame(
            {"home_team_id": ids[:n], "away_team_id": ids[n:], "kickoff_at": history["kickoff_at"]}
        )
        y = history[["FTHG", "FTAG"]].set_axis(["home_goals", "away_goals"], axis=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            model = DixonColes(l2=1.0).fit(X, y)
        future = pd.DataFrame(
            {
                "home_team_id": remaining["HomeTeam"].map(index).to_numpy(),
                "away_team_id": remaining["AwayTeam"].map(index).to_numpy(),
                "kickoff_at": remaining["kickoff_at"].to_numpy(),
            }
        )
        grids = model.predict_score_grid(future)
        prices = 1.0 / remaining[["PSCH", "PSCD", "PSCA"]].to_numpy(dtype=float)
        market = prices / prices.sum(axis=1, keepdims=True)
        down = LEAGUES[division]
        for name, kwargs in (("Dixon-Coles", {"score_grids": grids}), ("market (closing)", {
            "probabilities": market})):  # fmt: skip
            simulation = simulate_season(
                teams, home, away, **kwargs, **table_args, n_sims=n_sims, seed=0
            )
            summary = simulation.summary(top=4, relegated=down)
            out.append({"forecaster": name, **_scores(summary, teams, final, down)})
        now = _final_positions(so_far)
        naive = pd.DataFrame(
            {
                "team": teams,
                "p_title": (now == 1).astype(float),
                "p_top4": (now <= 4).astype(float),
                "p_relegation": (now > len(teams) - down).astype(float),
            }
        )
        out.append({"forecaster": "table at the cut", **_scores(naive, teams, final, down)})
    return pd.DataFrame(out), seasons


def main() -> None:
    """Score both simulations and the naive table; write the section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sims", type=int, default=10_000)
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    scores, seasons = evaluate(args.sims)
    table = scores.groupby("forecaster", sort=False).mean().round(4).reset_index()
    blocks = [
        "## Season simulations judged on the past (`benchmarks/simulation_quality.py`)",
        f"Top-5 leagues, {seasons} league seasons from {FIRST_SEASON} (those whose remaining "
        "games all have Pinnacle closing prices), each cut when a third of its games were "
        f"played; {args.sims:,} simulated seasons per forecaster. Brier score over the league's "
        "teams, averaged over the seasons (lower is better). The market row uses each game's "
        "closing prices, which were not known at the cut: it is a reference, not a forecast.",
        markdown_table(table),
        f"Run time {time.perf_counter() - started:.0f} s.",
    ]
    publish("simulation_quality", blocks, write_docs=not args.no_docs)


if __name__ == "__main__":
    main()
