"""Store, ingestion and feature commands: ``db:*``, ``ingest:demo``, ``features:*`` (a domain
adds its own ingest commands, see :func:`formline.cli.app.mount_domain_commands`)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from formline.cli.app import (
    AsOf,
    DomainName,
    RichProgress,
    app,
    as_of_or_now,
    command_domain,
    console,
    err_console,
    load_settings,
    open_configured_store,
    open_existing_store,
    recorded,
)
from formline.domain import all_domains, counted
from formline.errors import ConfigError, FormlineError
from formline.store.load_report import LoadReport
from formline.timeutil import parse_instant


@app.command("db:check")
def db_check() -> None:
    """Check that the store is reachable and its schema is current."""
    settings = load_settings()
    store = open_existing_store(settings, migrate=False)
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
    store = open_configured_store(load_settings(), migrate=False)
    before, after = store.migrate()
    if before == after:
        console.print(f"schema already at {after}")
    else:
        console.print(f"schema migrated: {before or 'empty'} -> {after}")


def print_rejects(lines: list[str], shown: int = 50) -> None:
    """The first ``shown`` rejects (``file:line: column: reason``) on stderr, then how many more
    the ``ingest_rejects`` table keeps."""
    for line in lines[:shown]:
        err_console.print(line, markup=False, highlight=False, soft_wrap=True)
    if len(lines) > shown:
        err_console.print(f"... and {len(lines) - shown} more (table ingest_rejects)")


def print_ingest_report(report: LoadReport) -> None:
    """What a load changed, per table: inserted, updated, unchanged (and deleted when a reload
    deleted rows), then the report's own notes."""
    tables = report.tables
    deleted = any(counts.deleted for counts in tables.values())
    columns = ["inserted", "updated", "unchanged", *(["deleted"] if deleted else [])]
    table = Table(show_header=True, header_style="bold")
    table.add_column("")
    for col in columns:
        table.add_column(col, justify="right")
    for name, counts in tables.items():
        table.add_row(name, *(str(getattr(counts, col)) for col in columns))
    console.print(table)
    for note in report.notes:
        console.print(note, markup=False, highlight=False)
    if not report.changed:
        console.print("nothing changed")


@app.command("ingest:demo")
@recorded("ingest:demo")
def ingest_demo(
    force: Annotated[bool, typer.Option("--force", help="Reload the demo data.")] = False,
    seed: Annotated[
        int,
        typer.Option("--seed", min=0, max=2**31 - 1, help="Seed of the synthetic world."),
    ] = 42,
    now: Annotated[
        str | None, typer.Option("--now", help="The demo's 'now' (default: today, UTC).")
    ] = None,
    leagues: Annotated[
        int | None, typer.Option("--leagues", help="Matches: number of leagues (3).", min=1)
    ] = None,
    teams: Annotated[
        int | None, typer.Option("--teams", help="Matches: teams per league, even (20).", min=4)
    ] = None,
    seasons: Annotated[
        int | None, typer.Option("--seasons", help="Matches: number of seasons (6).", min=2)
    ] = None,
    world: Annotated[
        list[str] | None,
        typer.Option(
            "--world",
            metavar="NAME=N",
            help="A size of the domain's world, repeatable (races: n_days, n_horses, "
            "n_jockeys, n_trainers).",
        ),
    ] = None,
    domain: DomainName = None,
) -> None:
    """Load the domain's seeded synthetic world (matches: 3 leagues x 20 teams x 6 seasons;
    races: 420 days of racing at two venues with future cards)."""
    from formline.pipeline.ingest import ingest_demo as run

    demo_now = parse_instant(now, "--now") if now else None
    if teams is not None and teams % 2:
        raise ConfigError(f"--teams: {teams} is odd; a round-robin needs an even number")
    sizes = _world_sizes(world or [])
    named = {"n_leagues": leagues, "n_teams": teams, "n_seasons": seasons}
    sizes |= {k: v for k, v in named.items() if v is not None}
    settings = load_settings()
    resolved = command_domain(settings, domain)
    store = open_configured_store(settings)
    with RichProgress(console) as progress:
        result = run(
            store,
            domain=resolved,
            seed=seed,
            now=demo_now,
            force=force,
            progress=progress,
            **sizes,
        )
    if result.skipped:
        console.print(result.message)
        return
    print_ingest_report(result.report)


