"""Where does the best no-odds model lose to the closing line, and do obvious repairs help?

Reads one backtest of ``models_backtest.py`` (the CSV in its ``--out-dir``; run here if missing)
and scores it beside Pinnacle's closing line (Shin) on the same test matches:

1. the RPS gap by how far the league season has gone (share of the competition's matches of that
   season played before the match) and by competition;
2. home-win and draw rates per season: observed, closing line, model;
3. second stages fitted walk-forward on the model's own out-of-sample predictions of the
   earlier test seasons (like Benter's stage, the first test season only trains):
   plain recalibration; *drift* re-fits outcome intercepts on the previous season alone (home
   advantage drifts down); *stakes* adds season progress and "nothing left to play for" terms,
   from the league table as it stood before the match day;
4. 2020-21, the season without crowds, month by month: home probabilities of the model and of
   the same model without the within-season home advantage features, beside the results and
   the closing line;
5. whether the opening prices of the books in the data (Pinnacle, Bet365, the market average)
   combine into a line sharper than Pinnacle's opening one.

Usage: ``.venv/bin/python benchmarks/gap_analysis.py --store-url sqlite:///... --out-dir DIR``
(the same ``--out-dir`` as ``models_backtest.py``); writes the ``gap_analysis`` section of
``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from sklearn.linear_model import LogisticRegression

from _common import FOOTBALL_ODDS, markdown_table, publish
from formline.core.metrics import evaluate, per_match_rps
from formline.matches.dataset import load_match_frame
from formline.matches.ingest import ingest_football_data
from formline.matches.models import outcome_codes
from formline.store import open_store
from models_backtest import (
    AS_OF,
    CLOSE,
    END,
    START,
    P,
    Run,
    backtest,
    book_lines,
    log,
    rps_difference,
)

BOOKS = ("pinnacle", "bet365", "market_avg")
PHASES = [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0]
#: League places that still matter: the title, the top four and the relegation places.
EUROPE_PLACES, RELEGATION_PLACES = 4, 3
NO_CROWDS = "2020-21"


def season_progress(rows: pd.DataFrame) -> np.ndarray:
    """Share of its competition-season's matches kicked off before each match (0 to 1)."""
    order = rows.groupby(["competition", "season"])["kickoff_at"]
    return ((order.rank(method="min") - 1) / order.transform("size")).to_numpy()


def stakes(rows: pd.DataFrame, finished: pd.DataFrame) -> pd.DataFrame:
    """Per match and side, from the table before the match day: can the team still reach the
    title or the top four, or still be caught by the relegation places, with the games it has
    left (3 points a game)? ``{side}_dead`` is none of those."""
    out: dict[int, dict[str, float]] = {}
    wanted = set(rows["match_id"])
    for _, season in finished.groupby(["competition", "season"]):
        teams = sorted(set(season["home_team"]) | set(season["away_team"]))
        games = 2 * (len(teams) - 1)
        points = dict.fromkeys(teams, 0)
        played = dict.fromkeys(teams, 0)
        for _, day in season.groupby(season["kickoff_at"].dt.date):
            table = sorted(points.values(), reverse=True)
            top, europe = table[0], table[EUROPE_PLACES - 1]
            danger = table[len(teams) - RELEGATION_PLACES]
            for match in day.itertuples():
                if match.match_id not in wanted:
                    continue
                flags = {}
                for side, team in (("home", match.home_team), ("away", match.away_team)):
                    reach = 3 * (games - played[team])
                    title = top - points[team] <= reach
                    chase = points[team] < europe and europe - points[team] <= reach
                    threat = points[team] - danger <= reach
                    flags[f"{side}_dead"] = float(not (title or chase or threat))
                out[match.match_id] = flags
            for match in day.itertuples():
                played[match.home_team] += 1
                played[match.away_team] += 1
                home, away = int(match.home_goals), int(match.away_goals)
                points[match.home_team] += 3 if home > away else (1 if home == away else 0)
                points[match.away_team] += 3 if away > home else (1 if home == away else 0)
    return pd.DataFrame.from_dict(out, orient="index").loc[rows["match_id"]]


