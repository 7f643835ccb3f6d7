"""The matches domain's sections of the HTML model report (``formline model:report``).

Computed from the walk-forward validation frame a match model's bundle keeps (see
:func:`formline.matches.evaluation.validation_frame`): 1X2 scores beside the model's
uncalibrated self, the Elo reference and the opening and closing market on the same matches,
reliability diagrams, per-season and per-competition scores, feature importances (or a
Dixon-Coles fit's strengths), and a value rule bet at opening prices. Every number is computed on
out-of-fold predictions. The shared report (:mod:`formline.pipeline.report`) renders the
header and the page around these sections.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from markupsafe import Markup
from numpy.typing import NDArray
from sqlalchemy import select

from formline.core.betting import backtest_value_rule
from formline.core.comparison import paired_bootstrap
from formline.core.metrics import evaluate, per_match_log_loss, per_match_rps
from formline.domain import ReportSections
from formline.errors import DataError
from formline.matches.models import outcome_codes
from formline.matches.tables import teams
from formline.pipeline.charts import bar_chart_svg, reliability_bins, reliability_svg
from formline.pipeline.report import report_environment
from formline.store import registry
from formline.store.db import Store

__all__ = ["EDGE_THRESHOLDS", "SECTIONS", "build_context", "report_sections", "validation_frame"]

FloatArray = NDArray[np.float64]

OUTCOMES = ("home", "draw", "away")
_OUTCOME_TITLES = ("home win", "draw", "away win")
#: The forecasts compared in the metric tables: label and column prefix in the frame.
MODEL, RAW, ELO = ("model", "p_"), ("model, uncalibrated", "raw_p_"), ("Elo reference", "elo_p_")
OPENING, CLOSING = ("opening market (Shin)", "opening_p_"), ("closing market (Shin)", "closing_p_")
EDGE_THRESHOLDS = (0.02, 0.05, 0.10)
KELLY_FRACTION = 0.25
TOP_FEATURES = 20
#: Below this many matches with market probabilities the market comparisons are left out.
MIN_MARKET_MATCHES = 30
_REQUIRED = ("match_id", "competition", "season", "kickoff_at", "home_goals", "away_goals")
_OPTIONAL_PREFIXES = ("raw_p_", "elo_p_", "opening_p_", "closing_p_", "opening_", "closing_")
#: The report's match sections, in order: one template each under ``templates/report/``.
SECTIONS = (
    "how_to_read",
    "metrics",
    "leads",
    "reliability",
    "seasons",
    "competitions",
    "importances",
    "value",
)


def _cols(prefix: str) -> list[str]:
    return [f"{prefix}{o}" for o in OUTCOMES]


def _proba(frame: pd.DataFrame, prefix: str) -> FloatArray:
    return frame[_cols(prefix)].to_numpy(dtype=np.float64)


def _has(frame: pd.DataFrame, prefix: str) -> NDArray[np.bool_]:
    return np.asarray(np.isfinite(_proba(frame, prefix)).all(axis=1), dtype=np.bool_)


def validation_frame(bundle: dict[str, Any], version: registry.ModelVersion) -> pd.DataFrame:
    """The bundle's validation frame in kickoff order, with an ``outcome`` code (0, 1, 2).

    Optional forecast and price columns that an older bundle lacks are added as NaN; rows
    without a result or a model forecast are dropped.

    Raises
    ------
    DataError
        If there is no validation frame, it lacks a required column or no row is usable.
    """
    frame = bundle.get("validation")
    where = f"model version {version.id} ({version.label})"
    if not isinstance(frame, pd.DataFrame) or frame.empty:
        raise DataError(f"{where} has no validation frame; retrain it with `formline model:train`")
    missing = [c for c in (*_REQUIRED, *_cols("p_")) if c not in frame.columns]
    if missing:
        raise DataError(f"{where}: the validation frame lacks {', '.join(missing)}; retrain it")
    frame = frame.sort_values(["kickoff_at", "match_id"], kind="stable").copy()
    for column in (c for prefix in _OPTIONAL_PREFIXES for c in _cols(prefix)):
        if column not in frame.columns:
            frame[column] = np.nan
    usable = frame[["home_goals", "away_goals"]].notna().all(axis=1).to_numpy() & _has(frame, "p_")
    frame = frame[usable].reset_index(drop=True)
    if frame.empty:
        raise DataError(f"{where}: no validation row has both a result and a forecast")
    frame["outcome"] = outcome_codes(frame[["home_goals", "away_goals"]])
    return frame


def _metric_rows(frame: pd.DataFrame, sources: list[tuple[str, str]]) -> list[dict[str, Any]]:
    y = frame["outcome"].to_numpy()
    return [{"label": label, **evaluate(y, _proba(frame, prefix))} for label, prefix in sources]


def _metrics(frame: pd.DataFrame) -> dict[str, Any]:
    """Both metric tables and the model's RPS gap to the closing line on the same matches."""
    references = [s for s in (RAW, ELO) if _has(frame, s[1]).any()]
    same = np.logical_and.reduce([_has(frame, p) for _, p in (MODEL, *references)])
    result: dict[str, Any] = {
        "all_rows": _metric_rows(frame[same], [MODEL, *references]) if same.any() else [],
        "n_all": int(same.sum()),
        "n_dropped": int((~same).sum()),
        "market_rows": None,
        "gap": None,
    }
    market = same & _has(frame, OPENING[1]) & _has(frame, CLOSING[1])
    result["n_market"] = int(market.sum())
    if market.sum() < MIN_MARKET_MATCHES:
        return result
    sub = frame[market]
    result["market_rows"] = _metric_rows(sub, [MODEL, *references, OPENING, CLOSING])
    y = sub["outcome"].to_numpy()
    model_rps = per_match_rps(y, _proba(sub, MODEL[1]))
    closing_rps = per_match_rps(y, _proba(sub, CLOSING[1]))
    days = pd.to_datetime(sub["kickoff_at"]).dt.strftime("%Y-%m-%d").to_numpy()
    boot = paired_bootstrap(model_rps, closing_rps, n_boot=2000, random_state=0, block=days)
    closing_mean = float(closing_rps.mean())
    result["gap"] = {
        "abs": boot.mean_diff,
        "relative": boot.mean_diff / closing_mean if closing_mean > 0 else math.nan,
        "low": boot.low,
        "high": boot.high,
        "model": float(model_rps.mean()),
        "closing": closing_mean,
        "n": boot.n,
    }
    return result


