"""Backtest speed on the shared football data: the naive path against the planned one.

Top-5 leagues, walk-forward refit at each season (training from 2003-04), one shared match frame
as of 2023-07-01. For each model (LightGBM and the ensemble by default) the same backtest runs
three ways in one process: naive (one ``fit_calibrated`` per refit, as before the plan), planned
in this process, and planned in ``--jobs`` worker processes; wall time and CPU time (this
process and its workers) of each, and the largest difference between their probabilities
(0 means bit-identical). Then single LightGBM fits with ``force_row_wise`` against
``force_col_wise`` (the model's setting now) on one training window, same trees.

The machine is shared with other jobs: compare the ratios within one run, and read the CPU
times beside the wall times. The figures go to the ``backtest_speed`` section of
``docs/benchmarks.md``.

Usage: ``.venv/bin/python benchmarks/backtest_speed.py [--start 2020-07-01] [--models a,b]
[--jobs 2] [--store-url URL]`` (``--help``).
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from _common import football_store, markdown_table, publish
from formline.matches.dataset import MatchFrame, load_match_frame
from formline.matches.models import make_model, outcome_codes
from formline.pipeline.backtest import BacktestResult, run_backtest
from formline.pipeline.train import TrainConfig
from formline.store import Store

AS_OF, START, END = datetime(2023, 7, 1), datetime(2012, 7, 1), datetime(2023, 7, 1)
P = ["p_home", "p_draw", "p_away", "p_over_2_5"]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message} (load {load()})", flush=True)


def load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the worker processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(run: Any) -> tuple[BacktestResult, float, float]:
    wall, cpu = time.perf_counter(), cpu_seconds()
    result = run()
    return result, time.perf_counter() - wall, cpu_seconds() - cpu


def backtests(
    store: Store, frame: MatchFrame, model_type: str, start: datetime, jobs: int
) -> list[dict[str, Any]]:
    """The naive and the planned backtests of one model, timed, with their differences."""
    config = TrainConfig(model_type=model_type, lookback_days=0)
    rows, reference = [], None
    paths = [("naive", False, 1), ("planned", True, 1)]
    paths += [("planned", True, jobs)] if jobs > 1 else []
    for how, planned, workers in paths:
        log(f"{model_type}: {how}, {workers} process(es)")
        result, wall, cpu = timed(
            lambda p=planned, w=workers: run_backtest(
                store, start, END, config, match_frame=frame, planned=p, jobs=w
            )
        )
        probabilities = result.frame[P].to_numpy()
        if reference is None:
            reference = probabilities
        rows.append(
            {
                "model": model_type,
                "path": f"{how}, {workers} process{'es' if workers > 1 else ''}",
                "matches": len(result.frame),
                "refits": result.refits,
                "fits": result.fits if planned else None,
                "wall s": round(wall, 1),
                "CPU s": round(cpu, 1),
                "max abs diff to naive": float(np.abs(probabilities - reference).max()),
            }
        )
        log(f"{model_type} {how} x{workers}: {wall:.0f} s wall, {cpu:.0f} s CPU")
    naive = rows[0]
    for row in rows:
        row["wall vs naive"] = f"{naive['wall s'] / row['wall s']:.2f}x"
        row["CPU vs naive"] = f"{naive['CPU s'] / row['CPU s']:.2f}x"
    return rows


def lightgbm_layouts(frame: MatchFrame, repeats: int) -> list[dict[str, Any]]:
    """One LightGBM fit (both heads) on the training window of 2017-18, row-wise and
    column-wise histograms alternately, with their largest probability difference."""
    finished = frame.frame[frame.frame["finished"]].reset_index(drop=True)
    boundary = finished.loc[finished["season"] == "2017-18", "kickoff_at"].min()
    train = finished[finished["result_observed_at"] < boundary].reset_index(drop=True)
    test = finished[finished["season"] == "2017-18"]
    model = make_model("lightgbm", use_market=True)
    X = train[model._feature_list()].astype("float64")
    codes = outcome_codes(train)
    seconds: dict[str, list[float]] = {"force_row_wise": [], "force_col_wise": []}
    proba: dict[str, np.ndarray] = {}
    for _ in range(repeats):
        for layout in seconds:
            classifier = model._classifier("multiclass")
            classifier.set_params(
                **{"force_row_wise": False, "force_col_wise": False, layout: True}
            )
            started = cpu_seconds()
            classifier.fit(X, codes)
            seconds[layout].append(cpu_seconds() - started)
            proba[layout] = classifier.predict_proba(test[model._feature_list()].astype("float64"))
    same = float(np.abs(proba["force_row_wise"] - proba["force_col_wise"]).max())
    return [
        {
            "LightGBM 1X2 head": layout,
            "training rows": len(train),
            "CPU s (median)": round(float(np.median(times)), 2),
            "runs": len(times),
            "max abs diff to row-wise": same if layout == "force_col_wise" else 0.0,
        }
        for layout, times in seconds.items()
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store-url", help="reuse a store holding the football data")
    parser.add_argument("--start", default=START.date().isoformat(), help="first test kickoff")
    parser.add_argument("--models", default="lightgbm,ensemble")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (planned path)")
    parser.add_argument("--layout-repeats", type=int, default=3, help="0 to skip")
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/benchmarks.md")
    args = parser.parse_args()
    start = datetime.fromisoformat(args.start)
    tmp = Path(tempfile.mkdtemp(prefix="backtest_speed_"))
    store, ingest_seconds = football_store(args.store_url, tmp)
    if ingest_seconds is not None:
        log(f"ingested the football data in {ingest_seconds:.0f} s")
    started = time.perf_counter()
    frame = load_match_frame(store, AS_OF)
    features = time.perf_counter() - started
    log(f"match frame: {len(frame.frame):,} matches in {features:.0f} s")
    layouts = lightgbm_layouts(frame, args.layout_repeats) if args.layout_repeats else []
    rows: list[dict[str, Any]] = []
    for model_type in [m for m in args.models.split(",") if m]:
        rows += backtests(store, frame, model_type, start, args.jobs)
        # Written after each model, so a run cut short keeps what it measured.
        publish("backtest_speed", _body(start, features, rows, layouts), not args.no_docs)
    if not rows:
        publish("backtest_speed", _body(start, features, rows, layouts), not args.no_docs)
    store.dispose()


def _body(
    start: datetime, features: float, rows: list[dict[str, Any]], layouts: list[dict[str, Any]]
) -> list[str]:
    seasons = f"{start:%Y}-{(start.year + 1) % 100:02d} to 2022-23"
    if start > START:
        seasons += " (a subset of the shared test seasons 2012-13 to 2022-23: `--start`)"
    body = [
        "## Backtest speed (`benchmarks/backtest_speed.py`)",
        f"Written on {datetime.now():%Y-%m-%d %H:%M}. Top-5 leagues, test seasons {seasons}, "
        "refit at each season on everything observed before it (training from 2003-04), lead "
        f"0, features built once ({features:.0f} s, not in the times below). *naive*: one "
        "`fit_calibrated` per refit (the backtest before the plan; an ensemble fits its members "
        "inside its own fit and again per calibration fold: 21 member fits per refit); "
        "*planned*: every distinct member fit once (12 per refit for the ensemble), in this "
        "process or in worker processes. CPU s counts this process and its workers (with "
        "worker processes, their start-up too). The machine is shared with other agents (load "
        f"average {load()} when written, on {len(os.sched_getaffinity(0))} cores): wall times "
        "are inflated and noisy, so compare ratios within this run, and the CPU times.",
    ]
    if rows:
        body.append(markdown_table(pd.DataFrame(rows)))
    if layouts:
        body += [
            "### LightGBM histogram layout (one training window, same trees)",
            markdown_table(pd.DataFrame(layouts)),
        ]
    return body


if __name__ == "__main__":
    main()
