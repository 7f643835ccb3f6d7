"""Model commands: ``model:train``, ``model:list``, ``model:show``, ``model:promote``,
``model:rollback``, ``model:backtest``, ``model:report``."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from formline.cli.app import (
    CALIBRATIONS,
    AsOf,
    DomainName,
    ModelType,
    Seed,
    app,
    as_of_or_now,
    calibration_method,
    command_domain,
    console,
    current_run,
    default_model_type,
    load_settings,
    metrics_table,
    model_dir,
    one_of,
    open_configured_store,
    open_existing_store,
    recorded,
)
from formline.domain import counted, get_domain, plural, reference_metrics_key
from formline.timeutil import parse_instant

if TYPE_CHECKING:
    from formline.store.registry import ModelVersion

REFITS = ("season", "month")

#: The fields of each model in ``model:list --json``, as the registry stores them.
MODEL_LIST_FIELDS = (
    "id",
    "name",
    "model_type",
    "version",
    "status",
    "status_reason",
    "competition",
    "uses_market",
    "horizon_days",
    "training_as_of",
    "window_start",
    "window_end",
    "n_train",
    "n_validation",
    "feature_version",
    "metrics",
    "market_metrics",
    "train_seconds",
    "created_at",
    "deployed_at",
)
#: ``model:show --json``: those, and what makes the model reproducible.
MODEL_SHOW_FIELDS = (
    *MODEL_LIST_FIELDS,
    "feature_names",
    "hyperparameters",
    "random_state",
    "artifact_path",
    "artifact_sha256",
    "error",
    "updated_at",
)

JsonOutput = Annotated[
    bool, typer.Option("--json", help="Print JSON (fields in the README) instead of a table.")
]


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):  # UTC, written as the API writes it
        return value.isoformat().replace("+00:00", "Z")
    return value


def model_json(version: ModelVersion, fields: tuple[str, ...]) -> dict[str, Any]:
    """The ``fields`` of one registry row, as plain JSON values (timestamps ISO 8601 UTC)."""
    row = asdict(version)
    return {name: _json_value(row[name]) for name in fields}


def print_json(payload: Any) -> None:
    """``payload`` as indented JSON on stdout, never wrapped (for scripts and ``jq``)."""
    typer.echo(json.dumps(payload, indent=2, allow_nan=False))


@app.command("model:train")
@recorded("model:train")
def model_train(
    as_of: AsOf = None,
    lookback: Annotated[
        int, typer.Option("--lookback", min=1, max=100_000, help="Training window in days.")
    ] = 3650,
    model_type: ModelType = None,
    competition: Annotated[
        str | None, typer.Option("--competition", help="Train on one competition code only.")
    ] = None,
    trials: Annotated[
        int, typer.Option("--trials", min=0, help="Optuna trials (lightgbm only; 0: no search).")
    ] = 0,
    no_market: Annotated[
        bool, typer.Option("--no-market", help="Leave out every feature derived from odds.")
    ] = False,
    calibration: Annotated[
        str,
        typer.Option(
            "--calibration",
            callback=one_of(CALIBRATIONS),
            help=f"How validation probabilities are calibrated: {', '.join(CALIBRATIONS)}.",
        ),
    ] = "temperature",
    seed: Seed = 0,
    domain: DomainName = None,
) -> None:
    """Train a model walk-forward, register it, and deploy it only if it beats the champion."""
    from formline.pipeline.train import TrainConfig, train_model

    settings = load_settings()
    resolved = command_domain(settings, domain)
    model_type = default_model_type(resolved, model_type)
    config = TrainConfig(
        model_type=model_type,
        as_of=as_of_or_now(as_of),
        lookback_days=lookback,
        competition=competition,
        use_market=not no_market,
        trials=trials,
        calibration=calibration_method(calibration),
        random_state=seed,
        horizon_days=settings.default_horizon_days,
        domain=resolved.name,
    )
    store = open_configured_store(settings)
    run = current_run()
    config = replace(config, job_run_id=run.job_id if run else None)
    with console.status(f"training {model_type} walk-forward"):
        result = train_model(store, config, model_dir(settings))
    version = result.version
    console.print(f"model {version.id}: {version.name} v{version.version} ({version.status})")
    trained_for = config.resolved_domain
    reference = (
        f"{trained_for.reference_model} reference",
        result.metrics.get(reference_metrics_key(trained_for)),
    )
    rows = [(version.name, result.metrics), reference]
    events = plural(trained_for.event_noun)
    console.print(metrics_table("walk-forward validation", rows, events))
    if result.market_metrics:
        console.print(
            metrics_table(
                f"on the {events} with closing odds",
                [
                    (version.name, result.metrics.get("on_market_matches")),
                    ("the market's closing line", result.market_metrics),
                ],
                events,
            )
        )
    console.print(f"{result.decision}: {result.reason}")


@app.command("model:list")
def model_list(as_json: JsonOutput = False) -> None:
    """List model versions, newest first."""
    from formline.store.registry import list_model_versions

    versions = list_model_versions(open_existing_store(load_settings()))
    if as_json:
        data = [model_json(v, MODEL_LIST_FIELDS) for v in versions]
        print_json({"count": len(data), "data": data})
        return
    table = Table(header_style="bold")
    columns = ("id", "name", "v", "scope", "information", "status", "as of", "train", "valid",
               "RPS", "log loss")  # fmt: skip
    for col in columns:
        table.add_column(col)
    for v in versions:
        metrics = v.metrics or {}
        table.add_row(
            str(v.id),
            v.name,
            str(v.version),
            v.scope,
            v.information,
            v.status,
            f"{v.training_as_of:%Y-%m-%d %H:%M}",
            str(v.n_train or ""),
            str(v.n_validation or ""),
            f"{metrics['rps']:.4f}" if "rps" in metrics else "",
            f"{metrics['log_loss']:.4f}" if "log_loss" in metrics else "",
        )
    console.print(table)


@app.command("model:show")
def model_show(
    model_id: Annotated[int, typer.Argument(help="Model version id.")],
    as_json: JsonOutput = False,
) -> None:
    """Show one model version: window, features, hyperparameters, metrics, status."""
    from formline.store.registry import get_model_version

    v = get_model_version(open_existing_store(load_settings()), model_id)
    if as_json:
        print_json(model_json(v, MODEL_SHOW_FIELDS))
        return
    console.print(f"[bold]{v.name} v{v.version}[/] (id {v.id}) {v.status}")
    console.print(
        f"slot {v.domain}/{v.scope}/{v.information}: predicts "
        f"{'every competition' if v.scope == '*' else 'competition ' + v.scope} when "
        f"{'prices are observed' if v.information == 'market' else 'results are known'}"
    )
    if v.status_reason:
        console.print(f"reason: {v.status_reason}", markup=False)
    if v.error:
        console.print(f"error: {v.error}", markup=False)
    console.print(
        f"trained as of {v.training_as_of:%Y-%m-%d %H:%M}Z on "
        f"{counted(get_domain(v.domain), v.n_train)} "
        f"({v.window_start:%Y-%m-%d} to {v.window_end:%Y-%m-%d}); {v.n_validation} validated"
    )
    console.print(f"feature version {v.feature_version}; {len(v.feature_names)} features")
    console.print(f"artifact {v.artifact_path} sha256 {v.artifact_sha256}", markup=False)
    console.print("hyperparameters " + json.dumps(v.hyperparameters, sort_keys=True), markup=False)
    by_lead = (v.metrics or {}).get("by_lead") or {}
    of = get_domain(v.domain)
    events = plural(of.event_noun)
    if by_lead:
        console.print(
            metrics_table(
                f"validation by lead (the {events} as known N days before the start)",
                list(by_lead.items()),
                events,
            )
        )
    if v.metrics:
        console.print(
            metrics_table(
                "validation",
                [
                    (v.name, v.metrics),
                    (
                        f"{get_domain(v.domain).reference_model} reference",
                        v.metrics.get(reference_metrics_key(get_domain(v.domain))),
                    ),
                    (f"{v.name} (closing-odds {events})", v.metrics.get("on_market_matches")),
                    ("the market's closing line", v.market_metrics),
                ],
                events,
            )
        )


@app.command("model:promote")
@recorded("model:promote")
def model_promote(
    model_id: Annotated[int, typer.Argument(help="Model version id to deploy.")],
    reason: Annotated[str, typer.Option("--reason", help="Why, for the ledger.")] = "manual",
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Champion from this instant on (default: now, or its training instant if later).",
        ),
    ] = None,
) -> None:
    """Deploy a model version by hand as its slot's champion (the ledger records it)."""
    from formline.store.promotions import deploy

    effective = parse_instant(as_of, "--as-of") if as_of else None
    v = deploy(open_existing_store(load_settings()), model_id, reason=reason,
               effective_at=effective)  # fmt: skip
    state = "deployed" if v.status == "deployed" else "champion for the past only (archived now)"
    console.print(f"{v.label} (id {v.id}): {state} in {v.domain}/{v.scope}/{v.information}")


