"""US-sports win probability, walk-forward by season on the shared data, against
FiveThirtyEight's Elo and the betting market.

    .venv/bin/python benchmarks/us_win_probability.py [--database-url URL] [--write]

Without ``--database-url`` the shared US files are loaded into a temporary SQLite store with
``ingest:us-sports``'s own code (about a minute); with it, an already loaded store is read.
Per sport: the point-in-time features (:mod:`formline.matches.us_features`), then season by
season every model is fitted on the earlier seasons only and predicts the next
(:func:`formline.matches.models.us_win.walk_forward`). Scored on the decided games (ties
dropped) that every compared forecaster has: NFL and NBA on the games with a FiveThirtyEight
forecast and an OddsPortal moneyline, MLB and NHL on the games with SBR opening and closing
moneylines. Binary Brier, log loss, accuracy; paired bootstrap (2,000 replicates, 95%) of the
per-game Brier of each model minus 538's and minus the market's. ``--write`` replaces the
section of docs/benchmarks.md.

Preseason games: OddsPortal lists them, the matches table does not keep the season type, so
the stored games whose preferred source is an OddsPortal preseason row are dropped here (read
back from the OddsPortal files).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import create_engine

from formline.core.comparison import paired_bootstrap
from formline.core.metrics import evaluate_binary
from formline.matches.models.us_lines import NormalLineModel
from formline.matches.models.us_win import ProbabilityColumn, SeasonalLogit, walk_forward
from formline.matches.sources.us import read_us_sports
from formline.matches.us_features import (
    BASE_FEATURES,
    FEATURE_SPECS,
    TOTAL_FEATURES,
    build_us_features,
    demargined_moneyline,
)
from formline.matches.us_reads import read_us_games

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
if not DATA.exists():
    DATA = Path("/work/shared/data")
FILES = [
    "nfl_spreadspoke",
    "us_odds_oddsportal",
    "nba_odds",
    "mlb_odds_sbr",
    "nhl_odds_sbr",
    "fivethirtyeight/nfl_elo.csv",
    "fivethirtyeight/nba_elo.csv.gz",
]
DOC = ROOT / "docs" / "benchmarks.md"
SECTION = "## US-sports win probability (walk-forward by season)"

#: sport -> (test seasons, training window in seasons, the compared forecasters).
PLAN: dict[str, tuple[list[str], int, str]] = {
    "nfl": ([str(y) for y in range(2009, 2020)], 20, "538"),
    "nba": ([f"{y}-{(y + 1) % 100:02d}" for y in range(2008, 2020)], 15, "538"),
    "mlb": ([str(y) for y in range(2012, 2019)], 10, "opening"),
    "nhl": ([f"{y}-{(y + 1) % 100:02d}" for y in range(2012, 2021)], 10, "opening"),
}
#: A few robust features: Elo, rest and recent form.
SMALL = ("elo_logit", "rest_home", "rest_away", "b2b_home", "b2b_away")


def _models(sport: str) -> dict[str, Callable[[], Any]]:
    models: dict[str, Callable[[], Any]] = {
        "elo (ours)": lambda: ProbabilityColumn("elo_prob"),
        "logit: elo only": lambda: SeasonalLogit(("elo_logit",)),
        "logit: elo + rest": lambda: SeasonalLogit(SMALL),
        "logit: no market": lambda: SeasonalLogit(BASE_FEATURES),
    }
    if sport in ("mlb", "nhl"):
        models["logit: no market + opening"] = lambda: SeasonalLogit(
            (*BASE_FEATURES, "market_open_logit")
        )
        models["logit: elo + rest + opening"] = lambda: SeasonalLogit((*SMALL, "market_open_logit"))
    closing = (
        ("market_close_logit", "spread_logit")
        if sport in ("nfl", "nba")
        else ("market_close_logit",)
    )
    models["logit: no market + closing"] = lambda: SeasonalLogit((*BASE_FEATURES, *closing))
    return models


def _store_url(url: str | None, home: Path) -> tuple[str, float]:
    if url:
        return url, 0.0
    from formline.matches.us_ingest import ingest_us_sports
    from formline.store.db import open_store

    url = f"sqlite:///{home / 'formline.db'}"
    start = time.perf_counter()
    ingest_us_sports(open_store(url), [DATA / f for f in FILES])
    return url, time.perf_counter() - start


def _preseason() -> set[tuple[str, int]]:
    """(file name, line) of every OddsPortal preseason game."""
    rows: set[tuple[str, int]] = set()
    for read in read_us_sports([DATA / "us_odds_oddsportal"]):
        g = read.batch.games
        pre = g[g["season_type"] == "preseason"]
        rows |= {
            (Path(f).name, int(n))
            for f, n in zip(pre["source_file"], pre["source_line"], strict=False)
        }
    return rows


def _frame(conn: Any, sport: str, preseason: set[tuple[str, int]]) -> tuple[pd.DataFrame, Any]:
    data = read_us_games(conn, sport)
    games = data.games[data.games["status"] == "finished"]
    keys = [
        (Path(str(f)).name, int(n)) if s == "oddsportal" else ("", 0)
        for s, f, n in zip(games["source"], games["source_file"], games["source_line"], strict=True)
    ]
    games = games[[k not in preseason for k in keys]].reset_index(drop=True)
    features = build_us_features(games, data.odds, spec=FEATURE_SPECS[sport])
    margin = games["home_score"] - games["away_score"]
    features["y"] = np.where(margin > 0, 1.0, np.where(margin < 0, 0.0, np.nan))
    features["margin"] = margin.to_numpy()
    features["total"] = (games["home_score"] + games["away_score"]).to_numpy()
    closing = data.odds[data.odds["kind"] == "closing"]
    for name, market, selection in (
        ("home_line", "spread", "home"),
        ("total_line", "total", "over"),
    ):
        lines = closing[(closing["market"] == market) & (closing["selection"] == selection)]
        features[name] = features["match_id"].map(lines.groupby("match_id")["line"].first())
    features = features.merge(
        data.forecasts[data.forecasts["forecaster"] == "fivethirtyeight_elo"][
            ["match_id", "p_home"]
        ].rename(columns={"p_home": "p_538"}),
        on="match_id",
        how="left",
    )
    ids = features["match_id"]
    for name, kind, books in (
        ("p_close_op", "closing", ("market_avg",)),
        ("p_close_sbr", "closing", ("sbr",)),
        ("p_open_sbr", "opening", ("sbr",)),
    ):
        features[name] = ids.map(demargined_moneyline(data.odds, kind, books))
    return features, data


def _scores(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    s = evaluate_binary(y, p)
    return {"brier": s["brier"], "log_loss": s["log_loss"], "accuracy": s["accuracy"]}


def _bootstrap(y: np.ndarray, a: np.ndarray, b: np.ndarray) -> str:
    r = paired_bootstrap((a - y) ** 2, (b - y) ** 2, n_boot=2000, random_state=0)
    return f"{r.mean_diff:+.4f} [{r.low:+.4f}, {r.high:+.4f}]"


def run_sport(conn: Any, sport: str, preseason: set[tuple[str, int]]) -> dict[str, Any]:
    """Walk-forward every model of ``sport``; the scores on the compared games."""
    test, window, versus = PLAN[sport]
    start = time.perf_counter()
    frame, _ = _frame(conn, sport, preseason)
    built = time.perf_counter() - start
    y = frame["y"]
    predictions, chosen = {}, {}
    for name, make in _models(sport).items():
        fitted_models: dict[str, Any] = {}
        predictions[name] = walk_forward(
            frame, y, make, test, train_seasons=window, fitted=fitted_models
        )
        Cs = [getattr(m, "C_", None) for m in fitted_models.values()]
        if Cs and Cs[0] is not None:
            chosen[name] = "/".join(f"{c:g}" for c in Cs)
    fitted = time.perf_counter() - start - built
    rows = frame.loc[frame["season"].isin(test) & y.notna()].copy()
    if versus == "538":
        refs = {"538 Elo": "p_538", "market (OddsPortal closing)": "p_close_op"}
    else:
        refs = {"market (SBR opening)": "p_open_sbr", "market (SBR closing)": "p_close_sbr"}
    for name, p in predictions.items():
        rows[name] = p.reindex(rows.index)
    rows = rows.dropna(subset=[*refs.values(), *predictions])
    target = rows["y"].to_numpy()
    table = []
    for name, column in [*refs.items(), *[(m, m) for m in predictions]]:
        p = rows[column].to_numpy(dtype=np.float64)
        entry = {"model": name, **_scores(target, p)}
        for ref_name, ref_column in refs.items():
            ref = rows[ref_column].to_numpy(dtype=np.float64)
            entry[f"minus {ref_name}"] = "" if column == ref_column else _bootstrap(target, p, ref)
        table.append(entry)
    return {
        "sport": sport,
        "games": len(rows),
        "seasons": f"{test[0]} to {test[-1]}",
        "table": pd.DataFrame(table),
        "seconds_features": built,
        "seconds_models": fitted,
        "C": chosen,
    }


#: Line models: name -> (value, features, relative to the line).
LINE_MODELS: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "cover: margin model": ("margin", BASE_FEATURES, False),
    "cover: line + features": ("margin", (*BASE_FEATURES, "spread_logit"), True),
    "over: totals model": ("total", (*TOTAL_FEATURES, "rest_home", "rest_away"), False),
    "over: line + features": ("total", (*TOTAL_FEATURES, "rest_home", "rest_away"), True),
}


def run_lines(conn: Any, sport: str, preseason: set[tuple[str, int]]) -> pd.DataFrame:
    """P(home covers) at the closing spread and P(over) at the closing total, walk-forward,
    scored on the games without a push, against the 0.5 that the closing line implies."""
    test, window, _ = PLAN[sport]
    frame, _ = _frame(conn, sport, preseason)
    seasons = frame["season"].astype(str)
    order = sorted(seasons.unique())
    rows = []
    for name, (value, features, relative) in LINE_MODELS.items():
        line = frame["home_line"] if value == "margin" else frame["total_line"]
        # The home side covers when margin > -home line; over when total > total line.
        threshold = -line if value == "margin" else line
        predicted = pd.Series(np.nan, index=frame.index)
        for season in test:
            earlier = [s for s in order if s < season][-window:]
            train = seasons.isin(earlier) & frame[value].notna()
            if relative:
                train &= threshold.notna()
            test_rows = (seasons == season) & threshold.notna()
            if not train.any() or not test_rows.any():
                continue
            target = frame.loc[train, value] - (threshold[train] if relative else 0.0)
            model = NormalLineModel(features).fit(frame[train], target.to_numpy())
            cut = 0.0 if relative else threshold[test_rows].to_numpy()
            predicted[test_rows] = model.predict_above(frame[test_rows], cut)
        scored = predicted.notna() & frame[value].notna() & (frame[value] != threshold)
        hit = (frame.loc[scored, value] > threshold[scored]).astype(int).to_numpy()
        p = predicted[scored].to_numpy()
        s = evaluate_binary(hit, p)
        ll = -(hit * np.log(p) + (1 - hit) * np.log(1 - p))
        r = paired_bootstrap(ll, np.full_like(p, np.log(2.0)), n_boot=2000, random_state=0)
        rows.append(
            {
                "model": name,
                "games": int(scored.sum()),
                "hit rate": float(hit.mean()),
                "log_loss": s["log_loss"],
                "minus 0.5 (ln 2)": f"{r.mean_diff:+.4f} [{r.low:+.4f}, {r.high:+.4f}]",
                "brier": s["brier"],
                "ece": s["ece"],
                "calibration slope": s["calibration_slope"],
                "accuracy": float(np.mean((p >= 0.5) == hit)),
            }
        )
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("FORMLINE_US_DATABASE_URL"))
    parser.add_argument("--sport", action="append", choices=list(PLAN))
    parser.add_argument("--write", action="store_true", help="write docs/benchmarks.md")
    parser.add_argument("--results", type=Path, help="also keep the results in this pickle")
    parser.add_argument("--from-results", type=Path, help="write the section from a pickle")
    args = parser.parse_args(argv)
    if not (DATA / "us_odds_oddsportal").exists():
        print(f"the shared data is not here: {DATA}", file=sys.stderr)
        return 1
    if args.from_results:
        results, ingest_seconds = pd.read_pickle(args.from_results)
        _write(results, ingest_seconds)
        return 0
    with tempfile.TemporaryDirectory(prefix="formline-us-") as home:
        return _run(args, Path(home))


def _run(args: argparse.Namespace, home: Path) -> int:
    """The benchmark proper (a temporary store, if one is made, lives in ``home``)."""
    url, ingest_seconds = _store_url(args.database_url, home)
    preseason = _preseason()
    results = []
    engine = create_engine(url)
    with engine.connect() as conn:
        for sport in args.sport or list(PLAN):
            result = run_sport(conn, sport, preseason)
            results.append(result)
            print(
                f"\n{sport.upper()} {result['seasons']}: {result['games']} games "
                f"(features {result['seconds_features']:.1f} s, "
                f"walk-forward {result['seconds_models']:.1f} s); C per test season: "
                f"{result['C']}"
            )
            print(result["table"].to_string(index=False, float_format=lambda v: f"{v:.4f}"))
            print("goal:", goals(result))
            if sport in ("nfl", "nba"):
                result["lines"] = run_lines(conn, sport, preseason)
                print(f"\n{sport.upper()} spreads and totals (closing lines):")
                print(result["lines"].to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    engine.dispose()
    if ingest_seconds:
        print(f"\ningest into a temporary SQLite store: {ingest_seconds:.1f} s")
    if args.results:
        pd.to_pickle((results, ingest_seconds), args.results)
    if args.write:
        _write(results, ingest_seconds)
    return 0


NO_MARKET = ("elo (ours)", "logit: elo only", "logit: elo + rest", "logit: no market")
WITH_OPENING = ("logit: no market + opening", "logit: elo + rest + opening")


def goals(result: dict[str, Any]) -> str:
    """Whether the issue's goal for the sport is met, in one sentence from the table."""
    table = result["table"].set_index("model")
    if result["sport"] in ("nfl", "nba"):
        best = table.loc[list(NO_MARKET), "brier"].idxmin()
        market = table.loc["market (OddsPortal closing)", "brier"]
        gap = table.loc[best, "brier"] / market - 1
        interval = table.loc[best, "minus 538 Elo"]
        high = float(interval.split("[")[1].rstrip("]").split(",")[1])
        verdict = "beats 538 (interval below zero)" if high < 0 else "does not beat 538"
        near = "within" if gap <= 0.02 else "not within"
        return (
            f"best model without odds: {best}, Brier minus 538's {interval}: {verdict}; "
            f"{gap:+.1%} from the market's Brier ({near} 2%)"
        )
    best = table.loc[list(WITH_OPENING), "brier"].idxmin()
    interval = table.loc[best, "minus market (SBR opening)"]
    high = float(interval.split("[")[1].rstrip("]").split(",")[1])
    return (
        f"best model with opening odds: {best}, Brier minus the opening line's {interval}: "
        f"{'beats the opening line' if high < 0 else 'does not beat the opening line'}"
    )


