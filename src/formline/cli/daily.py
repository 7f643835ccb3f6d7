"""``daily:run``: the whole pipeline, one ``job_runs`` row a step."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import typer

from formline.cli.app import (
    MODEL_TYPES,
    AsOf,
    DomainName,
    Horizon,
    app,
    as_of_or_now,
    command_domain,
    console,
    current_run,
    default_model_type,
    load_settings,
    metrics_table,
    model_dir,
    one_of,
    open_configured_store,
    recorded,
)
from formline.cli.data import ingest_limits
from formline.cli.predictions import cache_target
from formline.domain import plural
from formline.errors import ConfigError

#: Who starts a run, as ``job_runs`` records it (formline.store.tables.JOB_TRIGGERS).
TRIGGERS = ("manual", "cron", "api")


def model_type_list(value: str) -> tuple[str, ...]:
    """``--model-types`` as a tuple (DailyConfig checks each before any step runs).

    Raises
    ------
    ConfigError
        When it names no model type.
    """
    names = tuple(t.strip() for t in value.split(",") if t.strip())
    if not names:
        raise ConfigError("--model-types: name at least one model type")
    return names


@app.command("daily:run")
@recorded("daily:run")
def daily_run(
    as_of: AsOf = None,
    horizon: Horizon = None,
    skip_ingest: Annotated[
        bool, typer.Option("--skip-ingest", help="Do not re-load FORMLINE_INGEST_PATHS.")
    ] = False,
    skip_features: Annotated[
        bool, typer.Option("--skip-features", help="Do not build feature snapshots.")
    ] = False,
    skip_train: Annotated[bool, typer.Option("--skip-train", help="Do not train.")] = False,
    skip_predictions: Annotated[
        bool,
        typer.Option("--skip-predictions", help="Do not publish predictions (nor warm the cache)."),
    ] = False,
    force_train: Annotated[
        bool, typer.Option("--force-train", help="Train even if the champion is recent.")
    ] = False,
    model_types: Annotated[
        str | None,
        typer.Option(
            "--model-types",
            metavar="A,B",
            help=f"Comma-separated model types to train, of: {', '.join(MODEL_TYPES)} "
            "(default: the domain's first).",
        ),
    ] = None,
    report: Annotated[
        bool, typer.Option("--report", help="Write each champion's HTML report.")
    ] = False,
    triggered_by: Annotated[
        str,
        typer.Option(
            "--triggered-by",
            callback=one_of(TRIGGERS),
            help=f"Who started the run, for job_runs: {', '.join(TRIGGERS)}.",
        ),
    ] = "manual",
    simulations: Annotated[
        int,
        typer.Option(
            "--simulations",
            min=0,
            max=1_000_000,
            help="Seasons simulated per competition with a season in progress (0: none).",
        ),
    ] = 10_000,
    skip_cleanup: Annotated[
        bool, typer.Option("--skip-cleanup", help="Keep every prediction snapshot this time.")
    ] = False,
    distributed: Annotated[
        bool,
        typer.Option(
            "--distributed",
            help="Predict each partition (competition) on the Celery workers "
            "(CELERY_BROKER_URL); publish once, when every partition succeeded.",
        ),
    ] = False,
    domain: DomainName = None,
) -> None:
    """Ingest updates, build features, train when due, publish predictions, simulate the
    seasons in progress, warm the API's Redis, prune old snapshots (job_runs rows)."""
    from formline.pipeline.daily import DailyConfig, StepOutcome, run_daily

    settings = load_settings()
    resolved = command_domain(settings, domain)
    config = DailyConfig(
        as_of=as_of_or_now(as_of),
        horizon_days=settings.default_horizon_days if horizon is None else horizon,
        ingest_paths=settings.ingest_path_list,
        ingest_limits=ingest_limits(settings),
        skip_ingest=skip_ingest,
        skip_features=skip_features,
        skip_train=skip_train,
        skip_predictions=skip_predictions,
        simulations=simulations,
        force_train=force_train,
        retrain_days=settings.retrain_days,
        model_types=(
            model_type_list(model_types)
            if model_types is not None
            else (default_model_type(resolved, None),)
        ),
        triggered_by=triggered_by,
        retention_days=None if skip_cleanup else settings.snapshot_retention_days,
        cache=cache_target(settings),
        domain=resolved.name,
    )
    store = open_configured_store(settings)

    def show(outcome: StepOutcome) -> None:
        mark = {"succeeded": "[green]✓[/]", "skipped": "[yellow]-[/]"}.get(
            outcome.status, "[red]✗[/]"
        )
        console.print(f"{mark} {outcome.step}: {outcome.status} {outcome.detail}", highlight=False)

    run = current_run()
    run_id = run.run_id if run else str(uuid.uuid4())
    predict = None
    if distributed:
        from formline.jobs.app import make_celery
        from formline.jobs.distributed import distributed_predictions

        predict = distributed_predictions(
            make_celery(settings), run_id=run_id, wait_seconds=settings.celery_wait_seconds
        )
    with console.status("daily run"):
        result = run_daily(
            store, config, model_dir(settings), on_step=show, run_id=run_id, predict=predict
        )
    trained = next((s.result for s in result.steps if s.step == "train" and s.result), None)
    if trained:
        rows: list[tuple[str, dict[str, Any] | None]] = []
        market = None
        for r in trained:
            label = f"{r.version.name} v{r.version.version} ({r.decision})"
            rows.append((label, r.metrics.get("on_market_matches") or r.metrics))
            market = market or r.market_metrics
        rows.append(("the market's closing line", market))
        events = plural(resolved.event_noun)
        console.print(metrics_table("each model against the market (walk-forward)", rows, events))
    if report:
        from formline.pipeline.report import write_report
        from formline.store.promotions import champions_at

        for slot, champion in sorted(
            champions_at(store, command_domain(settings, domain).name, config.as_of).items()
        ):
            path = write_report(
                store, champion.id, settings.formline_home / "reports" / f"model-{champion.id}.html"
            )
            console.print(f"report for {champion.label} (champion of {slot}): {path}")