@app.command("model:rollback")
@recorded("model:rollback")
def model_rollback(
    reason: Annotated[str, typer.Option("--reason", help="Why, for the ledger.")] = "rollback",
    scope: Annotated[
        str | None, typer.Option("--scope", help="The slot's scope: a competition code or *.")
    ] = None,
    information: Annotated[
        str | None, typer.Option("--information", help="The slot's state: market or no_market.")
    ] = None,
    domain: DomainName = None,
) -> None:
    """Revoke the current champion of a slot; the champion before it takes over (repeat to walk
    further back)."""
    from formline.errors import ConfigError, ModelNotFoundError
    from formline.store.promotions import rollback, slot_of
    from formline.store.registry import deployed_models

    settings = load_settings()
    store = open_existing_store(settings)
    slots = sorted(
        {
            slot_of(m)
            for m in deployed_models(store, command_domain(settings, domain).name)
            if (scope is None or m.scope == scope)
            and (information is None or m.information == information)
        }
    )
    if not slots:
        which = "" if scope is None and information is None else " in that slot"
        raise ModelNotFoundError(f"no model is deployed{which}; nothing to roll back")
    if len(slots) > 1:
        choices = "; ".join(f"--scope {s.scope} --information {s.information}" for s in slots)
        raise ConfigError(f"several slots have a champion: say which ({choices})")
    v = rollback(store, slots[0], reason=reason)
    console.print(f"rolled back {slots[0]} to {v.label} (id {v.id})")


