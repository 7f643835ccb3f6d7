"""The HTML model report behind ``formline model:report ID --out report.html``.

One self-contained file (inline CSS, inline SVG, no external resource) that describes a registered
model version from the walk-forward validation frame stored in its bundle: scores beside its
uncalibrated self, the Elo reference and the opening and closing market on the same matches,
reliability diagrams, per-season and per-competition scores, feature importances, and a value
rule bet at opening prices. Every number is computed on out-of-fold predictions.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sqlalchemy import select

from formline import __version__
from formline.core.betting import backtest_value_rule
from formline.core.comparison import paired_bootstrap
from formline.core.metrics import evaluate, per_match_log_loss, per_match_rps
from formline.errors import DataError, ModelNotFoundError
from formline.matches.models import outcome_codes
from formline.matches.tables import teams
from formline.pipeline.charts import bar_chart_svg, reliability_bins, reliability_svg
from formline.pipeline.outputs import check_output, write_atomically
from formline.store import registry
from formline.store.artifacts import load_bundle
from formline.store.db import Store

__all__ = ["build_context", "render_report", "validation_frame", "write_report"]

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


def _cols(prefix: str) -> list[str]:
    return [f"{prefix}{o}" for o in OUTCOMES]


def _proba(frame: pd.DataFrame, prefix: str) -> FloatArray:
    return frame[_cols(prefix)].to_numpy(dtype=np.float64)


def _has(frame: pd.DataFrame, prefix: str) -> NDArray[np.bool_]:
    return np.asarray(np.isfinite(_proba(frame, prefix)).all(axis=1), dtype=np.bool_)


def write_report(store: Store, model_id: int, out: Path) -> Path:
    """Write the HTML report of model version ``model_id`` to ``out``, atomically.

    Parameters
    ----------
    store
        The store holding the registry (and the team names of Dixon-Coles models).
    model_id
        The model version's id in the registry.
    out
        The HTML file to write; its folder is created if missing. The file is written under a
        temporary name in the same folder and renamed over ``out``.

    Returns
    -------
    pathlib.Path
        ``out``.

    Raises
    ------
    UnknownModelError
        If there is no such version (a :class:`~formline.errors.ModelNotFoundError`).
    ModelNotFoundError
        If it has no artifact (training or failed), or the file is gone.
    ConfigError
        If ``out`` cannot be written (checked before any work).
    SchemaMismatchError
        If the bundle's checksum or feature version does not match the registry.
    DataError
        If the bundle holds no usable validation frame (retrain the model).
    """
    check_output(Path(out))
    version = registry.get_model_version(store, model_id)
    if not version.artifact_path or not version.artifact_sha256:
        raise ModelNotFoundError(
            f"model version {model_id} ({version.label}) is {version.status} and has no "
            "artifact to report on; train it to completion first"
        )
    bundle = load_bundle(
        Path(version.artifact_path),
        expected_sha256=version.artifact_sha256,
        expected_feature_version=version.feature_version,
    )
    frame = validation_frame(bundle, version)
    html = render_report(build_context(store, version, bundle, frame))
    return write_atomically(Path(out), lambda tmp: tmp.write_text(html, encoding="utf-8"))


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


def _header(
    version: registry.ModelVersion, bundle: dict[str, Any], frame: pd.DataFrame
) -> dict[str, Any]:
    seconds = version.train_seconds
    kickoff = pd.to_datetime(frame["kickoff_at"])
    calibrator = bundle.get("calibrator")
    facts: list[tuple[str, Any]] = [
        ("model", f"{version.name} v{version.version} (id {version.id})"),
        ("type", bundle.get("model_type", version.model_type)),
        ("status", version.status),
        ("status reason", version.status_reason or version.error or "—"),
        ("training as of", f"{version.training_as_of:%Y-%m-%d %H:%M} UTC"),
        ("training window", f"{version.window_start:%Y-%m-%d} to {version.window_end:%Y-%m-%d}"),
        ("competition", version.competition or "all"),
        (
            "champion slot",
            f"{version.domain}/{version.scope}/{version.information} (predicts "
            f"{'every competition' if version.scope == '*' else version.scope} when "
            f"{'prices are observed' if version.information == 'market' else 'results are known'})",
        ),
        ("matches trained on", version.n_train),
        ("matches validated", f"{len(frame)} (registry: {version.n_validation})"),
        ("validated kickoffs", f"{kickoff.min():%Y-%m-%d} to {kickoff.max():%Y-%m-%d}"),
        ("folds", frame["fold"].nunique() if "fold" in frame.columns else "—"),
        ("feature version", version.feature_version),
        ("features", len(version.feature_names)),
        ("market prices as features", "yes" if version.uses_market else "no"),
        ("calibrator", "none" if calibrator is None else type(calibrator).__name__),
        ("random state", "—" if version.random_state is None else version.random_state),
        ("training time", "—" if seconds is None else f"{seconds:.1f} s"),
        ("artifact", f"{version.artifact_path} (sha256 {(version.artifact_sha256 or '')[:12]}…)"),
    ]
    params = version.hyperparameters or dict(bundle.get("hyperparameters") or {})
    return {"facts": facts, "hyperparameters": sorted(params.items())}


def build_context(
    store: Store, version: registry.ModelVersion, bundle: dict[str, Any], frame: pd.DataFrame
) -> dict[str, Any]:
    """Everything the template shows, computed from the registry row, bundle and frame.

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
        The template's variables.
    """
    return {
        "title": f"{version.name} v{version.version}",
        "header": _header(version, bundle, frame),
        "metrics": _metrics(frame),
        "reliability": _reliability(frame),
        "leads": _by_lead(version),
        "seasons": _breakdown(frame, "season"),
        "competitions": _breakdown(frame, "competition"),
        "importances": _importances(store, bundle.get("model")),
        "value": _value_rule(frame),
        "min_market": MIN_MARKET_MATCHES,
        "generated_at": f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC",
        "formline_version": __version__,
    }


def _fmt(value: Any, spec: str = ".4f") -> str:
    """``value`` formatted with ``spec`` (``".1%"``, ``"+.4f"`` ...); an em dash when missing."""
    if value is None or (isinstance(value, float | np.floating) and not np.isfinite(value)):
        return "—"
    if isinstance(value, int | np.integer) and spec == ".4f":
        return str(int(value))
    return format(float(value), spec)


def render_report(context: dict[str, Any]) -> str:
    """Render ``templates/report.html.j2`` with autoescaping; charts arrive as Markup.

    Parameters
    ----------
    context
        The variables from :func:`build_context`.

    Returns
    -------
    str
        The HTML document.
    """
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("formline.pipeline", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fmt"] = _fmt
    return env.get_template("report.html.j2").render(**context).lstrip()
