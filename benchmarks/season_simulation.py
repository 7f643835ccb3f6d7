"""Speed of the season simulation (issue 14 §4): 10,000 seasons of a 380-match league (from
score grids, and from outcome probabilities) in under a second on 2 cores, and an NBA-sized
season beside it (30 teams, 1,230 games, no draws, ranked by wins).

Synthetic, seeded inputs: a double round robin of 20 teams with Poisson score grids (goals 0-10,
rates 0.8-2.0) or Dirichlet outcome probabilities; 30 teams with 1,230 games drawn from the
pairings. Each figure is the best of ``--repeat`` runs (the machine is shared: the minimum is
the least noisy); the median beside it. Figures go to the ``season_simulation`` section of
``docs/benchmarks.md``.

Usage: ``.venv/bin/python benchmarks/season_simulation.py [--repeat 5] [--sims 10000] [--no-docs]``.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import poisson

from _common import markdown_table, publish
from formline.core.simulation import PointsRule, simulate_season

GOAL = 1.0


def _round_robin(n_teams: int) -> tuple[np.ndarray, np.ndarray]:
    pairs = [(h, a) for h in range(n_teams) for a in range(n_teams) if h != a]
    return np.array([h for h, _ in pairs]), np.array([a for _, a in pairs])


def _cases(seed: int) -> list[tuple[str, dict[str, Any]]]:
    rng = np.random.default_rng(seed)
    home, away = _round_robin(20)
    rates = rng.uniform(0.8, 2.0, (len(home), 2))
    goals = np.arange(11)
    grids = poisson.pmf(goals[None, :, None], rates[:, 0, None, None]) * poisson.pmf(
        goals[None, None, :], rates[:, 1, None, None]
    )
    probabilities = rng.dirichlet([4, 2.5, 3], size=len(home))
    nba_home, nba_away = _round_robin(30)
    pick = rng.choice(len(nba_home), size=1230, replace=True)
    nba = rng.beta(5, 4, size=1230)
    teams20, teams30 = [f"T{i}" for i in range(20)], [f"N{i}" for i in range(30)]
    return [
        ("football, 20 teams, 380 games, score grids 11x11", {
            "teams": teams20, "home": home, "away": away, "score_grids": grids,
        }),
        ("football, 20 teams, 380 games, outcome probabilities", {
            "teams": teams20, "home": home, "away": away, "probabilities": probabilities,
        }),
        ("NBA-sized, 30 teams, 1,230 games, win probabilities, by wins", {
            "teams": teams30, "home": nba_home[pick], "away": nba_away[pick],
            "probabilities": np.column_stack([nba, np.zeros(1230), 1 - nba]),
            "rule": PointsRule(1.0, 0.0, 0.0),
        }),
    ]  # fmt: skip


def main() -> None:
    """Time each case and write the section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sims", type=int, default=10_000)
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args()
    rows = []
    for name, kwargs in _cases(seed=1):
        seconds = []
        for run in range(args.repeat):
            started = time.perf_counter()
            simulate_season(**kwargs, n_sims=args.sims, seed=run)
            seconds.append(time.perf_counter() - started)
        rows.append(
            {
                "case": name,
                "seasons": args.sims,
                "best s": round(min(seconds), 3),
                "median s": round(float(np.median(seconds)), 3),
                f"under {GOAL:g} s": "yes" if min(seconds) < GOAL else "no",
            }
        )
    table = pd.DataFrame(rows)
    blocks = [
        "## Season simulation (`benchmarks/season_simulation.py`)",
        f"`formline.core.simulation.simulate_season`, {args.sims:,} seasons per call, best and "
        f"median of {args.repeat} calls in one process (seeded synthetic inputs; see the "
        "script). Goal: 10,000 seasons of a 380-match league in under 1 s on 2 cores.",
        markdown_table(table),
        "Drawing from score grids costs one inverse-CDF search per game over all seasons; the "
        "table is two matrix products and one sort per season.",
    ]
    publish("season_simulation", blocks, write_docs=not args.no_docs)


if __name__ == "__main__":
    main()
