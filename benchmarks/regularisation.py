"""How strongly to shrink the feature models, chosen inside each training window only.

For every refit of the real-data backtest (training on everything before each test season from
2012-13 to 2022-23), walk-forward cross-validation *within that training window* scores a grid of
penalties for the logistic model (``C``) and the goals model (``alpha``) by 1X2 log loss. The test
seasons never take part, so the defaults this supports are not tuned on them. Writes the
``regularisation`` section of ``docs/benchmarks.md``.

Usage: ``.venv/bin/python benchmarks/regularisation.py [--store-url URL] [--no-docs]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from _common import FOOTBALL_ODDS, machine, markdown_table, publish
from formline.core.metrics import evaluate
from formline.core.splits import walk_forward_splits
from formline.matches.dataset import load_match_frame
from formline.matches.ingest import ingest_football_data
from formline.matches.models import make_model, outcome_codes
from formline.store import open_store

AS_OF = datetime(2023, 7, 1)
GRIDS: dict[str, tuple[str, list[float]]] = {
    "logistic": ("C", [0.00003, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.05]),
    "goals": ("alpha", [0.1, 0.3, 1.0, 3.0, 10.0]),
}


def inner_log_loss(rows: pd.DataFrame, model_type: str, params: dict[str, Any]) -> float:
    """Mean 1X2 log loss over 4 walk-forward folds inside ``rows`` (7-day gap)."""
    splits = walk_forward_splits(rows["kickoff_at"].to_numpy(), n_splits=4, gap=timedelta(days=7))
    y = rows[["home_goals", "away_goals"]]
    codes = outcome_codes(y)
    losses = []
    for train, val in splits:
        model = make_model(model_type, use_market=False, **params)
        model.fit(rows.iloc[train], y.iloc[train])
        losses.append(evaluate(codes[val], model.predict_proba(rows.iloc[val]))["log_loss"])
    return float(np.mean(losses))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store-url", help="reuse a store holding the football data")
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/benchmarks.md")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="regularisation_"))
    store = open_store(args.store_url or f"sqlite:///{(folder / 'football.db').as_posix()}")
    if not args.store_url:
        ingest_football_data(store, [FOOTBALL_ODDS / "seasons"])
    frame = load_match_frame(store, AS_OF).frame
    store.dispose()
    finished = frame[frame["finished"]]
    starts = finished.groupby("season")["kickoff_at"].min().sort_values()
    test_seasons = [s for s in starts.index if s >= "2012-13"]
    blocks = []
    for model_type, (name, grid) in GRIDS.items():
        table = []
        for season in test_seasons:
            rows = finished[finished["result_observed_at"] < starts[season]].reset_index(drop=True)
            started = time.perf_counter()
            scores = {value: inner_log_loss(rows, model_type, {name: value}) for value in grid}
            best = min(scores, key=lambda v: scores[v])
            table.append(
                {
                    "test season": season,
                    "training matches": f"{len(rows):,}",
                    **{f"{name}={v:g}": f"{scores[v]:.5f}" for v in grid},
                    "chosen": f"{best:g}",
                    "s": f"{time.perf_counter() - started:.0f}",
                }
            )
            print(model_type, table[-1], flush=True)
        chosen = sorted({row["chosen"] for row in table})
        blocks += [
            f"### `{model_type}` (no odds): inner walk-forward log loss by `{name}`",
            markdown_table(pd.DataFrame(table)),
            f"Chosen per window: {', '.join(chosen)}.",
        ]
    blocks = [
        "## Regularisation chosen inside the training windows (`benchmarks/regularisation.py`)",
        f"Written on {machine()['date']}. For each test season of the model backtest, the "
        "training rows are everything observed before it; 4 walk-forward folds *inside* "
        "those rows (7-day gap) score each penalty by 1X2 log loss of the features without "
        "odds. No test-season result is used.",
        *blocks,
    ]
    publish("regularisation", blocks, write_docs=not args.no_docs)


if __name__ == "__main__":
    main()