def walk_forward(terms: np.ndarray, codes: np.ndarray, seasons: np.ndarray) -> np.ndarray:
    """A multinomial logistic second stage refitted each season on the seasons before it (NaN
    rows for the first season)."""
    out = np.full((len(codes), 3), np.nan)
    for season in sorted(set(seasons))[1:]:
        train, test = seasons < season, seasons == season
        stage = LogisticRegression(C=1.0, max_iter=2000).fit(terms[train], codes[train])
        out[test] = stage.predict_proba(terms[test])
    return out


def drift(model: np.ndarray, codes: np.ndarray, seasons: np.ndarray) -> np.ndarray:
    """Outcome intercepts fitted by maximum likelihood on the previous season alone, with the
    model's log-probabilities as a fixed offset, and added to them for the next season."""
    logits = np.log(np.clip(model, 1e-9, 1.0))
    out = np.full_like(model, np.nan)

    def shifted(z: np.ndarray, theta: np.ndarray) -> np.ndarray:
        z = z + np.array([0.0, *theta])
        p = np.exp(z - z.max(axis=1, keepdims=True))
        return p / p.sum(axis=1, keepdims=True)

    def loss(theta: np.ndarray, z: np.ndarray, y: np.ndarray) -> float:
        return float(-np.log(shifted(z, theta)[np.arange(len(y)), y]).mean())

    for previous, season in itertools.pairwise(sorted(set(seasons))):
        train, test = seasons == previous, seasons == season
        theta = minimize(loss, np.zeros(2), args=(logits[train], codes[train]), method="BFGS").x
        out[test] = shifted(logits[test], theta)
    return out


