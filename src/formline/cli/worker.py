"""``worker``: a Celery worker running formline's tasks (the ``celery`` extra)."""

from __future__ import annotations

import importlib.util
from typing import Annotated

import typer

from formline.cli.app import app, load_settings, one_of, state
from formline.errors import ConfigError

POOLS = ("prefork", "threads", "solo")


@app.command("worker")
def worker(
    concurrency: Annotated[
        int | None,
        typer.Option(
            "--concurrency", "-c", min=1, max=256, help="Tasks run at once (default: CPU count)."
        ),
    ] = None,
    queues: Annotated[
        str | None,
        typer.Option(
            "--queues",
            "-Q",
            metavar="A,B",
            help="Comma-separated queues to consume (default: CELERY_TASK_DEFAULT_QUEUE).",
        ),
    ] = None,
    pool: Annotated[
        str,
        typer.Option("--pool", callback=one_of(POOLS), help=f"Execution pool: {', '.join(POOLS)}."),
    ] = "prefork",
    hostname: Annotated[
        str | None,
        typer.Option("--hostname", "-n", help="The worker's node name (two on one box differ)."),
    ] = None,
) -> None:
    """Run a Celery worker for formline's tasks: broker and result backend from
    CELERY_BROKER_URL and CELERY_RESULT_BACKEND, the store from DATABASE_URL; stops on SIGTERM
    after its running tasks (a task it loses is delivered again: acks_late)."""
    if importlib.util.find_spec("celery") is None:
        raise ConfigError("formline worker needs the celery extra (pip install 'formline[celery]')")
    settings = load_settings()
    from formline.jobs.app import make_celery
    from formline.store.db import open_store

    celery_app = make_celery(settings)  # no broker configured: fails here
    # A missing or unmigrated store fails here, in one line, not in every task; closed before
    # the pool forks (each process opens its own).
    open_store(
        settings.resolved_database_url, create=False, timeouts=settings.worker_store_timeouts()
    ).dispose()
    # Imported before the pool forks, so that each process starts with the numerical stack
    # and the domains loaded (seconds per process otherwise, on its first task).
    import formline.pipeline.predict  # noqa: F401
    from formline.domain import all_domains

    all_domains()
    names = [q.strip() for q in (queues or settings.celery_task_default_queue).split(",")]
    argv = ["worker", f"--pool={pool}", "--queues", ",".join(n for n in names if n)]
    argv.append(f"--loglevel={'DEBUG' if state['verbose'] else 'INFO'}")
    if concurrency is not None:
        argv.append(f"--concurrency={concurrency}")
    if hostname:
        argv += ["--hostname", hostname]
    celery_app.worker_main(argv)
