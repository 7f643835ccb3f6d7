"""Backtest every model type and the market on the shared football data, on the same matches.

Top-5 leagues, test seasons 2012-13 to 2022-23 (walk-forward, refit at each season on
everything observed before it, training from 2003-04). Each configuration goes through
``run_backtest`` with one shared match frame; the Pinnacle closing and opening lines
(de-margined with Shin's method) are scored beside them as pure market references. Everything is
compared on the intersection of the matches every model predicted and that have both Pinnacle
lines. Then ``train_model`` is timed on a demo world of about 100,000 matches. The figures go to
the ``models_backtest`` section of ``docs/benchmarks.md``; backtest CSVs go to ``--out-dir``.

Usage: ``.venv/bin/python benchmarks/models_backtest.py [--quick] [--models a,b]`` (``--help``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from _common import football_store, machine, markdown_table, publish, sqlite_store
from _references import SPI_FILE, elo_shots_baseline, spi_forecasts, with_shots_on_target
from formline.core.comparison import paired_bootstrap
from formline.core.markets import implied_probabilities
from formline.core.metrics import evaluate, per_match_rps
from formline.engine import InputQuery, fetch_arrow
from formline.matches.dataset import MatchFrame, load_match_frame
from formline.matches.features import MATCH_FEATURES
from formline.matches.features.registry import MARGIN_STATS
from formline.matches.models import outcome_codes
from formline.pipeline.backtest import run_backtest, write_backtest
from formline.pipeline.ingest import ingest_demo
from formline.pipeline.train import TrainConfig, build_prototype, clone_fit, train_model
from formline.pipeline.train import training_rows as train_rows
from formline.store import Store, open_store

AS_OF, START, END = datetime(2023, 7, 1), datetime(2012, 7, 1), datetime(2023, 7, 1)
QUICK_START = datetime(2021, 7, 1)  # --quick: the last two test seasons
DEMO_NOW = datetime(2025, 1, 15)
#: label -> (model type, use market); the order of every table.
CONFIGS: dict[str, tuple[str, bool]] = {
    "elo": ("elo", False),
    "dixon-coles": ("dixon-coles", False),
    "logistic-no-market": ("logistic", False),
    "goals-no-market": ("goals", False),
    "lightgbm-no-market": ("lightgbm", False),
    "ensemble-no-market": ("ensemble", False),
    "market": ("market", True),
    "logistic": ("logistic", True),
    "goals": ("goals", True),
    "lightgbm": ("lightgbm", True),
    "ensemble": ("ensemble", True),
    # Ablations: the same model without the within-season home advantage features.
    "logistic-no-market-static-ha": ("logistic", False),
    "goals-no-market-static-ha": ("goals", False),
}
#: Features a configuration leaves out (every other registered feature it may use is read).
RECENT_HOME_ADVANTAGE = tuple(f"{stat}_recent_home_advantage" for stat in MARGIN_STATS)
LEFT_OUT: dict[str, tuple[str, ...]] = {
    "logistic-no-market-static-ha": RECENT_HOME_ADVANTAGE,
    "goals-no-market-static-ha": RECENT_HOME_ADVANTAGE,
}
CLOSE, OPEN = "Pinnacle closing (Shin)", "Pinnacle opening (Shin)"
KNOWN_CLOSE = {"n": 19981, "rps": 0.1944, "log_loss": 0.9638, "brier": 0.5722, "accuracy": 0.538}
KNOWN_OPEN = {"n": 19958, "rps": 0.1952}
P = ["p_home", "p_draw", "p_away"]


class BacktestTimeout(BaseException):
    """Raised by SIGALRM when a backtest runs past ``--max-minutes`` (not an ``Exception``, so
    no ``except Exception`` in the library swallows it)."""


def _on_alarm(signum: int, frame: Any) -> None:
    raise BacktestTimeout


@dataclass
class Run:
    """One backtest: probabilities per match (indexed by ``match_id``) and how long it took."""

    label: str
    proba: pd.DataFrame
    seconds: float
    refits: int


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def load_average() -> str:
    """The 1/5/15-minute load averages (other jobs share the machine)."""
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def book_lines(store: Store, wanted: list[tuple[str, str]]) -> dict[tuple[str, str], pd.DataFrame]:
    """Complete 1X2 lines as Shin probabilities (columns ``P``, indexed by ``match_id``), one
    frame per ``(bookmaker, kind)`` asked for, e.g. ``("pinnacle", "closing")``."""
    books = ", ".join(sorted({f"'{book}'" for book, _ in wanted}))
    query = InputQuery(
        "SELECT match_id, bookmaker, kind, selection, price FROM odds "
        f"WHERE market = '1x2' AND bookmaker IN ({books})",
        {
            "match_id": "int",
            "bookmaker": "text",
            "kind": "text",
            "selection": "text",
            "price": "float",
        },
    )
    wide = (
        fetch_arrow(store, query)
        .to_pandas()
        .pivot_table(
            index="match_id",
            columns=["bookmaker", "kind", "selection"],
            values="price",
            aggfunc="last",
        )
    )
    out = {}
    for book, kind in wanted:
        columns = [(book, kind, s) for s in ("home", "draw", "away")]
        prices = wide.reindex(columns=columns).dropna()
        probs = implied_probabilities(prices.to_numpy(dtype=np.float64), method="shin")
        out[book, kind] = pd.DataFrame(probs, index=prices.index, columns=P).dropna()
    return out


def pinnacle_lines(store: Store) -> dict[str, pd.DataFrame]:
    """Pinnacle's complete opening and closing 1X2 lines as Shin probabilities, per match."""
    lines = book_lines(store, [("pinnacle", "closing"), ("pinnacle", "opening")])
    return {CLOSE: lines["pinnacle", "closing"], OPEN: lines["pinnacle", "opening"]}