def _reliability(frame: pd.DataFrame) -> list[Any]:
    """One SVG reliability diagram per outcome; the closing market overlaid where it exists."""
    closing = frame[_has(frame, CLOSING[1])]
    show_market = len(closing) >= MIN_MARKET_MATCHES
    charts = []
    for i, (outcome, title) in enumerate(zip(OUTCOMES, _OUTCOME_TITLES, strict=True)):
        hit = (frame["outcome"].to_numpy() == i).astype(np.float64)
        bins = reliability_bins(frame[f"p_{outcome}"].to_numpy(dtype=np.float64), hit)
        overlay = None
        if show_market:
            market_hit = (closing["outcome"].to_numpy() == i).astype(np.float64)
            overlay = reliability_bins(
                closing[f"closing_p_{outcome}"].to_numpy(dtype=np.float64), market_hit
            )
        charts.append(reliability_svg(title, bins, overlay))
    return charts


def _per_match(fn: Any, frame: pd.DataFrame, prefix: str) -> FloatArray:
    """Per-match scores of the forecasts at ``prefix``, NaN on rows without one."""
    has = _has(frame, prefix)
    out = np.full(len(frame), np.nan)
    if has.any():
        out[has] = fn(frame["outcome"].to_numpy()[has], _proba(frame, prefix)[has])
    return out


def _breakdown(frame: pd.DataFrame, by: str) -> list[dict[str, Any]]:
    """Scores per value of ``by`` (season or competition), sorted by that value."""
    model_rps = _per_match(per_match_rps, frame, MODEL[1])
    closing_rps = _per_match(per_match_rps, frame, CLOSING[1])
    scores = pd.DataFrame(
        {
            "key": frame[by].astype(str).to_numpy(),
            "model_rps": model_rps,
            "elo_rps": _per_match(per_match_rps, frame, ELO[1]),
            "model_log_loss": _per_match(per_match_log_loss, frame, MODEL[1]),
            "closing_rps": closing_rps,
            "model_rps_closing": np.where(np.isfinite(closing_rps), model_rps, np.nan),
        }
    )
    grouped = scores.groupby("key", sort=True).agg(
        n=("model_rps", "size"),
        model_rps=("model_rps", "mean"),
        elo_rps=("elo_rps", "mean"),
        model_log_loss=("model_log_loss", "mean"),
        n_closing=("closing_rps", "count"),
        model_rps_closing=("model_rps_closing", "mean"),
        closing_rps=("closing_rps", "mean"),
    )
    return [{str(k): v for k, v in row.items()} for row in grouped.reset_index().to_dict("records")]


