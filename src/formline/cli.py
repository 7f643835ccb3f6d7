"""The ``formline`` command line: parses options, calls the pipeline, maps errors to exit codes.

Exit codes: 0 ok, 1 runtime failure, 2 bad usage or bad input. Errors print one line; the
traceback only with ``--verbose``.
"""

from __future__ import annotations

import logging
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from formline.errors import ConfigError, FormlineError
from formline.settings import Settings, normalise_database_url

if TYPE_CHECKING:
    from formline.core.calibration import CalibrationMethod
from formline.timeutil import parse_instant, utc_now_naive

app = typer.Typer(
    name="formline",
    help="A sports prediction worker: ingest, point-in-time features, models, predictions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

_state: dict[str, Any] = {"verbose": False}

AsOf = Annotated[
    str | None,
    typer.Option("--as-of", help="ISO date or timestamp, UTC (default: now)."),
]


class RichProgress:
    """Draws pipeline progress with Rich (bars when the total is known, spinners otherwise)."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._tasks: dict[str, Any] = {}

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def start(self, step: str, total: int | None = None) -> None:
        self._tasks[step] = self._progress.add_task(step, total=total)

    def advance(self, step: str, amount: int = 1) -> None:
        self._progress.advance(self._tasks[step], amount)

    def finish(self, step: str) -> None:
        task = self._tasks.pop(step, None)
        if task is not None:
            self._progress.remove_task(task)
        console.print(f"[green]✓[/] {step}")


def _settings() -> Settings:
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as exc:
        # Name the setting and the problem, never the value: it may be a URL with a password.
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from None


def _store(settings: Settings, migrate: bool = True) -> Any:
    from formline.store.db import open_store

    return open_store(settings.resolved_database_url, migrate=migrate)


def _calibration(value: str) -> CalibrationMethod:
    if value not in ("temperature", "isotonic", "none"):
        raise ConfigError(f"--calibration: '{value}' is not one of temperature, isotonic, none")
    return value  # type: ignore[return-value]


def _as_of(value: str | None) -> datetime:
    return parse_instant(value) if value else utc_now_naive()


@app.callback()
def _main(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show tracebacks and debug logs.")
    ] = False,
) -> None:
    _state["verbose"] = verbose
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING)


@app.command("db:check")
def db_check() -> None:
    """Check that the store is reachable and its schema is current."""
    settings = _settings()
    store = _store(settings, migrate=False)
    current = store.current_revision()
    head = store.head_revision()
    console.print(f"store: {store.display_url} ({store.dialect})")
    console.print(f"schema: {current or 'not migrated'} (newest: {head})")
    if current != head:
        if store.dialect == "sqlite":
            console.print("the embedded store migrates itself on first use")
        else:
            raise FormlineError("schema is not current: run `formline db:migrate`")


@app.command("db:migrate")
def db_migrate() -> None:
    """Create or upgrade the store's schema to the newest revision."""
    store = _store(_settings(), migrate=False)
    before, after = store.migrate()
    if before == after:
        console.print(f"schema already at {after}")
    else:
        console.print(f"schema migrated: {before or 'empty'} -> {after}")


def _print_report(result: Any) -> None:
    report = result.report
    table = Table(show_header=True, header_style="bold")
    for col in ("", "new", "changed"):
        table.add_column(col, justify="right" if col else "left")
    table.add_row("matches", str(report.matches_new), str(report.matches_changed))
    table.add_row("odds", str(report.odds_new), str(report.odds_changed))
    table.add_row("teams", str(report.teams_new), "")
    console.print(table)


@app.command("ingest:demo")
def ingest_demo(
    force: Annotated[bool, typer.Option("--force", help="Reload the demo data.")] = False,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic world.")] = 42,
    now: Annotated[
        str | None, typer.Option("--now", help="The demo's 'now' (default: today, UTC).")
    ] = None,
    leagues: Annotated[int, typer.Option("--leagues", help="Number of leagues.", min=1)] = 3,
    teams: Annotated[int, typer.Option("--teams", help="Teams per league (even).", min=4)] = 20,
    seasons: Annotated[int, typer.Option("--seasons", help="Number of seasons.", min=2)] = 6,
) -> None:
    """Load a seeded synthetic football world (default 3 leagues x 20 teams x 6 seasons)."""
    from formline.pipeline.ingest import ingest_demo as run

    demo_now = parse_instant(now, "--now") if now else None
    if teams % 2:
        raise ConfigError(f"--teams: {teams} is odd; a round-robin needs an even number")
    store = _store(_settings())
    with RichProgress(console) as progress:
        result = run(
            store,
            seed=seed,
            now=demo_now,
            force=force,
            n_leagues=leagues,
            n_teams=teams,
            n_seasons=seasons,
            progress=progress,
        )
    if result.skipped:
        console.print(result.message)
        return
    _print_report(result)


@app.command("ingest:football-data")
def ingest_football_data(
    paths: Annotated[
        list[Path], typer.Argument(help="football-data.co.uk CSV files or folders of them.")
    ],
) -> None:
    """Load football-data.co.uk CSV files; bad rows are reported and kept as rejects."""
    from formline.pipeline.ingest import ingest_football_data as run

    store = _store(_settings())
    with RichProgress(console) as progress:
        result = run(store, paths, progress=progress)
    for line in result.rejects[:50]:
        err_console.print(line, markup=False, highlight=False, soft_wrap=True)
    if len(result.rejects) > 50:
        err_console.print(f"... and {len(result.rejects) - 50} more (table ingest_rejects)")
    console.print(
        f"{result.files} files, {result.rows} matches read, {len(result.rejects)} rejects kept"
    )
    _print_report(result)


@app.command("features:build")
def features_build(as_of: AsOf = None) -> None:
    """Compute point-in-time features as of a time and store them as snapshots."""
    from formline.pipeline.features import build_features

    instant = _as_of(as_of)
    store = _store(_settings())
    with RichProgress(console) as progress:
        build = build_features(store, instant, progress=progress)
    console.print(
        f"{len(build.frame)} matches, {len(build.feature_names)} features as of "
        f"{instant.isoformat()}Z (feature version {build.feature_version}); "
        f"{build.written} snapshot rows written or changed in {build.seconds:.1f}s"
    )


@app.command("features:export")
def features_export(
    as_of: Annotated[str, typer.Option("--as-of", help="ISO date or timestamp, UTC.")],
    out: Annotated[Path, typer.Option("--out", help="Output file, .parquet or .csv.")],
) -> None:
    """Write one row per match with every feature as of a time to a Parquet or CSV file."""
    from formline.pipeline.features import export_features

    instant = parse_instant(as_of)
    store = _store(_settings())
    with RichProgress(console) as progress:
        rows = export_features(store, instant, out, progress=progress)
    console.print(f"{rows} matches written to {out}")


# --------------------------------------------------------------------------- models


def _model_dir(settings: Settings) -> Path:
    return settings.resolved_model_storage_path


def _metrics_table(title: str, rows: list[tuple[str, dict[str, Any] | None]]) -> Table:
    table = Table(title=title, header_style="bold")
    table.add_column("model")
    for col in ("matches", "RPS", "log loss", "Brier", "accuracy", "ECE"):
        table.add_column(col, justify="right")
    for name, metrics in rows:
        if not metrics:
            continue
        table.add_row(
            name,
            str(int(metrics.get("n", 0))),
            f"{metrics['rps']:.4f}",
            f"{metrics['log_loss']:.4f}",
            f"{metrics['brier']:.4f}",
            f"{metrics['accuracy']:.3f}",
            f"{metrics.get('ece', float('nan')):.3f}",
        )
    return table


ModelType = Annotated[
    str,
    typer.Option(
        "--model-type",
        help="logistic, lightgbm, dixon-coles, elo, market or ensemble.",
    ),
]


@app.command("model:train")
def model_train(
    as_of: AsOf = None,
    lookback: Annotated[int, typer.Option("--lookback", help="Training window in days.")] = 3650,
    model_type: ModelType = "logistic",
    competition: Annotated[
        str | None, typer.Option("--competition", help="Train on one competition code only.")
    ] = None,
    trials: Annotated[int, typer.Option("--trials", help="Optuna trials (lightgbm).")] = 0,
    no_market: Annotated[
        bool, typer.Option("--no-market", help="Leave out every feature derived from odds.")
    ] = False,
    calibration: Annotated[
        str, typer.Option("--calibration", help="temperature, isotonic or none.")
    ] = "temperature",
    seed: Annotated[int, typer.Option("--seed", help="Random state.")] = 0,
) -> None:
    """Train a model walk-forward, register it, and deploy it only if it beats the champion."""
    from formline.pipeline.train import TrainConfig, train_model

    settings = _settings()
    config = TrainConfig(
        model_type=model_type,
        as_of=_as_of(as_of),
        lookback_days=lookback,
        competition=competition,
        use_market=not no_market,
        trials=trials,
        calibration=_calibration(calibration),
        random_state=seed,
        horizon_days=settings.default_horizon_days,
    )
    store = _store(settings)
    with console.status(f"training {model_type} walk-forward"):
        result = train_model(store, config, _model_dir(settings))
    version = result.version
    console.print(f"model {version.id}: {version.name} v{version.version} ({version.status})")
    rows = [(version.name, result.metrics), ("elo reference", result.metrics.get("elo_reference"))]
    console.print(_metrics_table("walk-forward validation", rows))
    if result.market_metrics:
        console.print(
            _metrics_table(
                "on the matches with closing odds",
                [
                    (version.name, result.metrics.get("on_market_matches")),
                    ("closing line (Shin)", result.market_metrics),
                ],
            )
        )
    console.print(f"{result.decision}: {result.reason}")


@app.command("model:list")
def model_list() -> None:
    """List model versions, newest first."""
    from formline.store.registry import list_model_versions

    table = Table(header_style="bold")
    for col in ("id", "name", "v", "status", "as of", "train", "valid", "RPS", "log loss"):
        table.add_column(col)
    for v in list_model_versions(_store(_settings())):
        metrics = v.metrics or {}
        table.add_row(
            str(v.id),
            v.name,
            str(v.version),
            v.status,
            f"{v.training_as_of:%Y-%m-%d %H:%M}",
            str(v.n_train or ""),
            str(v.n_validation or ""),
            f"{metrics['rps']:.4f}" if "rps" in metrics else "",
            f"{metrics['log_loss']:.4f}" if "log_loss" in metrics else "",
        )
    console.print(table)


@app.command("model:show")
def model_show(model_id: Annotated[int, typer.Argument(help="Model version id.")]) -> None:
    """Show one model version: window, features, hyperparameters, metrics, status."""
    import json

    from formline.store.registry import get_model_version

    v = get_model_version(_store(_settings()), model_id)
    console.print(f"[bold]{v.name} v{v.version}[/] (id {v.id}) {v.status}")
    if v.status_reason:
        console.print(f"reason: {v.status_reason}")
    if v.error:
        console.print(f"error: {v.error}", markup=False)
    console.print(
        f"trained as of {v.training_as_of:%Y-%m-%d %H:%M}Z on {v.n_train} matches "
        f"({v.window_start:%Y-%m-%d} to {v.window_end:%Y-%m-%d}); {v.n_validation} validated"
    )
    console.print(f"feature version {v.feature_version}; {len(v.feature_names)} features")
    console.print(f"artifact {v.artifact_path} sha256 {v.artifact_sha256}")
    console.print("hyperparameters " + json.dumps(v.hyperparameters, sort_keys=True))
    if v.metrics:
        console.print(
            _metrics_table(
                "validation",
                [
                    (v.name, v.metrics),
                    ("elo reference", v.metrics.get("elo_reference")),
                    (f"{v.name} (closing-odds matches)", v.metrics.get("on_market_matches")),
                    ("closing line (Shin)", v.market_metrics),
                ],
            )
        )


@app.command("model:promote")
def model_promote(
    model_id: Annotated[int, typer.Argument(help="Model version id to deploy.")],
    reason: Annotated[str, typer.Option("--reason", help="Why, for the ledger.")] = "manual",
) -> None:
    """Deploy a model version by hand (the ledger records it)."""
    from formline.store.promotions import deploy

    v = deploy(_store(_settings()), model_id, reason=reason)
    console.print(f"deployed {v.name} v{v.version} (id {v.id})")


@app.command("model:rollback")
def model_rollback(
    reason: Annotated[str, typer.Option("--reason", help="Why, for the ledger.")] = "rollback",
) -> None:
    """Re-deploy the model that was deployed before the current one."""
    from formline.store.promotions import rollback

    v = rollback(_store(_settings()), reason=reason)
    console.print(f"rolled back to {v.name} v{v.version} (id {v.id})")


@app.command("model:backtest")
def model_backtest(
    start: Annotated[str, typer.Option("--start", help="First kickoff date (UTC).")],
    end: Annotated[str, typer.Option("--end", help="End date, exclusive (UTC).")],
    out: Annotated[Path, typer.Option("--out", help="Output CSV, one row per match.")],
    model_type: ModelType = "logistic",
    refit: Annotated[str, typer.Option("--refit", help="season or month.")] = "season",
    no_market: Annotated[
        bool, typer.Option("--no-market", help="Leave out every feature derived from odds.")
    ] = False,
    competition: Annotated[
        str | None, typer.Option("--competition", help="One competition code only.")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random state.")] = 0,
) -> None:
    """Walk-forward backtest over a period, refitting at each season or month boundary."""
    from formline.pipeline.backtest import backtest_metrics, run_backtest, write_backtest
    from formline.pipeline.train import TrainConfig

    config = TrainConfig(
        model_type=model_type,
        use_market=not no_market,
        competition=competition,
        random_state=seed,
        lookback_days=0,
    )
    store = _store(_settings())
    with console.status(f"backtesting {model_type}"):
        result = run_backtest(
            store, parse_instant(start, "--start"), parse_instant(end, "--end"), config, refit
        )
    write_backtest(result, out)
    metrics = backtest_metrics(result.frame)
    console.print(
        _metrics_table(
            f"{result.model}: {len(result.frame)} matches, {result.refits} refits",
            [
                (result.model, metrics["model"]),
                (f"{result.model} (closing-odds matches)", metrics.get("model_on_market_matches")),
                ("closing line (Shin)", metrics.get("closing_market")),
            ],
        )
    )
    console.print(f"written to {out}")


@app.command("model:report")
def model_report(
    model_id: Annotated[int, typer.Argument(help="Model version id.")],
    out: Annotated[Path, typer.Option("--out", help="Output HTML file.")] = Path("report.html"),
) -> None:
    """Write a self-contained HTML report of a model's validation."""
    from formline.pipeline.report import write_report

    path = write_report(_store(_settings()), model_id, out)
    console.print(f"report written to {path}")


# --------------------------------------------------------------------------- predictions


@app.command("predict:run")
def predict_run(
    as_of: AsOf = None,
    horizon: Annotated[
        int | None, typer.Option("--horizon", help="Days ahead (default DEFAULT_HORIZON_DAYS).")
    ] = None,
) -> None:
    """Predict every match in (as_of, as_of + horizon] with the deployed model; publish."""
    from formline.pipeline.predict import run_predictions

    settings = _settings()
    instant = _as_of(as_of)
    days = horizon or settings.default_horizon_days
    with console.status("predicting"):
        result = run_predictions(_store(settings), instant, days)
    if result.snapshot_id is None:
        console.print(f"no matches to predict in ({instant:%Y-%m-%d %H:%M}, +{days} days]")
        return
    state = "published" if result.created else "already published (unchanged)"
    console.print(
        f"snapshot {result.snapshot_id} {state}: {len(result.predictions)} matches, model "
        f"{result.model.name} v{result.model.version}, as of {instant.isoformat()}Z"
    )
    _warm_api_cache(settings)


def _cache_target(settings: Settings) -> Any:
    from formline.pipeline.warm import CacheTarget

    if not settings.redis_url or not settings.api_cache_enabled:
        return None
    return CacheTarget(
        redis_url=settings.redis_url,
        key_prefix=settings.api_cache_key_prefix,
        ttl_predictions=settings.api_cache_ttl_predictions,
    )


def _warm_api_cache(settings: Settings) -> None:
    """Warm the API's Redis after a publish; a Redis that does not answer is only a warning."""
    from formline.errors import CacheError
    from formline.pipeline.warm import warm_api_cache

    target = _cache_target(settings)
    if target is None:
        return
    try:
        warmed = warm_api_cache(_store(settings), target)
    except CacheError as exc:
        err_console.print(f"warning: API cache not warmed: {exc}", markup=False, highlight=False)
        return
    console.print(f"API cache warmed: {warmed.written} responses ({warmed.present} already there)")


@app.command("predict:match")
def predict_match(match_id: Annotated[int, typer.Argument(help="Match id.")]) -> None:
    """Print the latest published prediction of one match with its drivers."""
    from formline.errors import ModelNotFoundError
    from formline.store.predictions import latest_prediction_for_match

    p = latest_prediction_for_match(_store(_settings()), match_id)
    if p is None:
        raise ModelNotFoundError(f"match {match_id}: no published prediction covers it")
    console.print(
        f"match {match_id} (snapshot {p['snapshot_id']}, as of {p['as_of']:%Y-%m-%d %H:%M}Z)"
    )
    table = Table(header_style="bold")
    for col in ("", "home", "draw", "away", "over 2.5"):
        table.add_column(col, justify="right")
    table.add_row(
        "probability", *(f"{p[k]:.3f}" for k in ("p_home", "p_draw", "p_away", "p_over_2_5"))
    )
    table.add_row(
        "fair odds",
        *(f"{p[k]:.2f}" for k in ("fair_home", "fair_draw", "fair_away", "fair_over_2_5")),
    )
    console.print(table)
    if p.get("drivers"):
        drivers = Table(title="drivers (contribution to each outcome's score)", header_style="bold")
        for col in ("feature", "value", "home", "draw", "away"):
            drivers.add_column(col, justify="right" if col != "feature" else "left")
        for d in p["drivers"]:
            value = "" if d.get("value") is None else f"{d['value']:.3f}"
            drivers.add_row(
                d["feature"], value, *(f"{d[o]:+.3f}" for o in ("home", "draw", "away"))
            )
        console.print(drivers)
    else:
        console.print("this model gives no per-feature drivers")


# --------------------------------------------------------------------------- daily


@app.command("daily:run")
def daily_run(
    as_of: AsOf = None,
    horizon: Annotated[
        int | None, typer.Option("--horizon", help="Days ahead (default DEFAULT_HORIZON_DAYS).")
    ] = None,
    skip_ingest: Annotated[bool, typer.Option("--skip-ingest")] = False,
    skip_features: Annotated[bool, typer.Option("--skip-features")] = False,
    skip_train: Annotated[bool, typer.Option("--skip-train")] = False,
    skip_predictions: Annotated[bool, typer.Option("--skip-predictions")] = False,
    force_train: Annotated[
        bool, typer.Option("--force-train", help="Train even if the champion is recent.")
    ] = False,
    model_types: Annotated[
        str, typer.Option("--model-types", help="Comma-separated model types to train.")
    ] = "logistic",
    report: Annotated[
        bool, typer.Option("--report", help="Write the deployed model's HTML report.")
    ] = False,
    triggered_by: Annotated[
        str, typer.Option("--triggered-by", help="manual, cron or api (for job_runs).")
    ] = "manual",
    skip_cleanup: Annotated[
        bool, typer.Option("--skip-cleanup", help="Keep every prediction snapshot this time.")
    ] = False,
) -> None:
    """Ingest updates, build features, train when due, publish predictions, warm the API's
    Redis, prune old snapshots (job_runs rows)."""
    from formline.pipeline.daily import DailyConfig, StepOutcome, run_daily

    settings = _settings()
    config = DailyConfig(
        as_of=_as_of(as_of),
        horizon_days=horizon or settings.default_horizon_days,
        ingest_paths=settings.ingest_path_list,
        skip_ingest=skip_ingest,
        skip_features=skip_features,
        skip_train=skip_train,
        skip_predictions=skip_predictions,
        force_train=force_train,
        retrain_days=settings.retrain_days,
        model_types=tuple(t.strip() for t in model_types.split(",") if t.strip()),
        triggered_by=triggered_by,
        retention_days=None if skip_cleanup else settings.snapshot_retention_days,
        cache=_cache_target(settings),
    )
    store = _store(settings)

    def show(outcome: StepOutcome) -> None:
        mark = {"succeeded": "[green]✓[/]", "skipped": "[yellow]-[/]"}.get(
            outcome.status, "[red]✗[/]"
        )
        console.print(f"{mark} {outcome.step}: {outcome.status} {outcome.detail}", highlight=False)

    with console.status("daily run"):
        result = run_daily(store, config, _model_dir(settings), on_step=show)
    trained = next((s.result for s in result.steps if s.step == "train" and s.result), None)
    if trained:
        rows: list[tuple[str, dict[str, Any] | None]] = []
        market = None
        for r in trained:
            label = f"{r.version.name} v{r.version.version} ({r.decision})"
            rows.append((label, r.metrics.get("on_market_matches") or r.metrics))
            market = market or r.market_metrics
        rows.append(("closing line (Shin)", market))
        console.print(_metrics_table("each model against the market (walk-forward)", rows))
    if report:
        from formline.pipeline.report import write_report
        from formline.store.registry import deployed_model

        champion = deployed_model(store)
        if champion is not None:
            path = write_report(
                store, champion.id, settings.formline_home / "reports" / f"model-{champion.id}.html"
            )
            console.print(f"report for {champion.name} v{champion.version}: {path}")


# --------------------------------------------------------------------------- api and retention


@app.command("db:cleanup")
def db_cleanup(
    days: Annotated[
        int | None,
        typer.Option(
            "--days",
            min=1,
            help="Prune snapshots older than N days (default SNAPSHOT_RETENTION_DAYS).",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would be deleted; delete nothing.")
    ] = False,
) -> None:
    """Prune old prediction snapshots, never the current one or those the deployed model's
    evaluation needs."""
    from datetime import UTC, timedelta

    from formline.store.retention import prune_snapshots

    settings = _settings()
    keep = days or settings.snapshot_retention_days
    cutoff = datetime.now(UTC) - timedelta(days=keep)
    result = prune_snapshots(_store(settings), cutoff=cutoff, dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    console.print(
        f"{verb} {result.snapshots_deleted} snapshots ({result.predictions_deleted} predictions) "
        f"created before {cutoff:%Y-%m-%d %H:%M}Z; kept {result.kept_current} current and "
        f"{result.kept_for_evaluation} needed to evaluate the deployed model"
    )


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Worker processes.")] = 1,
    access_log: Annotated[
        bool, typer.Option("--access-log", help="Log every request (costs throughput).")
    ] = False,
) -> None:
    """Serve the read-only prediction API (FastAPI under uvicorn); reads the store only."""
    import importlib.util

    missing = [m for m in ("fastapi", "uvicorn") if importlib.util.find_spec(m) is None]
    if missing:
        raise ConfigError(
            f"formline serve needs the api extra (pip install 'formline[api]'): "
            f"{', '.join(missing)} not installed"
        )
    settings = _settings()  # bad settings fail here, once, not in every worker
    normalise_database_url(settings.resolved_database_url)
    argv = ["--host", host, "--port", str(port), "--workers", str(workers)]
    argv += ["--log-level", "debug" if _state["verbose"] else "info"]
    if access_log:
        argv.append("--access-log")
    sys.stdout.flush()
    sys.stderr.flush()
    # Replace this process with the API's own entry point: its workers then load the API only,
    # not this command line (Typer, Rich), which is several MB per worker.
    os.execv(sys.executable, [sys.executable, "-m", "formline.api", *argv])


def main() -> None:
    """Run the CLI, mapping formline errors to one-line messages and exit codes."""
    # Numerical libraries default to a thread per core for every small matrix product; on a
    # machine that also runs DuckDB and LightGBM that oversubscription costs far more than it
    # gains. Users can still raise these.
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")
    try:
        app(standalone_mode=False)
    except FormlineError as exc:
        if _state["verbose"]:
            err_console.print_exception()
        err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("aborted")
        sys.exit(1)
    except typer.exceptions.TyperException as exc:  # usage errors: unknown option, bad value
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(getattr(exc, "exit_code", 2))
    except Exception as exc:  # an unexpected failure: one line, the traceback with --verbose
        if _state["verbose"]:
            err_console.print_exception()
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        err_console.print(
            f"error: {type(exc).__name__}: {first}", markup=False, highlight=False, soft_wrap=True
        )
        sys.exit(1)