def opening_comparison(rows: pd.DataFrame, books: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """RPS of each book's opening line, their mean and a walk-forward stage on all of them."""
    lines = {book: p.reindex(rows["match_id"]).to_numpy() for book, p in books.items()}
    priced = np.all([~np.isnan(p).any(axis=1) for p in lines.values()], axis=0)
    codes, seasons = outcome_codes(rows)[priced], rows["season"].to_numpy()[priced]
    lines = {book: p[priced] for book, p in lines.items()}
    terms = np.column_stack([np.log(p[:, k] / p[:, 1]) for p in lines.values() for k in (0, 2)])
    forecasts = {**lines, "mean of the three": np.mean(list(lines.values()), axis=0)}
    forecasts["logistic stage on all three"] = walk_forward(terms, codes, seasons)
    scored = seasons > sorted(set(seasons))[0]
    table = [
        {"forecast": name, "n": int(scored.sum()), "RPS": evaluate(codes[scored], p[scored])["rps"]}
        for name, p in forecasts.items()
    ]
    frame = pd.DataFrame(table)
    frame["RPS"] = frame["RPS"].map(lambda v: f"{v:.5f}")
    return frame


def rps_table(groups: pd.Series, gap: np.ndarray, name: str) -> str:
    frame = pd.DataFrame({name: groups.to_numpy(), "gap": gap})
    table = frame.groupby(name, observed=True)["gap"].agg(["size", "mean"]).reset_index()
    table.columns = [name, "matches", "RPS gap to closing"]
    table["RPS gap to closing"] = table["RPS gap to closing"].map(lambda v: f"{v:+.4f}")
    return markdown_table(table)


def no_crowds(
    rows: pd.DataFrame,
    codes: np.ndarray,
    model: np.ndarray,
    close: np.ndarray,
    static: Run,
    args: argparse.Namespace,
) -> list[str]:
    """2020-21 month by month: how fast each model's home probability followed the results
    and the closing line, with and without the within-season home advantage features."""
    at = (rows["season"] == NO_CROWDS).to_numpy()
    if not at.any():
        return []
    fixed = static.proba.loc[rows["match_id"], P].to_numpy()
    month = rows["kickoff_at"].dt.strftime("%Y-%m").to_numpy()
    gaps = {
        name: per_match_rps(codes, proba) - per_match_rps(codes, close)
        for name, proba in (("model", model), ("static", fixed))
    }
    table = []
    for value in sorted(set(month[at])):
        m = at & (month == value)
        table.append(
            {
                "month": value,
                "matches": int(m.sum()),
                "home observed": f"{(codes[m] == 0).mean():.3f}",
                "home closing": f"{close[m, 0].mean():.3f}",
                f"home `{args.model}`": f"{model[m, 0].mean():.3f}",
                f"home `{args.static_model}`": f"{fixed[m, 0].mean():.3f}",
                "RPS gap to closing": f"{gaps['model'][m].mean():+.4f}",
                "RPS gap, static": f"{gaps['static'][m].mean():+.4f}",
            }
        )
    boot = rps_difference(codes[at], model[at], fixed[at])
    return [
        f"### {NO_CROWDS}, the season without crowds, month by month",
        f"`{args.static_model}` is `{args.model}` without the `*_recent_home_advantage` "
        "features (same run, same refits). Over the season, model minus static RPS "
        f"{boot.mean_diff:+.5f} (95% CI {boot.low:+.5f} to {boot.high:+.5f}); RPS gap to closing "
        f"{gaps['model'][at].mean():+.4f} against {gaps['static'][at].mean():+.4f}.",
        markdown_table(pd.DataFrame(table)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store-url", help="a store holding the football data")
    parser.add_argument("--out-dir", type=Path, required=True, help="models_backtest CSVs")
    parser.add_argument("--model", default="goals-no-market", help="backtest label")
    parser.add_argument(
        "--static-model",
        default="goals-no-market-static-ha",
        help="the same model without the within-season home advantage (for 2020-21)",
    )
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/benchmarks.md")
    args = parser.parse_args()
    url = args.store_url
    if not url:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='gap_analysis_')) / 'football.db'}"
    store = open_store(url)
    if not args.store_url:
        ingest_football_data(store, [FOOTBALL_ODDS / "seasons"])
    frame = load_match_frame(store, AS_OF)
    found = book_lines(store, [("pinnacle", "closing"), *((book, "opening") for book in BOOKS)])
    close_line = found["pinnacle", "closing"]
    books = {book: found[book, "opening"] for book in BOOKS}
    options = argparse.Namespace(out_dir=args.out_dir, quick=False, reuse=True, max_minutes=120)
    run = backtest(store, frame, args.model, options)
    static = backtest(store, frame, args.static_model, options) if args.static_model else None
    store.dispose()
    if run is None:
        raise SystemExit(f"{args.model}: the backtest was dropped")
    finished = frame.frame[frame.frame["finished"]].sort_values(["kickoff_at", "match_id"])
    rows = finished[(finished["kickoff_at"] >= START) & (finished["kickoff_at"] < END)]
    rows = rows[rows["match_id"].isin(run.proba.index) & rows["match_id"].isin(close_line.index)]
    codes, seasons = outcome_codes(rows), rows["season"].to_numpy()
    model = run.proba.loc[rows["match_id"], P].to_numpy()
    close = close_line.loc[rows["match_id"], P].to_numpy()
    gap = per_match_rps(codes, model) - per_match_rps(codes, close)
    progress = pd.Series(season_progress(finished), index=finished["match_id"])
    progress = progress.loc[rows["match_id"]].to_numpy()
    log(f"{args.model}: {len(rows):,} matches, mean RPS gap {gap.mean():+.5f}")

    labels = [f"{a:.0%} to {b:.0%}" for a, b in itertools.pairwise(PHASES)]
    phase = pd.Series(pd.cut(progress, PHASES, labels=labels, include_lowest=True))
    rates = []
    for season in sorted(set(seasons)):
        at = seasons == season
        rates.append(
            {
                "season": season,
                "home observed": f"{(codes[at] == 0).mean():.3f}",
                "home closing": f"{close[at, 0].mean():.3f}",
                "home model": f"{model[at, 0].mean():.3f}",
                "draw observed": f"{(codes[at] == 1).mean():.3f}",
                "draw closing": f"{close[at, 1].mean():.3f}",
                "draw model": f"{model[at, 1].mean():.3f}",
            }
        )

    logits = np.log(np.clip(model, 1e-9, 1.0))
    base = np.column_stack([logits[:, 0] - logits[:, 1], logits[:, 2] - logits[:, 1]])
    flags = stakes(rows, finished).to_numpy()
    gone = progress[:, None]
    stages = {
        "recalibrated only (same terms)": walk_forward(base, codes, seasons),
        "drift: intercepts from the previous season": drift(model, codes, seasons),
        "stakes: + progress, progress x logits, dead-rubber flags": walk_forward(
            np.column_stack([base, base * gone, gone, flags]), codes, seasons
        ),
    }
    scored = seasons > sorted(set(seasons))[0]
    second, helped = [], []
    for name, proba in stages.items():
        boot = rps_difference(codes[scored], proba[scored], model[scored])
        if boot.high < 0:
            helped.append(name.split(":")[0])
        second.append(
            {
                "second stage": name,
                "RPS": f"{evaluate(codes[scored], proba[scored])['rps']:.5f}",
                "minus model": f"{boot.mean_diff:+.5f} ({boot.low:+.5f} to {boot.high:+.5f})",
            }
        )
    second.insert(0, {"second stage": f"none (`{args.model}`)", "RPS": "", "minus model": ""})
    second[0]["RPS"] = f"{evaluate(codes[scored], model[scored])['rps']:.5f}"
    second.append(
        {
            "second stage": CLOSE,
            "RPS": f"{evaluate(codes[scored], close[scored])['rps']:.5f}",
            "minus model": "",
        }
    )
    crowds = no_crowds(rows, codes, model, close, static, args) if static is not None else []
    dead = flags[:, 0].mean(), flags[:, 1].mean()
    opening = opening_comparison(rows, books)
    body = [
        "## Where the no-odds model loses to the closing line (`benchmarks/gap_analysis.py`)",
        f"`{args.model}` from the models backtest against {CLOSE} on the same {len(rows):,} test "
        f"matches: mean per-match RPS gap {gap.mean():+.5f}. Positive gaps are the model's loss.",
        "### By how far the season has gone",
        rps_table(phase, gap, "season progress"),
        "### By competition",
        rps_table(rows["competition"], gap, "competition"),
        "### Home-win and draw rates per season",
        markdown_table(pd.DataFrame(rates)),
        *crowds,
        "### Second stages on the model's own predictions (walk-forward, from the second season)",
        "Differences are RPS, second stage minus model, with paired-bootstrap 95% intervals; "
        f"dead-rubber flags are set for {dead[0]:.1%} of home and {dead[1]:.1%} of away sides.",
        markdown_table(pd.DataFrame(second)),
        "Verdict: "
        + (
            f"{', '.join(helped)} lowered the RPS (interval below zero)."
            if helped
            else "no second stage lowered the RPS (every interval reaches zero or above it); "
            "what the closing line knows beyond this model is not in these terms."
        ),
        "### Can the opening prices be combined into something sharper than Pinnacle's?",
        "Each book's opening 1X2 line (Shin), their mean, and a multinomial logistic stage on "
        "their log-odds refitted each season on the seasons before it (walk-forward), on the "
        "test matches priced by all three books, from the second season.",
        markdown_table(opening),
    ]
    publish("gap_analysis", body, write_docs=not args.no_docs)


if __name__ == "__main__":
    main()
