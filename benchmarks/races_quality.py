"""Racing quality: walk-forward by season over the shared Hong Kong races (gdaley), every race
model type and the public scored on the same later races.

The runners are read with :func:`formline.races.sources.gdaley.read_gdaley` and given their
point-in-time features by the DuckDB builder (not through the store); each season after the
first two is a validation block, its models refitted on every earlier season (no gap) with
the races domain's walk-forward (:func:`formline.races.validation.walk_forward`): the first
block only calibrates, the later ones are scored. Usage::

    python benchmarks/races_quality.py [--data ../shared/data/horse_racing_hk_gdaley]
        [--models conditional-logit,benter,public,rating] [--no-docs]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path

import pandas as pd

from _common import markdown_table, publish
from formline.core.splits import season_blocks
from formline.engine import compute_session
from formline.races.estimators import make_race_model
from formline.races.features import build_race_features, create_input_tables
from formline.races.features.inputs import input_frames
from formline.races.models import paired_bootstrap, pseudo_r2, winner_log_loss
from formline.races.scoring import compare_with_market, decided, evaluate_result, targets
from formline.races.sources.gdaley import read_gdaley
from formline.races.validation import walk_forward

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "races"))
from race_frames import runner_frame

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "horse_racing_hk_gdaley"
#: (label, model type, use_market)
MODELS = {
    "conditional-logit": ("conditional-logit (no market)", "conditional-logit", False),
    "conditional-logit-market": (
        "conditional-logit (with market features)",
        "conditional-logit",
        True,
    ),
    "benter": ("benter", "benter", True),
    "ranking": ("ranking (no market)", "ranking", False),
    "rating": ("rating reference", "rating", False),
    "public": ("public", "public", True),
}


def load(folder: Path) -> pd.DataFrame:
    """Every finished runner of the gdaley folder with its features, in the frame contract."""
    read = read_gdaley(folder)
    frames = input_frames(read.batch)
    as_of = pd.Timestamp(frames["races"]["start_at"].max()) + pd.Timedelta(days=1)
    con = compute_session(2)
    try:
        create_input_tables(con, frames)
        built = build_race_features(con, as_of.to_pydatetime())
    finally:
        con.close()
    return runner_frame(frames, built)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--models", default="conditional-logit,conditional-logit-market,benter,rating,public"
    )
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    frame = load(args.data)
    # Priced races only, so every model is scored on the same races as the public.
    frame = frame[frame["information"] == "market"].reset_index(drop=True)
    loaded = time.perf_counter() - started
    y = targets(frame)
    splits = season_blocks(
        frame["season"].to_numpy(),
        frame["start_at"].to_numpy(),
        gap=timedelta(0),
        min_train_seasons=2,
    )
    print(
        f"{frame['race_id'].nunique()} priced races, {len(frame)} runners, "
        f"{len(splits)} season blocks; loaded in {loaded:.1f} s"
    )
    rows, results = [], {}
    for key in args.models.split(","):
        label, model_type, use_market = MODELS[key]
        t0 = time.perf_counter()
        result = walk_forward(make_race_model(model_type, use_market=use_market), frame, y, splits)
        scored = frame.iloc[result.rows].reset_index(drop=True)
        metrics = evaluate_result(scored, result)
        results[key] = (result, scored)
        rows.append(
            {
                "model": label,
                "races": metrics["n"],
                "mean -log p(winner)": round(metrics["log_loss"], 4),
                "pseudo-R²": round(metrics["pseudo_r2"], 5),
                "win Brier": round(metrics["brier"], 4),
                "place log loss (Benter)": round(metrics["place"]["log_loss"], 4),
                "place log loss (Harville)": round(metrics["place"]["harville_log_loss"], 4),
                "seconds": round(time.perf_counter() - t0, 1),
            }
        )
        print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    blocks = [
        f"Walk-forward by season over the priced gdaley races: {len(splits)} season blocks after "
        "the first two seasons, the first block calibration only; every model on the same "
        "scored races.",
        markdown_table(table),
    ]
    if "public" in results:
        public, scored = results["public"]
        for key, (result, _) in results.items():
            if key == "public":
                continue
            keep = decided(scored["race_id"].to_numpy(), scored["won"])
            boot = paired_bootstrap(
                result.p[keep],
                public.p[keep],
                scored["won"].to_numpy()[keep],
                groups=scored["race_id"].to_numpy()[keep],
            )
            line = (
                f"{MODELS[key][0]} vs public: ΔR² {boot.delta_pseudo_r2:+.5f} "
                f"(95% {boot.delta_low:+.5f} to {boot.delta_high:+.5f}), log-likelihood gain per "
                f"race {boot.difference:+.4f} "
                f"(95% {boot.difference_low:+.4f} to {boot.difference_high:+.4f}) "
                f"on {boot.n_races} races"
            )
            print(line)
            blocks.append(f"- {line}")
        model, market = compare_with_market(scored, public.p)
        assert model is not None and market is not None
    # The known answer: the public on every single-winner priced race.
    winners = frame.groupby("race_id")["won"].transform("sum")
    single = frame[winners == 1]
    q = single["public_win_probability"].to_numpy()
    g, w = single["race_id"].to_numpy(), single["won"].to_numpy()
    known = (
        f"known answer, the public on all {single['race_id'].nunique()} single-winner priced "
        f"races: mean -log q {winner_log_loss(q, w, groups=g):.4f}, "
        f"pseudo-R² {pseudo_r2(q, w, groups=g):.5f}"
    )
    print(known)
    blocks.append(known)
    print(
        publish(
            "Racing quality (walk-forward by season, gdaley)", blocks, write_docs=not args.no_docs
        )
    )


if __name__ == "__main__":
    main()