def scores(codes: np.ndarray, proba: np.ndarray) -> dict[str, float]:
    """RPS, log loss, Brier, accuracy and n."""
    got = evaluate(codes, proba)
    return {k: got[k] for k in ("n", "rps", "log_loss", "brier", "accuracy")}


def check_known(test: pd.DataFrame, lines: dict[str, pd.DataFrame]) -> list[str]:
    """The Pinnacle lines on every test match that has them, against the published answers;
    returns lines of text (with a loud warning where they differ)."""
    text = []
    for name, known in ((CLOSE, KNOWN_CLOSE), (OPEN, KNOWN_OPEN)):
        rows = test[test["match_id"].isin(lines[name].index)]
        got = scores(outcome_codes(rows), lines[name].loc[rows["match_id"], P].to_numpy())
        ok = all(abs(got[k] - v) <= (0 if k == "n" else 5e-4) for k, v in known.items())
        shown = ", ".join(f"{k} {got[k]:.5g} (known {v})" for k, v in known.items())
        text.append(f"- {name} on all test matches with it: {shown}: {'OK' if ok else 'DIFFERS'}")
        if not ok:
            log("!" * 70 + f"\nWARNING: {name} does not reproduce the known answer\n" + "!" * 70)
    return text


def backtest(store: Store, frame: MatchFrame, label: str, args: argparse.Namespace) -> Run | None:
    """Run (or, with ``--reuse``, reload) one configuration; None if it ran out of time (a drop
    is recorded too, and reused only with the same ``--max-minutes``)."""
    csv, meta = args.out_dir / f"{label}.csv", args.out_dir / f"{label}.json"
    start = QUICK_START if args.quick else START
    info = json.loads(meta.read_text()) if args.reuse and meta.exists() else {}
    if info.get("start") == start.isoformat() and info.get("dropped") == args.max_minutes:
        return None
    if info.get("start") == start.isoformat() and "seconds" in info and csv.exists():
        got = pd.read_csv(csv).set_index("match_id")
        teams = frame.frame.set_index("match_id").reindex(got.index)[["home_team", "away_team"]]
        if not teams.equals(got[["home_team", "away_team"]]):
            raise SystemExit(f"{csv}: match ids differ from this store's; run without --reuse")
        got = got[P]  # written with 6 decimals: renormalise the rows
        return Run(label, got.div(got.sum(axis=1), axis=0), info["seconds"], info["refits"])
    model_type, use_market = CONFIGS[label]
    hyperparameters: dict[str, Any] = {}
    if label in LEFT_OUT:
        names = MATCH_FEATURES.names if use_market else MATCH_FEATURES.without_market()
        hyperparameters["features"] = [n for n in names if n not in LEFT_OUT[label]]
    config = TrainConfig(
        model_type=model_type,
        use_market=use_market,
        lookback_days=0,
        hyperparameters=hyperparameters,
    )
    signal.alarm(int(args.max_minutes * 60))
    started = time.perf_counter()
    try:
        result = run_backtest(
            store, start, END, config, match_frame=frame, label=label, fit_cache=args.fit_cache
        )
    except BacktestTimeout:
        log(f"{label}: dropped after {args.max_minutes} minutes")
        meta.write_text(json.dumps({"dropped": args.max_minutes, "start": start.isoformat()}))
        return None
    finally:
        signal.alarm(0)
    seconds = time.perf_counter() - started
    write_backtest(result, csv)
    meta.write_text(
        json.dumps({"seconds": seconds, "refits": result.refits, "start": start.isoformat()})
    )
    return Run(label, result.frame.set_index("match_id")[P], seconds, result.refits)


