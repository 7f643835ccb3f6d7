"""Speed of the pure core at scale: the Elo kernel, a Dixon-Coles fit, margin removal.

These were timing prints inside the test suite; the suite now checks the same code for
correctness on small inputs, and the figures live here. Synthetic inputs, seeded:

* ``elo_kernel`` on 250,000 matches of 400 teams (after one call to compile or load the cache);
* ``DixonColes`` fitted on 98,800 matches (13 leagues x 20 teams x 20 seasons), then 10,000
  predictions;
* ``implied_probabilities`` on 1,000,000 three-way lines, per method.

Each is the best of ``--repeat`` runs (the machine is shared: the minimum is the least noisy).
The figures go to the ``core_speed`` section of ``docs/benchmarks.md``.

Usage: ``.venv/bin/python benchmarks/core_speed.py [--repeat 3] [--no-docs]``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from _common import markdown_table, publish
from formline.core.markets import METHODS, implied_probabilities
from formline.core.ratings.elo import elo_kernel
from formline.matches.models.dixon_coles import DixonColes


def _best(run: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def _league(n: int, n_teams: int, seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    home = rng.integers(0, n_teams, n)
    return (
        home,
        (home + rng.integers(1, n_teams, n)) % n_teams,
        rng.poisson(1.5, n),
        rng.poisson(1.1, n),
        np.arange(n) * 5 // n,
        rng.normal(1500, 50, n),
        rng.normal(1500, 50, n),
    )


def _fixtures(n_leagues: int, n_teams: int, n_seasons: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    home, away = np.meshgrid(np.arange(n_teams), np.arange(n_teams), indexing="ij")
    pairs = home != away
    frames = []
    for season in range(n_seasons):
        for league in range(n_leagues):
            days = season * 365 + rng.integers(0, 280, pairs.sum())
            frames.append(
                pd.DataFrame(
                    {
                        "home_team_id": home[pairs] + league * n_teams,
                        "away_team_id": away[pairs] + league * n_teams,
                        "competition_id": league,
                        "season": season,
                        "kickoff_at": pd.Timestamp("2010-08-01") + pd.to_timedelta(days, "D"),
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-docs", action="store_true", help="print only")
    args = parser.parse_args()
    rows = []

    league = _league(250_000, 400, seed=3)
    elo_kernel(*league, 20.0, 65.0, 1 / 3, 1500.0, True)
    seconds = _best(lambda: elo_kernel(*league, 20.0, 65.0, 1 / 3, 1500.0, True), args.repeat)
    rows.append(("elo_kernel", "250,000 matches", seconds))

    X = _fixtures(13, 20, 20, seed=5)
    rng = np.random.default_rng(6)
    strength = rng.normal(0, 0.3, (2, 260))
    lam = np.exp(0.45 + strength[0, X["home_team_id"]] - strength[1, X["away_team_id"]])
    mu = np.exp(0.2 + strength[0, X["away_team_id"]] - strength[1, X["home_team_id"]])
    y = pd.DataFrame({"home_goals": rng.poisson(lam), "away_goals": rng.poisson(mu)})
    fitted: list[DixonColes] = []
    seconds = _best(lambda: fitted.append(DixonColes().fit(X, y)), args.repeat)
    if not fitted[-1].converged_:
        raise SystemExit("DixonColes did not converge: the timing is of a failed fit")
    rows.append(("DixonColes.fit", f"{len(X):,} matches", seconds))
    head = X.iloc[:10_000]
    seconds = _best(lambda: fitted[-1].predict_proba(head), args.repeat)
    rows.append(("DixonColes.predict_proba", "10,000 matches", seconds))

    probs = np.random.default_rng(3).dirichlet(np.full(3, 2.0), size=1_000_000)
    margin = np.random.default_rng(4).uniform(0.0, 0.10, size=(1_000_000, 1))
    odds = np.maximum(1.0 / (probs * (1.0 + margin)), 1.01)
    for method in METHODS:
        seconds = _best(lambda m=method: implied_probabilities(odds, m), args.repeat)  # type: ignore[misc]
        rows.append((f"implied_probabilities({method})", "1,000,000 x 3", seconds))

    table = pd.DataFrame(rows, columns=["what", "input", "seconds (best)"])
    blocks = [
        "## Core speed",
        f"Best of {args.repeat} runs each, one process, synthetic seeded inputs "
        "(`benchmarks/core_speed.py`).",
        markdown_table(table),
    ]
    publish("core_speed", blocks, write_docs=not args.no_docs)


if __name__ == "__main__":
    main()