def lines_verdict(lines: pd.DataFrame) -> str:
    """Which line models beat the closing line's 0.5 (log-loss interval below zero)."""
    beat = [
        str(m)
        for m, i in zip(lines["model"], lines["minus 0.5 (ln 2)"], strict=True)
        if float(str(i).split("[")[1].rstrip("]").split(",")[1]) < 0
    ]
    if beat:
        return f"beating the closing line (interval below zero): {', '.join(beat)}"
    return "no model's interval lies below zero: nothing here beats the closing line"


def _markdown(table: pd.DataFrame) -> str:
    columns = list(table.columns)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in table.itertuples(index=False):
        cells = [f"{v:.4f}" if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


METHOD = (
    "What is measured: per sport, point-in-time features from the matches tables "
    "(`formline.matches.us_features`: the Elo rating as of kickoff with 538's NFL and NBA "
    "parameters and round MLB/NHL ones, rest days and back-to-backs, the mean margin of the "
    "last N games, an exponentially weighted margin, the home side's home and the away side's "
    "away margin; market features flagged apart), then season by season each model, fitted on "
    "the earlier seasons only (a window of 20 NFL, 15 NBA, 10 MLB/NHL seasons), predicts the "
    "next. `logit` models are `SeasonalLogit` (median imputation, scaled features, `C` from "
    "0.001-1 chosen inside `fit` on the last two training seasons). Scored on the decided "
    "games (ties dropped) that every compared forecaster has: NFL and NBA on the games with a "
    "FiveThirtyEight Elo forecast and an OddsPortal moneyline (the issue's 3,160 and 14,293 "
    "games were counted over slightly different seasons by another matching: our 538 and "
    "market Briers agree with its figures to 0.0002), MLB and NHL on the games with SBR "
    "opening and closing moneylines. Moneylines de-margined by normalising. Intervals: paired "
    "bootstrap of the per-game Brier difference, 2,000 replicates, 95%."
)
CAVEATS = (
    "Caveats: the closing line is known at kickoff, not before, so the `+ closing` rows and "
    "the closing market are forecasts made at kickoff; OddsPortal's preseason games are stored "
    "as matches (the matches table keeps no season type) and are dropped here by their source "
    "rows; the matches table keeps no neutral-site flag either, so Super Bowls and other "
    "neutral games get a home edge (on 538's own file, with the flag, the features' Elo is "
    "538's: tests/matches/test_us_features.py); the shared data has no starting pitchers "
    "(MLB), goalies (NHL) or quarterbacks (NFL), where much of the market's edge comes from. "
    "No LightGBM model and no calibration step were tried: the logistic models are fitted by "
    "log loss on the earlier seasons."
)


def _write(results: list[dict[str, Any]], ingest_seconds: float) -> None:
    parts = [
        SECTION,
        "",
        f"`benchmarks/us_win_probability.py --write`, machine: {platform.machine()}, "
        f"{os.cpu_count()} cores shared with other jobs (noisy timings), Python "
        f"{platform.python_version()}"
        + (
            f"; ingest into a temporary SQLite store {ingest_seconds:.0f} s"
            if ingest_seconds
            else ""
        )
        + ".",
        "",
        METHOD,
        "",
        CAVEATS,
        "",
    ]
    for r in results:
        parts += [
            f"### {r['sport'].upper()} {r['seasons']} ({r['games']} games)",
            "",
            f"Goal: {goals(r)}. Features {r['seconds_features']:.1f} s, walk-forward "
            f"{r['seconds_models']:.1f} s; `C` per test season: "
            + "; ".join(f"{k} {v}" for k, v in r["C"].items())
            + ".",
            "",
            _markdown(r["table"]),
            "",
        ]
        if "lines" in r:
            parts += [
                f"{r['sport'].upper()} P(home covers) at the closing spread and P(over) at the "
                "closing total, walk-forward, pushes dropped; `minus 0.5 (ln 2)` is the log "
                "loss minus that of the 0.5 the closing line implies (paired bootstrap): "
                f"{lines_verdict(r['lines'])}.",
                "",
                _markdown(r["lines"]),
                "",
            ]
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    head, _, tail = text.partition(SECTION)
    rest = tail.split("\n## ", 1)
    after = ("\n## " + rest[1]) if len(rest) > 1 else ""
    DOC.write_text(head.rstrip() + "\n\n" + "\n".join(parts) + "\n" + after, encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