def compare(
    test: pd.DataFrame, runs: list[Run], lines: dict[str, pd.DataFrame]
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame], dict[str, np.ndarray], pd.DataFrame]:
    """Scores on the common matches: overall, per season (RPS, log loss), per-match RPS."""
    common = set(test["match_id"]) & set(lines[CLOSE].index) & set(lines[OPEN].index)
    for run in runs:
        common &= set(run.proba.index)
    rows = test[test["match_id"].isin(common)].sort_values("match_id")
    codes = outcome_codes(rows)
    forecasts = {run.label: run.proba.loc[rows["match_id"], P].to_numpy() for run in runs}
    for name in (CLOSE, OPEN):
        forecasts[name] = lines[name].loc[rows["match_id"], P].to_numpy()
    overall = pd.DataFrame([{"model": k, **scores(codes, p)} for k, p in forecasts.items()])
    closing = overall.set_index("model").loc[CLOSE, "rps"]
    overall["gap"] = 100 * (overall["rps"] / closing - 1)
    per_season: dict[str, pd.DataFrame] = {}
    seasons = rows["season"].to_numpy()
    for metric in ("rps", "log_loss"):
        table = {
            season: {
                k: scores(codes[seasons == season], p[seasons == season])[metric]
                for k, p in forecasts.items()
            }
            for season in sorted(set(seasons))
        }
        per_season[metric] = pd.DataFrame(table).T
    per_match = {k: per_match_rps(codes, p) for k, p in forecasts.items()}
    return overall, per_season, per_match, rows


def rps_difference(codes: np.ndarray, a: np.ndarray, b: np.ndarray) -> Any:
    """Paired-bootstrap interval of the mean per-match RPS of forecast ``a`` minus ``b``."""
    return paired_bootstrap(
        per_match_rps(codes, a), per_match_rps(codes, b), n_boot=2000, random_state=0
    )


def uses_odds(label: str) -> str:
    if label in (CLOSE, OPEN):
        return "closing (reference)" if label == CLOSE else "opening (reference)"
    return "opening (avg. books)" if CONFIGS[label][1] else "no"


def goals(overall: pd.DataFrame, per_match: dict[str, np.ndarray]) -> list[str]:
    """Each goal of the issue, with numbers and whether it is met; warns on signs of leakage."""
    by = overall.set_index("model")
    close, opening = by.loc[CLOSE, "rps"], by.loc[OPEN, "rps"]
    models = [m for m in by.index if m not in (CLOSE, OPEN)]
    no_odds = [m for m in models if not CONFIGS[m][1] and m not in LEFT_OUT]
    text = []
    if no_odds:
        best = min(no_odds, key=lambda m: by.loc[m, "rps"])
        gap = by.loc[best, "gap"]
        refs = [r for r in ("elo", "dixon-coles") if r in by.index]
        ahead = all(by.loc[best, "rps"] < by.loc[r, "rps"] for r in refs if r != best) and (
            best not in refs
        )
        refs_text = ", ".join(f"{r} {by.loc[r, 'rps']:.4f}" for r in refs)
        ratio = by.loc[best, "rps"] / close
        text.append(
            f"- **No odds, at or below 1.02 x the closing line's RPS and ahead of Elo and "
            f"Dixon-Coles**: best no-odds model `{best}` RPS {by.loc[best, 'rps']:.5f}, "
            f"{ratio:.4f} x closing {close:.5f} ({gap:+.2f}%; {refs_text}): 1.02 x "
            f"**{'met' if ratio <= 1.02 else 'NOT met'}**, ahead of Elo and Dixon-Coles "
            f"**{'met' if ahead else 'NOT met'}**."
        )
    if models:
        best = min(models, key=lambda m: by.loc[m, "rps"])
        boot = paired_bootstrap(per_match[best], per_match[OPEN], n_boot=2000, random_state=0)
        text.append(
            f"- **May use opening odds, below the opening line**: best model `{best}` RPS "
            f"{by.loc[best, 'rps']:.4f} vs opening {opening:.4f} (difference "
            f"{boot.mean_diff:+.5f}, 95% CI {boot.low:+.5f} to {boot.high:+.5f}): "
            f"**{'met' if by.loc[best, 'rps'] < opening else 'NOT met'}**"
            f"{' (not significant)' if boot.high >= 0 > boot.mean_diff else ''}; gap to the "
            f"closing line {by.loc[best, 'gap']:+.2f}% (opening line {by.loc[OPEN, 'gap']:+.2f}%)."
        )
    for m in models:
        if by.loc[m, "rps"] < close:
            warning = f"LEAKAGE? `{m}` beats the closing line: RPS {by.loc[m, 'rps']:.4f}"
            log("!" * 70 + "\n" + warning + "\n" + "!" * 70)
            text.append(f"- **WARNING: {warning} < {close:.4f}; investigate before trusting it.**")
    return text


