"""The races domain's sections of the HTML model report (``formline model:report``).

Computed from the walk-forward validation frame a race model's bundle keeps (one row per
runner, see :func:`formline.races.scoring.validation_frame`): win scores beside the model's
uncalibrated self, the rating reference and the public on the same races, a paired bootstrap
over races against the public, calibration by probability band and by odds band, place scores
(Benter's discount against Harville), for the two-stage model its stage-2 weights, and a value
rule: flat win bets at the final odds where the model's expected return clears an edge.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from markupsafe import Markup

from formline.domain import ReportSections
from formline.errors import DataError
from formline.pipeline.report import report_environment
from formline.races.models import paired_bootstrap
from formline.races.scoring import (
    RACE_KEY,
    decided,
    place_metrics,
    public_probabilities,
    win_metrics,
)
from formline.store import registry
from formline.store.db import Store

SECTIONS = ("how_to_read", "metrics", "calibration", "place", "value")
_REQUIRED = (RACE_KEY, "start_at", "won", "p_win")
#: Edges of the probability bands and of the odds bands of the calibration tables.
PROBABILITY_BANDS = (0.0, 0.02, 0.05, 0.1, 0.2, 0.35, 1.0)
ODDS_BANDS = (1.0, 3.0, 6.0, 10.0, 20.0, 50.0, np.inf)
#: The value rule's edge thresholds: back a runner when ``p_win * odds - 1`` is at least this.
VALUE_EDGES = (0.0, 0.05, 0.1, 0.2, 0.4)


def validation_frame(bundle: dict[str, Any], version: registry.ModelVersion) -> pd.DataFrame:
    """The bundle's validation frame, in start order, restricted to decided races.

    Raises
    ------
    DataError
        If there is no validation frame, it lacks a required column or no race is decided.
    """
    frame = bundle.get("validation")
    where = f"model version {version.id} ({version.label})"
    if not isinstance(frame, pd.DataFrame) or frame.empty:
        raise DataError(f"{where} has no validation frame; retrain it with `formline model:train`")
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise DataError(f"{where}: the validation frame lacks {', '.join(missing)}; retrain it")
    frame = frame.sort_values(["start_at", RACE_KEY], kind="stable").reset_index(drop=True)
    keep = decided(frame[RACE_KEY].to_numpy(), frame["won"])
    frame = frame[keep].reset_index(drop=True)
    if frame.empty:
        raise DataError(f"{where}: no validated race has a winner")
    return frame


def _sources(frame: pd.DataFrame) -> list[tuple[str, str]]:
    """(label, column) of every win forecast the frame holds: the model's, uncalibrated, and
    the reference's (``{name}_p_win``)."""
    out = [("model", "p_win")]
    if "raw_p_win" in frame.columns:
        out.append(("model, uncalibrated", "raw_p_win"))
    out += [
        (f"{c.removesuffix('_p_win')} reference", c)
        for c in frame.columns
        if c.endswith("_p_win") and c != "raw_p_win"
    ]
    return out


def _metrics(frame: pd.DataFrame) -> dict[str, Any]:
    groups, won = frame[RACE_KEY].to_numpy(), frame["won"].to_numpy(dtype=np.float64)
    rows = [{"label": label, **win_metrics(groups, won, frame[c])} for label, c in _sources(frame)]
    out: dict[str, Any] = {"all_rows": rows, "n": rows[0]["n"], "market_rows": [], "gap": None}
    if "public_win_probability" not in frame.columns:
        return out
    q = public_probabilities(frame)
    has = np.isfinite(q)
    if not has.any():
        return out
    g, w = groups[has], won[has]
    market = [
        {"label": label, **win_metrics(g, w, frame[c].to_numpy()[has])}
        for label, c in _sources(frame)
    ]
    market.append({"label": "public (de-margined final odds)", **win_metrics(g, w, q[has])})
    out["market_rows"] = market
    boot = paired_bootstrap(frame["p_win"].to_numpy()[has], q[has], w, groups=g)
    out["gap"] = {
        "gain": boot.difference,
        "low": boot.difference_low,
        "high": boot.difference_high,
        "delta_r2": boot.delta_pseudo_r2,
        "delta_low": boot.delta_low,
        "delta_high": boot.delta_high,
        "n": boot.n_races,
    }
    return out


def _bands(
    values: np.ndarray, edges: tuple[float, ...], frame: pd.DataFrame, label: str
) -> list[dict[str, Any]]:
    """Per band of ``values`` (``edges``, left-closed): runners, the mean model and public
    win probabilities and the share that won."""
    has_public = "public_win_probability" in frame.columns
    q = public_probabilities(frame) if has_public else np.full(len(frame), np.nan)
    p, won = frame["p_win"].to_numpy(dtype=float), frame["won"].to_numpy(dtype=float)
    band = np.digitize(values, edges[1:-1], right=False)
    out = []
    for i in range(len(edges) - 1):
        inside = band == i
        if not inside.any():
            continue
        public = q[inside]
        out.append(
            {
                "band": f"{label} {edges[i]:g} to {edges[i + 1]:g}",
                "n": int(inside.sum()),
                "model": float(p[inside].mean()),
                "public": float(np.nanmean(public)) if np.isfinite(public).any() else None,
                "observed": float(won[inside].mean()),
            }
        )
    return out