def _team_names(store: Store, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    with store.connect("reading team names") as conn:
        rows = conn.execute(select(teams.c.id, teams.c.name).where(teams.c.id.in_(ids)))
        return {int(team_id): str(name) for team_id, name in rows}


def _dixon_coles(store: Store, model: Any) -> dict[str, Any]:
    """Home advantage, rho and the five strongest attacks and defences of a Dixon-Coles fit."""
    home = float(model.home_advantage_)
    info: dict[str, Any] = {"kind": "dixon_coles", "home_advantage": home, "rho": float(model.rho_)}
    info["home_factor"] = math.exp(home)
    ids = np.asarray(getattr(model, "teams_", []), dtype=np.int64)
    best: dict[str, list[tuple[int, float]]] = {}
    for kind in (
        "attack",
        "defence",
    ):  # higher is stronger for both (defence cuts the rival's rate)
        values = np.asarray(getattr(model, f"{kind}_", []), dtype=np.float64)
        top = np.argsort(-values, kind="stable")[: 5 if values.shape == ids.shape else 0]
        best[kind] = [(int(ids[i]), float(values[i])) for i in top]
    names = _team_names(store, sorted({team for pairs in best.values() for team, _ in pairs}))
    for kind, pairs in best.items():
        info[kind] = [{"team": names.get(t, f"team {t}"), "value": v} for t, v in pairs]
    return info


def _importances(store: Store, model: Any) -> dict[str, Any]:
    """What the model says about its inputs: feature importances, or Dixon-Coles parameters."""
    method = getattr(model, "feature_importances", None)
    if callable(method):
        try:
            series = pd.Series(method(), dtype="float64")
        except (AttributeError, ValueError) as exc:
            return {"kind": "none", "note": f"feature_importances() failed: {exc}"}
        top = series.sort_values(ascending=False, kind="stable").head(TOP_FEATURES)
        total = float(series.abs().sum())
        doc = (getattr(method, "__doc__", None) or "importance").strip().splitlines()[0]
        labels = [str(k) for k in top.index]
        return {
            "kind": "features",
            "measure": doc.rstrip("."),
            "n_features": len(series),
            "rows": [
                {"feature": name, "value": float(v), "share": abs(v) / total if total else math.nan}
                for name, v in zip(labels, top.to_numpy(dtype=np.float64), strict=True)
            ],
            "svg": bar_chart_svg(labels, [float(v) for v in top], f"top {len(top)} features"),
        }
    if hasattr(model, "home_advantage_") and hasattr(model, "rho_"):
        return _dixon_coles(store, model)
    return {"kind": "none", "note": f"{type(model).__name__} reports no feature importances."}


def _value_rule(frame: pd.DataFrame) -> dict[str, Any]:
    """The value rule at opening prices for each edge threshold (quarter Kelly and flat)."""
    p = _proba(frame, MODEL[1])
    opening = _proba(frame, "opening_")
    closing = _proba(frame, "closing_")
    y = frame["outcome"].to_numpy(dtype=np.float64)
    rows = []
    for min_edge in EDGE_THRESHOLDS:
        _, summary = backtest_value_rule(p, opening, closing, y, min_edge, KELLY_FRACTION)
        rows.append({"min_edge": min_edge, **summary})
    with np.errstate(invalid="ignore"):
        priced = int((np.isfinite(opening) & (opening > 1.0)).all(axis=1).sum())
    return {"rows": rows, "n_priced": priced, "kelly": KELLY_FRACTION}


def _by_lead(version: registry.ModelVersion) -> list[dict[str, Any]]:
    """Validation scores per lead bucket, the model beside the Elo reference (from the
    registry's metrics: the validated matches as known N days before kickoff)."""
    model = (version.metrics or {}).get("by_lead") or {}
    reference = ((version.metrics or {}).get("elo_reference") or {}).get("by_lead") or {}
    return [
        {
            "lead": label,
            "n": scores.get("n"),
            "share": scores.get("share"),
            "log_loss": scores.get("log_loss"),
            "rps": scores.get("rps"),
            "elo_log_loss": (reference.get(label) or {}).get("log_loss"),
            "elo_rps": (reference.get(label) or {}).get("rps"),
        }
        for label, scores in model.items()
    ]


def _facts(version: registry.ModelVersion, frame: pd.DataFrame) -> list[tuple[str, Any]]:
    """The header's rows about the matches the model was validated on."""
    kickoff = pd.to_datetime(frame["kickoff_at"])
    return [
        ("matches validated", f"{len(frame)} (registry: {version.n_validation})"),
        ("validated kickoffs", f"{kickoff.min():%Y-%m-%d} to {kickoff.max():%Y-%m-%d}"),
        ("folds", frame["fold"].nunique() if "fold" in frame.columns else "—"),
    ]


def build_context(
    store: Store, version: registry.ModelVersion, bundle: dict[str, Any], frame: pd.DataFrame
) -> dict[str, Any]:
    """Everything the match sections show, computed from the registry row, bundle and frame.

    Parameters
    ----------
    store
        The store (for team names of Dixon-Coles models).
    version, bundle
        The model version and its loaded bundle.
    frame
        The validation frame as :func:`validation_frame` returns it.

    Returns
    -------
    dict
        The section templates' variables.
    """
    return {
        "metrics": _metrics(frame),
        "reliability": _reliability(frame),
        "leads": _by_lead(version),
        "seasons": _breakdown(frame, "season"),
        "competitions": _breakdown(frame, "competition"),
        "importances": _importances(store, bundle.get("model")),
        "value": _value_rule(frame),
        "min_market": MIN_MARKET_MATCHES,
    }


def report_sections(
    store: Store, version: registry.ModelVersion, bundle: dict[str, Any]
) -> ReportSections:
    """The match model report's facts and sections (:data:`SECTIONS`), rendered.

    Raises
    ------
    DataError
        If the bundle holds no usable validation frame (retrain the model).
    """
    frame = validation_frame(bundle, version)
    context = build_context(store, version, bundle, frame)
    env = report_environment("formline.matches", "templates/report")
    sections = [Markup(env.get_template(f"{name}.html.j2").render(**context)) for name in SECTIONS]
    return ReportSections(_facts(version, frame), sections)