def _benter_fit(market: np.ndarray, model: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Benter's second stage: ``p_i ~ market_i^a * model_i^b * exp(c_i)`` (c_home = 0), fitted by
    maximum likelihood; returns (a, b, c_draw, c_away)."""
    from scipy.optimize import minimize

    log_m, log_f = np.log(market), np.log(model)
    rows = np.arange(len(codes))

    def loss(theta: np.ndarray) -> float:
        score = theta[0] * log_m + theta[1] * log_f + np.array([0.0, theta[2], theta[3]])
        score -= score.max(axis=1, keepdims=True)
        log_p = score - np.log(np.exp(score).sum(axis=1, keepdims=True))
        return float(-log_p[rows, codes].mean())

    return np.asarray(minimize(loss, np.array([1.0, 0.0, 0.0, 0.0]), method="BFGS").x)


def _benter_predict(theta: np.ndarray, market: np.ndarray, model: np.ndarray) -> np.ndarray:
    score = theta[0] * np.log(market) + theta[1] * np.log(model) + np.array([0, *theta[2:]])
    p = np.exp(score - score.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)


def benter_stage(rows: pd.DataFrame, runs: list[Run], lines: dict[str, pd.DataFrame]) -> list[str]:
    """Does the best no-odds model add anything to the opening market? Benter's two-stage
    combination, refitted each season on the backtest predictions of the seasons before it (so
    the first test season only trains), scored beside the market on the same matches."""
    by_label = {r.label: r for r in runs}
    no_odds = [r.label for r in runs if not CONFIGS[r.label][1]]
    if "market" not in by_label or not no_odds:
        return []
    codes = outcome_codes(rows)
    ids = rows["match_id"]
    market = np.clip(by_label["market"].proba.loc[ids, P].to_numpy(), 1e-6, 1.0)
    per_model = {
        label: per_match_rps(codes, by_label[label].proba.loc[ids, P].to_numpy())
        for label in no_odds
    }
    fundamental = min(no_odds, key=lambda label: per_model[label].mean())
    model = np.clip(by_label[fundamental].proba.loc[ids, P].to_numpy(), 1e-6, 1.0)
    seasons = rows["season"].to_numpy()
    combined = np.full_like(market, np.nan)
    coefficients = []
    for season in sorted(set(seasons))[1:]:
        train, test = seasons < season, seasons == season
        theta = _benter_fit(market[train], model[train], codes[train])
        combined[test] = _benter_predict(theta, market[test], model[test])
        coefficients.append(f"{season}: a {theta[0]:.3f}, b {theta[1]:.3f}")
    scored = ~np.isnan(combined).any(axis=1)
    forecasts = {
        "market + model (Benter stage)": combined[scored],
        "market": market[scored],
        fundamental: model[scored],
        OPEN: lines[OPEN].loc[ids[scored], P].to_numpy(),
        CLOSE: lines[CLOSE].loc[ids[scored], P].to_numpy(),
    }
    table = pd.DataFrame(
        [{"forecast": k, **scores(codes[scored], p)} for k, p in forecasts.items()]
    )
    boot = rps_difference(codes[scored], combined[scored], market[scored])
    return [
        "### Does a no-odds model add to the opening market? (Benter's two-stage fit)",
        f"`p ~ market^a x {fundamental}^b x exp(c_outcome)`, fitted by maximum likelihood on "
        "the backtest predictions of every earlier test season and applied to the next one "
        f"({int(scored.sum()):,} matches from {sorted(set(seasons))[1]}). Stage minus market, "
        f"RPS: {boot.mean_diff:+.5f} (95% CI {boot.low:+.5f} to {boot.high:+.5f}). Fitted "
        f"weights: {'; '.join(coefficients)}.",
        markdown_table(fmt(table[["forecast", "n", "rps", "log_loss", "brier", "accuracy"]])),
    ]


def best_no_odds(runs: list[Run], rows: pd.DataFrame) -> str | None:
    """The label of the no-odds model (ablations left out) with the lowest RPS on ``rows``."""
    codes = outcome_codes(rows)
    labels = [r.label for r in runs if not CONFIGS[r.label][1] and r.label not in LEFT_OUT]
    by_label = {r.label: r for r in runs}

    def rps(label: str) -> float:
        return float(per_match_rps(codes, by_label[label].proba.loc[rows["match_id"], P]).mean())

    return min(labels, key=rps) if labels else None


def spi_section(rows: pd.DataFrame, runs: list[Run], lines: dict[str, pd.DataFrame]) -> list[str]:
    """The no-odds models against FiveThirtyEight's SPI on the common matches that SPI covers."""
    spi = spi_forecasts(rows)
    best = best_no_odds(runs, rows)
    if spi.empty or best is None:
        return ["### Against FiveThirtyEight's SPI", "Skipped: no SPI file or no no-odds model."]
    both = rows[rows["match_id"].isin(spi.index)]
    ids, codes = both["match_id"], outcome_codes(both)
    by_label = {r.label: r for r in runs}
    forecasts = {"FiveThirtyEight SPI": spi.loc[ids, P].to_numpy()}
    for run in runs:
        if not CONFIGS[run.label][1]:
            forecasts[run.label] = run.proba.loc[ids, P].to_numpy()
    model = by_label[best].proba.loc[ids, P].to_numpy()
    forecasts[f"50/50 average of {best} and SPI"] = (model + forecasts["FiveThirtyEight SPI"]) / 2
    for name in (CLOSE, OPEN):
        forecasts[name] = lines[name].loc[ids, P].to_numpy()
    table = pd.DataFrame([{"forecast": k, **scores(codes, p)} for k, p in forecasts.items()])
    boot = rps_difference(codes, model, forecasts["FiveThirtyEight SPI"])
    ahead = boot.mean_diff < 0
    return [
        "### Against FiveThirtyEight's SPI (the matches both cover)",
        f"538's published pre-match probabilities (`{SPI_FILE.name}`), joined to the test "
        f"matches on league, date and teams (538 names mapped to football-data names through "
        f"the matches with a unique league, date and score): {len(both):,} of the common "
        f"matches, 2016-17 to 2022-23. `{best}` minus SPI, RPS: {boot.mean_diff:+.5f} (95% CI "
        f"{boot.low:+.5f} to {boot.high:+.5f}): ahead of SPI **{'met' if ahead else 'NOT met'}**"
        + (
            " (significant)."
            if boot.high < 0
            else " (not significant: the interval reaches zero)."
            if ahead
            else "."
        ),
        markdown_table(fmt(table[["forecast", "n", "rps", "log_loss", "brier", "accuracy"]])),
    ]


def baseline_section(
    store: Store,
    finished: pd.DataFrame,
    rows: pd.DataFrame,
    runs: list[Run],
    lines: dict[str, pd.DataFrame],
) -> list[str]:
    """Per season, the lead of each no-odds model over the guide's Elo-plus-shots logistic."""
    started = time.perf_counter()
    baseline = elo_shots_baseline(with_shots_on_target(store, finished), rows["season"].min())
    seconds = time.perf_counter() - started
    rows = rows[rows["match_id"].isin(baseline.index)]
    codes, seasons = outcome_codes(rows), rows["season"].to_numpy()
    base = per_match_rps(codes, baseline.loc[rows["match_id"], P].to_numpy())
    close = per_match_rps(codes, lines[CLOSE].loc[rows["match_id"], P].to_numpy())
    models = [r for r in runs if not CONFIGS[r.label][1] and r.label not in ("elo",)]
    per_model = {r.label: per_match_rps(codes, r.proba.loc[rows["match_id"], P]) for r in models}
    table = []
    for season in [*sorted(set(seasons)), "all"]:
        at = seasons == season if season != "all" else np.ones(len(rows), dtype=bool)
        row: dict[str, Any] = {"season": season, "baseline RPS": f"{base[at].mean():.4f}"}
        row["baseline gap to closing %"] = f"{100 * (base[at].mean() / close[at].mean() - 1):+.2f}"
        for label, loss in per_model.items():
            row[f"{label} lead"] = f"{base[at].mean() - loss[at].mean():+.4f}"
        table.append(row)
    best = best_no_odds(runs, rows)
    text = ""
    if best is not None:
        lead = base - per_model[best]
        late = np.isin(seasons, sorted(set(seasons))[-3:])
        boot = paired_bootstrap(lead[late], np.zeros(int(late.sum())), n_boot=2000, random_state=0)
        text = (
            f" Lead of `{best}` over the baseline: {lead.mean():+.4f} RPS over all test seasons, "
            f"{lead[late].mean():+.4f} on the last three (95% CI {boot.low:+.4f} to "
            f"{boot.high:+.4f})."
        )
    return [
        "### Against a simple baseline: Elo plus shots on target, per season",
        "The modelling guide's reference written in about 60 lines (`benchmarks/_references.py`"
        ", independent of formline's features): Elo (K 20, home 65, margin-of-victory "
        "multiplier, a third regressed between seasons, newcomers 100 below the mean) and the "
        "sides' exponentially weighted shots-on-target margins (half-life 20 matches: of 10, 20 "
        "and 40 tried on the test seasons, the best for the baseline, which can only shrink the "
        "lead), in a multinomial logistic regression refitted at each season on every earlier one "
        f"({seconds:.0f} s). *Lead* is baseline RPS minus model RPS (positive: the model is "
        f"better), on the {len(rows):,} common matches.{text} Later seasons than the data holds "
        "are not measured here; where the lead shrinks over the last seasons, expect less on "
        "new ones.",
        markdown_table(pd.DataFrame(table)),
    ]


def no_crowds_section(
    rows: pd.DataFrame, runs: list[Run], lines: dict[str, pd.DataFrame]
) -> list[str]:
    """2020-21 (matches without crowds) against the other seasons: each no-odds model with and
    without the within-season home advantage features."""
    by_label = {r.label: r for r in runs}
    codes, seasons = outcome_codes(rows), rows["season"].to_numpy()
    ids = rows["match_id"]
    close = lines[CLOSE].loc[ids, P].to_numpy()
    close_rps = per_match_rps(codes, close)
    covid = seasons == "2020-21"
    table = []
    for label in [label for label in CONFIGS if label in by_label and not CONFIGS[label][1]]:
        proba = by_label[label].proba.loc[ids, P].to_numpy()
        loss = per_match_rps(codes, proba)
        gap = [100 * (loss[at].mean() / close_rps[at].mean() - 1) for at in (covid, ~covid)]
        table.append(
            {
                "model": label,
                "2020-21 RPS": f"{loss[covid].mean():.4f}",
                "2020-21 gap to closing %": f"{gap[0]:+.2f}",
                "other seasons gap %": f"{gap[1]:+.2f}",
                "2020-21 mean p_home": f"{proba[covid, 0].mean():.3f}",
            }
        )
    table.append(
        {
            "model": CLOSE,
            "2020-21 RPS": f"{close_rps[covid].mean():.4f}",
            "2020-21 gap to closing %": "+0.00",
            "other seasons gap %": "+0.00",
            "2020-21 mean p_home": f"{close[covid, 0].mean():.3f}",
        }
    )
    pairs = [
        (label, f"{label}-static-ha")
        for label in ("goals-no-market", "logistic-no-market")
        if label in by_label and f"{label}-static-ha" in by_label
    ]
    notes = []
    for adaptive, static in pairs:
        a = by_label[adaptive].proba.loc[ids[covid], P].to_numpy()
        b = by_label[static].proba.loc[ids[covid], P].to_numpy()
        boot = rps_difference(codes[covid], a, b)
        notes.append(
            f"- `{adaptive}` minus `{static}` on 2020-21: {boot.mean_diff:+.5f} RPS (95% CI "
            f"{boot.low:+.5f} to {boot.high:+.5f})."
        )
    return [
        "### The 2020-21 season without crowds (within-season home advantage)",
        f"{int(covid.sum()):,} common matches of 2020-21; observed home-win share "
        f"{(codes[covid] == 0).mean():.3f}. `*-static-ha` is the same model without the "
        "`*_recent_home_advantage` features (the home advantage then only moves with the slow "
        "margin-rating update and the once-a-season refit): the before/after of this change in "
        "one run.",
        markdown_table(pd.DataFrame(table)),
        "\n".join(notes),
    ]


def time_training(folder: Path, model_types: list[str]) -> list[str]:
    """``train_model`` timed on a demo world of ~100,000 matches, on a fresh copy of the store
    per model type (so no champion is refitted); returns the markdown blocks."""
    with sqlite_store(folder) as store:
        started = time.perf_counter()
        ingest_demo(store, n_leagues=9, n_teams=20, n_seasons=30, now=DEMO_NOW)
        ingest = time.perf_counter() - started
        started = time.perf_counter()
        frame = load_match_frame(store, DEMO_NOW)
        features = time.perf_counter() - started
    table = []
    for model_type in model_types:
        config = TrainConfig(model_type=model_type, as_of=DEMO_NOW, lookback_days=100000)
        rows = train_rows(frame.frame, DEMO_NOW, config)
        db = folder / f"{model_type}.db"
        shutil.copy(folder / "formline.db", db)
        store = open_store(f"sqlite:///{db.as_posix()}")
        log(f"timing train_model({model_type}) on {len(rows):,} matches, load {load_average()}")
        try:
            started = time.perf_counter()
            train_model(store, config, folder / "models")
            total = time.perf_counter() - started
        finally:
            store.dispose()
        started = time.perf_counter()
        clone_fit(build_prototype(model_type, config, {}), rows, rows[["home_goals", "away_goals"]])
        fit = time.perf_counter() - started
        table.append(
            {
                "model": f"{model_type} (with market features)",
                "training matches": f"{len(rows):,}",
                "train_model s": f"{total:.1f}",
                "of which features (load_match_frame) s": f"{features:.1f}",
                "one final fit s": f"{fit:.1f}",
                "under 2 min": "yes" if total < 120 else "NO",
            }
        )
        log(f"train_model({model_type}): {total:.1f} s (features {features:.1f} s, fit {fit:.1f})")
    return [
        "### Training time on ~100,000 matches (demo world, 9 leagues x 20 teams x 30 seasons, "
        "SQLite)",
        "`train_model` end to end: features, 5-fold walk-forward validation with calibration, "
        "the Elo reference, the final fit, the bundle and the registry. *One final fit* is a "
        "single fit of the model on every training row, features given. 2 cores shared with "
        f"other jobs (load {load_average()}); demo ingest took {ingest:.0f} s.",
        markdown_table(pd.DataFrame(table)),
    ]


def fmt(frame: pd.DataFrame, digits: int = 4) -> pd.DataFrame:
    return frame.map(lambda v: f"{v:.{digits}f}" if isinstance(v, float) else v)


COLUMNS = {"uses_odds": "uses odds", "rps": "RPS", "log_loss": "log loss", "brier": "Brier"}


def render(
    args: argparse.Namespace,
    overall: pd.DataFrame,
    per_season: dict[str, pd.DataFrame],
    rows: pd.DataFrame,
    runs: list[Run],
    known: list[str],
    goal_lines: list[str],
) -> list[str]:
    """The markdown blocks of the section, up to the backtest timings."""
    shown = overall.assign(uses_odds=overall["model"].map(uses_odds))
    shown = fmt(shown[["model", "uses_odds", "n", "rps", "log_loss", "brier", "accuracy"]])
    shown["RPS gap to closing %"] = overall["gap"].map("{:+.2f}".format)
    timing = pd.DataFrame(
        [(r.label, f"{len(r.proba):,}", r.refits, f"{r.seconds:.0f}") for r in runs],
        columns=["model", "matches predicted", "refits", "wall s"],
    )
    return [
        "## Model backtest (`benchmarks/models_backtest.py`)",
        f"Written on {machine()['date']}{' (QUICK run: two test seasons)' if args.quick else ''}"
        f". Top-5 leagues from football-data.co.uk, test seasons {rows['season'].min()} to "
        f"{rows['season'].max()}, walk-forward from 2003-04 (refit at each season on everything "
        "observed before it; `lookback_days=0`), one shared match frame as of 2023-07-01. Pure "
        "market references: Pinnacle's closing and opening 1X2 lines with Shin's margin "
        "removal. Models that *use odds* only see the de-margined opening prices averaged over "
        "bookmakers (`market_p_*`); never closing.",
        "### Known answers",
        "\n".join(known),
        f"### Same matches: {len(rows):,} (every model predicted them; both Pinnacle lines)",
        markdown_table(shown.rename(columns=COLUMNS)),
        "### Goals",
        "\n".join(goal_lines),
        "### RPS per season",
        markdown_table(fmt(per_season["rps"]).reset_index(names="season")),
        "### Log loss per season",
        markdown_table(fmt(per_season["log_loss"]).reset_index(names="season")),
        "### Backtest wall time (one process, machine shared with other jobs)",
        "An ensemble's members are fitted in its members' own backtests when those ran first "
        "(a shared fit cache, same probabilities); `--no-fit-cache` times each on its own."
        if args.fit_cache is not None
        else "Each model backtested on its own (`--no-fit-cache`).",
        markdown_table(timing),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store-url", help="reuse a store holding the football data")
    parser.add_argument("--models", default=",".join(CONFIGS), help="labels, comma-separated")
    parser.add_argument("--quick", action="store_true", help="two test seasons (smoke run)")
    parser.add_argument("--out-dir", type=Path, help="backtest CSVs (default: a temporary dir)")
    parser.add_argument("--reuse", action="store_true", help="reload CSVs found in --out-dir")
    parser.add_argument("--max-minutes", type=float, default=60.0, help="per backtest")
    parser.add_argument("--train-models", default="logistic,lightgbm", help="'' to skip")
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/benchmarks.md")
    parser.add_argument(
        "--no-fit-cache",
        action="store_true",
        help="backtest each model on its own (by default an ensemble reuses its members' fits)",
    )
    args = parser.parse_args()
    args.fit_cache = None if args.no_fit_cache else {}
    labels = [m for m in args.models.split(",") if m]
    unknown = set(labels) - set(CONFIGS)
    if unknown:
        parser.error(f"unknown --models {sorted(unknown)}; choose from {', '.join(CONFIGS)}")
    tmp = Path(tempfile.mkdtemp(prefix="models_backtest_"))
    args.out_dir = args.out_dir or tmp / "backtests"
    args.out_dir.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGALRM, _on_alarm)
    log(f"machine load {load_average()}; CSVs in {args.out_dir}")
    store, ingest_seconds = football_store(args.store_url, tmp)
    if ingest_seconds is not None:
        log(f"ingested the football data in {ingest_seconds:.0f} s")
    started = time.perf_counter()
    frame = load_match_frame(store, AS_OF)
    log(f"match frame: {len(frame.frame):,} matches in {time.perf_counter() - started:.1f} s")
    lines = pinnacle_lines(store)
    all_rows = frame.frame[frame.frame["finished"]]
    test = all_rows[(all_rows["kickoff_at"] >= START) & (all_rows["kickoff_at"] < END)]
    known = check_known(test, lines)
    test = test[test["kickoff_at"] >= (QUICK_START if args.quick else START)]
    runs, dropped = [], []
    for label in labels:
        log(f"backtest {label} (load {load_average()})")
        run = backtest(store, frame, label, args)
        if run is None:
            dropped.append(label)
            continue
        runs.append(run)
        log(f"{label}: {len(run.proba):,} matches, {run.seconds:.0f} s, {run.refits} refits")
    overall, per_season, per_match, rows = compare(test, runs, lines)
    goal_lines = goals(overall, per_match)
    if dropped:
        goal_lines.append(f"- Dropped after {args.max_minutes:.0f} min: {', '.join(dropped)}.")
    body = render(args, overall, per_season, rows, runs, known, goal_lines)
    body += spi_section(rows, runs, lines)
    body += no_crowds_section(rows, runs, lines)
    body += baseline_section(store, all_rows, rows, runs, lines)
    store.dispose()
    body += benter_stage(rows, runs, lines)
    if args.train_models:
        (tmp / "demo").mkdir()
        body += time_training(tmp / "demo", args.train_models.split(","))
        shutil.rmtree(tmp / "demo", ignore_errors=True)
    for leftover in ("football.db", "football.db-shm", "football.db-wal"):
        (tmp / leftover).unlink(missing_ok=True)
    if not any(tmp.iterdir()):
        tmp.rmdir()
    publish("models_backtest", body, write_docs=not args.no_docs)


if __name__ == "__main__":
    main()