def _calibration(frame: pd.DataFrame) -> dict[str, Any]:
    by_odds = []
    if "win_odds" in frame.columns and frame["win_odds"].notna().any():
        priced = frame[frame["win_odds"].notna()].reset_index(drop=True)
        by_odds = _bands(priced["win_odds"].to_numpy(dtype=float), ODDS_BANDS, priced, "odds")
    by_p = _bands(frame["p_win"].to_numpy(dtype=float), PROBABILITY_BANDS, frame, "p")
    return {"by_probability": by_p, "by_odds": by_odds}


def _place(frame: pd.DataFrame) -> list[dict[str, Any]]:
    if "placed" not in frame.columns:
        return []
    out = []
    for label, column in (("Benter's discount", "p_place"), ("Harville", "harville_p_place")):
        if column in frame.columns and frame[column].notna().any():
            out.append({"label": label, **place_metrics(frame["placed"], frame[column])})
    return out


def value_rule(frame: pd.DataFrame, edges: tuple[float, ...] = VALUE_EDGES) -> list[dict[str, Any]]:
    """Flat one-unit win bets at the final odds (tote odds: the take is already out of them) on
    every validated runner whose expected return ``p_win * odds - 1`` is at least each edge:
    bets, winners, mean odds and return on stake; first the baseline of backing every priced
    runner, which loses the take. Dead heats pay their share (the winner credit)."""
    if "win_odds" not in frame.columns:
        return []
    won = frame["won"].to_numpy(dtype=float)
    winners = pd.Series(won).groupby(frame[RACE_KEY].to_numpy()).transform("sum").to_numpy()
    every_credit = np.where(winners > 0, won / np.maximum(winners, 1.0), 0.0)
    is_priced = (frame["win_odds"].notna() & (frame["win_odds"] > 1.0)).to_numpy()
    priced = frame[is_priced]
    if priced.empty:
        return []
    odds = priced["win_odds"].to_numpy(dtype=float)
    credit = every_credit[is_priced]
    edge = priced["p_win"].to_numpy(dtype=float) * odds - 1.0
    rules: list[tuple[str, np.ndarray]] = [("every priced runner", np.ones(len(odds), bool))]
    rules += [(f"edge at least {e:.0%}", edge >= e) for e in edges]
    out = []
    for label, pick in rules:
        n = int(pick.sum())
        returned = float((credit[pick] * odds[pick]).sum())
        out.append(
            {
                "label": label,
                "bets": n,
                "winners": float(credit[pick].sum()),
                "mean_odds": float(odds[pick].mean()) if n else float("nan"),
                "roi": (returned - n) / n if n else float("nan"),
            }
        )
    return out


def _stage2(bundle: dict[str, Any]) -> list[tuple[str, float]]:
    inner = getattr(bundle.get("model"), "model_", None)
    coef = getattr(inner, "stage2_coef_", None)
    if coef is None:
        return []
    return [("log p_fundamental", float(coef[0])), ("log q_public", float(coef[1]))]


def _facts(
    version: registry.ModelVersion, frame: pd.DataFrame, bundle: dict[str, Any]
) -> list[tuple[str, Any]]:
    starts = pd.to_datetime(frame["start_at"])
    scores = win_metrics(frame[RACE_KEY].to_numpy(), frame["won"], frame["p_win"])
    calibrator = bundle.get("calibrator")
    exponents = bundle.get("place_exponents")
    facts: list[tuple[str, Any]] = [
        ("races validated", scores["n"]),
        ("runners validated", f"{len(frame)} (registry: {version.n_validation})"),
        ("validated starts", f"{starts.min():%Y-%m-%d} to {starts.max():%Y-%m-%d}"),
        ("folds", frame["fold"].nunique() if "fold" in frame.columns else "—"),
        ("winner log loss", f"{scores['log_loss']:.4f}"),
        ("pseudo-R²", f"{scores['pseudo_r2']:.4f}"),
        ("calibration exponent", f"{getattr(calibrator, 'exponent_', float('nan')):.3f}"),
    ]
    if exponents is not None:
        facts.append(
            ("place exponents (gamma, delta)", f"{exponents.gamma:.3f}, {exponents.delta:.3f}")
        )
    return facts


def report_sections(
    store: Store, version: registry.ModelVersion, bundle: dict[str, Any]
) -> ReportSections:
    """The race model report's facts and sections (:data:`SECTIONS`), rendered.

    Raises
    ------
    DataError
        If the bundle holds no usable validation frame (retrain the model).
    """
    frame = validation_frame(bundle, version)
    context = {
        "metrics": _metrics(frame),
        "calibration": _calibration(frame),
        "place": _place(frame),
        "stage2": _stage2(bundle),
        "value": value_rule(frame),
    }
    env = report_environment("formline.races", "templates/report")
    sections = [Markup(env.get_template(f"{name}.html.j2").render(**context)) for name in SECTIONS]
    return ReportSections(_facts(version, frame, bundle), sections)
