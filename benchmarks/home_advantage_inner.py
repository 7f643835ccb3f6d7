"""How should the no-odds goals model use the within-season home advantage? Chosen inside the
training window, never on the test season.

For a test season S (default 2020-21, the season without crowds), the three seasons before S are
inner test seasons: for each, `goals` (no odds) is fitted on every earlier season and scored on
it. Variants:

- *static*: without the ``*_recent_home_advantage`` features;
- *features*: with them (the default model: their coefficients are learnt);
- *offset k*: with them, and the expected goals moved by a fixed share ``k`` of the gap between
  the recent and the slow home advantage in goals (``lambda_home * exp(+k d / 2.7)``,
  ``lambda_away * exp(-k d / 2.7)``, ``d = goals_recent_home_advantage -
  goals_home_advantage``), which does not rely on a coefficient learnt from years in which the
  home advantage hardly moved.

The variant with the lowest mean inner log loss is the one the window supports. Writes the
``home_advantage_inner`` section of ``docs/benchmarks.md``.

Usage: ``.venv/bin/python benchmarks/home_advantage_inner.py --store-url sqlite:///...``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from _common import FOOTBALL_ODDS, markdown_table, publish
from formline.core.metrics import evaluate
from formline.matches.dataset import load_match_frame
from formline.matches.features import MATCH_FEATURES
from formline.matches.ingest import ingest_football_data
from formline.matches.models import outcome_codes
from formline.matches.models.dixon_coles import dixon_coles_grid, grid_outcomes
from formline.matches.models.goals_model import MAX_GOALS, GoalsMatchModel
from formline.store import open_store
from models_backtest import AS_OF, log

OFFSETS = (0.5, 1.0)
MEAN_GOALS = 1.35


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store-url", help="a store holding the football data")
    parser.add_argument("--season", default="2020-21", help="the test season S")
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/benchmarks.md")
    args = parser.parse_args()
    url = args.store_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'football.db'}"
    store = open_store(url)
    if not args.store_url:
        ingest_football_data(store, [FOOTBALL_ODDS / "seasons"])
    frame = load_match_frame(store, AS_OF).frame
    store.dispose()
    rows = frame[frame["finished"]].sort_values(["kickoff_at", "match_id"])
    seasons = sorted(rows["season"].unique())
    inner = [s for s in seasons if s < args.season][-3:]
    every = MATCH_FEATURES.without_market()
    static = [n for n in every if not n.endswith("_recent_home_advantage")]
    table = []
    for season in inner:
        train, test = rows[rows["season"] < season], rows[rows["season"] == season]
        codes = outcome_codes(test)
        row: dict[str, object] = {"inner season": season, "training matches": len(train)}
        started = time.perf_counter()
        for name, features in (("static", static), ("features", every)):
            model = GoalsMatchModel(features=features, use_market=False)
            model.fit(train, train[["home_goals", "away_goals"]])
            row[name] = evaluate(codes, model.predict_proba(test))["log_loss"]
        home, away = model.predict_rates(test)
        gap = (test["goals_recent_home_advantage"] - test["goals_home_advantage"]).fillna(0.0)
        for k in OFFSETS:
            shift = np.exp(k * gap.to_numpy() / (2 * MEAN_GOALS))
            grid = dixon_coles_grid(home * shift, away / shift, model.rho_, MAX_GOALS)
            row[f"offset {k:g}"] = evaluate(codes, grid_outcomes(grid))["log_loss"]
        log(f"{season}: {time.perf_counter() - started:.0f} s")
        table.append(row)
    scores = pd.DataFrame(table)
    variants = ["static", "features", *(f"offset {k:g}" for k in OFFSETS)]
    means = scores[variants].mean()
    chosen = means.idxmin()
    shown = scores.copy()
    shown.loc[len(shown)] = {"inner season": "mean", "training matches": "", **means.to_dict()}
    for v in variants:
        shown[v] = shown[v].map(lambda x: f"{x:.5f}")
    body = [
        "## Within-season home advantage, chosen inside the training window "
        "(`benchmarks/home_advantage_inner.py`)",
        f"For the test season {args.season}: `goals` without odds, fitted on every season before "
        "each of the three inner seasons below and scored on it by 1X2 log loss (no "
        f"{args.season} result is used). *static*: without the `*_recent_home_advantage` "
        "features; *features*: with them (the default); *offset k*: with them and the expected "
        "goals moved by a fixed share k of the recent-minus-slow home advantage in goals.",
        markdown_table(shown),
        f"Chosen by the window: **{chosen}** (mean inner log loss {means[chosen]:.5f}; static "
        f"{means['static']:.5f}, features {means['features']:.5f}).",
    ]
    publish("home_advantage_inner", body, write_docs=not args.no_docs)


if __name__ == "__main__":
    main()
