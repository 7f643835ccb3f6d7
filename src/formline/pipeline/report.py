"""The HTML model report behind ``formline model:report ID --out report.html``.

One self-contained file (inline CSS, inline SVG, no external resource) that describes a registered
model version: the registry's facts about it (what it is, its status, window, features and
calibration), then the sections its domain gives (``Domain.report``: for matches, scores beside
the references and the market, reliability, breakdowns, importances and a value rule, all from
the walk-forward validation frame stored in the bundle).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
import numpy as np

from formline import __version__
from formline.domain import ReportSections, get_domain, plural
from formline.errors import ModelNotFoundError
from formline.pipeline.outputs import check_output, write_atomically
from formline.store import registry
from formline.store.artifacts import load_bundle
from formline.store.db import Store

__all__ = ["build_context", "fmt", "render_report", "report_environment", "write_report"]


def write_report(store: Store, model_id: int, out: Path) -> Path:
    """Write the HTML report of model version ``model_id`` to ``out``, atomically.

    Parameters
    ----------
    store
        The store holding the registry (and what the domain's sections read from it).
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
        If ``out`` cannot be written (checked before any work), or the version's domain is
        not registered.
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
    domain = get_domain(version.domain)
    html = render_report(build_context(version, bundle, domain.report(store, version, bundle)))
    return write_atomically(Path(out), lambda tmp: tmp.write_text(html, encoding="utf-8"))


def _header(
    version: registry.ModelVersion, bundle: dict[str, Any], facts: list[tuple[str, Any]]
) -> dict[str, Any]:
    """The model's facts (the domain's about its validation after the training rows) and its
    hyperparameters."""
    domain = get_domain(version.domain)
    seconds = version.train_seconds
    calibrator = bundle.get("calibrator")
    prices = version.information == domain.information_needed(True)
    rows: list[tuple[str, Any]] = [
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
            f"{'prices are observed' if prices else 'results are known'})",
        ),
        (f"{plural(domain.event_noun)} trained on", version.n_train),
        *facts,
        ("feature version", version.feature_version),
        ("features", len(version.feature_names)),
        ("market prices as features", "yes" if version.uses_market else "no"),
        ("calibrator", "none" if calibrator is None else type(calibrator).__name__),
        ("random state", "—" if version.random_state is None else version.random_state),
        ("training time", "—" if seconds is None else f"{seconds:.1f} s"),
        ("artifact", f"{version.artifact_path} (sha256 {(version.artifact_sha256 or '')[:12]}…)"),
    ]
    params = version.hyperparameters or dict(bundle.get("hyperparameters") or {})
    return {"facts": rows, "hyperparameters": sorted(params.items())}


def build_context(
    version: registry.ModelVersion, bundle: dict[str, Any], domain_part: ReportSections
) -> dict[str, Any]:
    """Everything the template shows: the registry row's and the bundle's facts, and the
    domain's part (its facts and rendered sections, ``Domain.report``).

    Parameters
    ----------
    version, bundle
        The model version and its loaded bundle.
    domain_part
        What the version's domain shows of it.

    Returns
    -------
    dict
        The template's variables.
    """
    return {
        "title": f"{version.name} v{version.version}",
        "header": _header(version, bundle, domain_part.facts),
        "sections": domain_part.sections,
        "generated_at": f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC",
        "formline_version": __version__,
    }


def fmt(value: Any, spec: str = ".4f") -> str:
    """``value`` formatted with ``spec`` (``".1%"``, ``"+.4f"`` ...); an em dash when missing."""
    if value is None or (isinstance(value, float | np.floating) and not np.isfinite(value)):
        return "—"
    if isinstance(value, int | np.integer) and spec == ".4f":
        return str(int(value))
    return format(float(value), spec)


def report_environment(package: str, folder: str = "templates") -> jinja2.Environment:
    """The Jinja2 environment of report templates under ``folder`` of ``package``: autoescape,
    strict undefined variables, block whitespace trimmed, and the :func:`fmt` filter. The
    shared page and a domain's sections are rendered alike."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader(package, folder),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fmt"] = fmt
    return env


def render_report(context: dict[str, Any]) -> str:
    """Render ``templates/report.html.j2`` with autoescaping; the domain's sections arrive as
    Markup.

    Parameters
    ----------
    context
        The variables from :func:`build_context`.

    Returns
    -------
    str
        The HTML document.
    """
    env = report_environment("formline.pipeline")
    return env.get_template("report.html.j2").render(**context).lstrip()