def _world_sizes(pairs: list[str]) -> dict[str, int]:
    """``--world NAME=N`` options as sizes; ConfigError naming a malformed one."""
    sizes = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.isidentifier() or not value.strip().isdigit():
            raise ConfigError(f"--world: '{pair}' is not NAME=N with a whole number N")
        sizes[name] = int(value)
    return sizes


def ingest_limits(settings: Any) -> dict[str, Any]:
    """The settings' bounds on each ingested file (INGEST_MAX_FILE_MB, INGEST_MAX_LINE_KB,
    INGEST_MAX_REJECTS) as plain values, for a domain's source adapter."""
    return {
        "max_file_mb": settings.ingest_max_file_mb,
        "max_line_kb": settings.ingest_max_line_kb,
        "max_rejects": settings.ingest_max_rejects,
    }


@app.command("features:build")
@recorded("features:build")
def features_build(as_of: AsOf = None, domain: DomainName = None) -> None:
    """Compute point-in-time features as of a time and store them as snapshots."""
    from formline.pipeline.features import build_features

    instant = as_of_or_now(as_of)
    settings = load_settings()
    resolved = command_domain(settings, domain)
    store = open_configured_store(settings)
    with RichProgress(console) as progress:
        build = build_features(store, instant, progress=progress, domain=resolved)
    console.print(
        f"{counted(resolved, len(build.frame))}, {len(build.feature_names)} features as of "
        f"{instant.isoformat()}Z (feature version {build.feature_version}); "
        f"{build.written} snapshot rows written or changed in {build.seconds:.1f}s"
    )


@app.command("features:list")
def features_list(domain: DomainName = None) -> None:
    """List the domain's point-in-time features: name, group, whether odds feed it, and what
    it measures (also ``formline.list_features()``)."""
    domain_ = command_domain(load_settings(), domain)
    table = Table(title=f"{domain_.name} features (version {domain_.feature_set().schema_hash})")
    for column in ("feature", "group", "odds", "description"):
        table.add_column(column)
    for spec in domain_.feature_set():
        table.add_row(spec.name, spec.group, "yes" if spec.uses_market else "", spec.description)
    console.print(table)


def _targets() -> str:
    """The registered domains' target columns, for ``--with-targets``' help
    (``a, b and c``)."""
    names = list(dict.fromkeys(c for d in all_domains() for c in d.target_columns))
    return " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)


@app.command("features:export")
@recorded("features:export", lock=False)
def features_export(
    as_of: Annotated[str, typer.Option("--as-of", help="ISO date or timestamp, UTC.")],
    out: Annotated[Path, typer.Option("--out", help="Output file, .parquet or .csv.")],
    with_targets: Annotated[
        bool,
        typer.Option(
            "--with-targets",
            help=f"Add {_targets()} where the result was known at --as-of.",
        ),
    ] = False,
    domain: DomainName = None,
) -> None:
    """Write one row per match with its season and every feature as of a time to a Parquet or
    CSV file (timestamps in UTC with their zone)."""
    from formline.pipeline.features import export_features
    from formline.pipeline.outputs import check_output

    instant = parse_instant(as_of)
    check_output(out, suffixes=(".parquet", ".csv"))
    settings = load_settings()
    resolved = command_domain(settings, domain)
    store = open_existing_store(settings)
    with RichProgress(console) as progress:
        export = export_features(
            store, instant, out, progress=progress, with_targets=with_targets, domain=resolved
        )
    if export.empty_features:
        err_console.print(
            f"warning: {len(export.empty_features)} features have no value for any row: the "
            f"stored data cannot feed them (their columns are written empty): "
            f"{', '.join(export.empty_features)}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    console.print(f"{counted(resolved, export.rows)} written to {out}")


@app.command("db:cleanup")
@recorded("db:cleanup")
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

    settings = load_settings()
    keep = days or settings.snapshot_retention_days
    cutoff = datetime.now(UTC) - timedelta(days=keep)
    result = prune_snapshots(open_existing_store(settings), cutoff=cutoff, dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    console.print(
        f"{verb} {result.snapshots_deleted} snapshots ({result.predictions_deleted} predictions) "
        f"created before {cutoff:%Y-%m-%d %H:%M}Z; kept {result.kept_current} current and "
        f"{result.kept_for_evaluation} needed to evaluate the deployed model"
    )