def _lead_days(value: str) -> str:
    """``--lead-days``: whole days >= 0, comma-separated (a usage error, exit 2, otherwise)."""
    from formline.errors import ConfigError
    from formline.pipeline.backtest import parse_lead_days

    try:
        parse_lead_days(value)
    except ConfigError as exc:
        raise typer.BadParameter(str(exc).removeprefix("--lead-days: ")) from exc
    return value


@app.command("model:backtest")
@recorded("model:backtest", lock=False)
def model_backtest(
    start: Annotated[str, typer.Option("--start", help="First kickoff date (UTC).")],
    end: Annotated[str, typer.Option("--end", help="End date, exclusive (UTC).")],
    out: Annotated[Path, typer.Option("--out", help="Output CSV, one row per match and lead.")],
    model_type: ModelType = None,
    refit: Annotated[
        str,
        typer.Option(
            "--refit",
            callback=one_of(REFITS),
            help="Refit at each season's first kickoff, or each calendar month.",
        ),
    ] = "season",
    no_market: Annotated[
        bool, typer.Option("--no-market", help="Leave out every feature derived from odds.")
    ] = False,
    competition: Annotated[
        str | None, typer.Option("--competition", help="One competition code only.")
    ] = None,
    lead_days: Annotated[
        str,
        typer.Option(
            "--lead-days",
            metavar="N[,N...]",
            callback=_lead_days,
            help="Predict each match as known N days before kickoff (several: 0,2,7,30).",
        ),
    ] = "0",
    jobs: Annotated[
        int, typer.Option("--jobs", min=1, max=64, help="Worker processes for the model fits.")
    ] = 1,
    seed: Seed = 0,
    domain: DomainName = None,
) -> None:
    """Walk-forward backtest over a period, refitting at each season or month boundary."""
    from formline.pipeline.backtest import (
        backtest_summary,
        parse_lead_days,
        run_backtest,
        write_backtest,
    )
    from formline.pipeline.outputs import check_output
    from formline.pipeline.train import TrainConfig

    check_output(out, suffixes=(".csv",))
    first, last = parse_instant(start, "--start"), parse_instant(end, "--end")
    leads = parse_lead_days(lead_days)
    settings = load_settings()
    resolved = command_domain(settings, domain)
    config = TrainConfig(
        model_type=default_model_type(resolved, model_type),
        use_market=not no_market,
        competition=competition,
        random_state=seed,
        lookback_days=0,
        domain=resolved.name,
    )
    store = open_existing_store(settings)
    with console.status(f"backtesting {model_type}"):
        result = run_backtest(store, first, last, config, refit, lead_days=leads, jobs=jobs)
    write_backtest(result, out)
    console.print(_summary_table(result.model, result.refits, backtest_summary(result)))
    console.print(f"written to {out}")


#: Headings of the domains' backtest scores (others are shown by name, ``_`` as spaces).
_SCORE_HEADINGS = {
    "rps": "RPS",
    "log_loss": "log loss",
    "rps_on_closing_matches": "RPS (closing-odds matches)",
    "closing_rps": "closing line RPS",
    "pseudo_r2": "pseudo-R²",
}
_SUMMARY_KEYS = ("lead_days", "season", "predicted", "omitted")


def _summary_table(model: str, refits: int, summary: Any) -> Table:
    """The backtest per lead and season: predicted, omitted, then the domain's scores (for
    matches RPS and log loss, and RPS beside the closing line on the matches that have it)."""
    table = Table(title=f"{model}: {refits} refits, by lead and season", header_style="bold")
    scores = [c for c in summary.columns if c not in _SUMMARY_KEYS]
    table.add_column("lead (days)", justify="right")
    table.add_column("season", justify="left")
    table.add_column("predicted", justify="right")
    table.add_column("omitted", justify="right")
    for column in scores:
        table.add_column(_SCORE_HEADINGS.get(column, column.replace("_", " ")), justify="right")

    def number(value: float) -> str:
        return "" if value != value else f"{value:.4f}"

    for row in summary.to_dict("records"):
        table.add_row(
            str(row["lead_days"]),
            str(row["season"]),
            str(row["predicted"]),
            str(row["omitted"]),
            *(number(float(row[c])) for c in scores),
            end_section=row["season"] == "all",
        )
    return table


@app.command("model:report")
@recorded("model:report", lock=False)
def model_report(
    model_id: Annotated[int, typer.Argument(help="Model version id.")],
    out: Annotated[Path, typer.Option("--out", help="Output HTML file.")] = Path("report.html"),
) -> None:
    """Write a self-contained HTML report of a model's validation."""
    from formline.pipeline.outputs import check_output
    from formline.pipeline.report import write_report

    check_output(out)
    path = write_report(open_existing_store(load_settings()), model_id, out)
    console.print(f"report written to {path}")
