"""What every ``formline`` command shares: the Typer app, the consoles, loading settings and
opening the store, progress display, the metrics table, and :func:`main`, which runs the app and
maps errors to exit codes. The commands themselves live in the sibling modules.

Exit codes: 0 ok, 1 runtime failure, 2 bad usage or bad input. Errors print one line; the
traceback only with ``--verbose``.
"""

from __future__ import annotations

import functools
import logging
import os
import signal
import sys
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from formline.errors import ConfigError, FormlineError
from formline.settings import Settings
from formline.timeutil import parse_instant, utc_now_naive

if TYPE_CHECKING:
    from formline.core.calibration import CalibrationMethod
    from formline.pipeline.runs import Run

F = TypeVar("F", bound=Callable[..., Any])
#: The exit code of a command interrupted by Ctrl-C (128 + SIGINT), and by SIGTERM.
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143

app = typer.Typer(
    name="formline",
    help="A sports prediction worker: ingest, point-in-time features, models, predictions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

state: dict[str, Any] = {"verbose": False}

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


def load_settings() -> Settings:
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as exc:
        # Name the setting and the problem, never the value: it may be a URL with a password.
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from None


def open_configured_store(settings: Settings, migrate: bool = True, create: bool = True) -> Any:
    """The configured store, created (SQLite) or migrated if need be: for commands that write.

    With ``create`` false (:func:`open_existing_store`) a missing store is an error instead."""
    from formline.store.db import open_store
    from formline.store.timeouts import StoreTimeouts

    timeouts = StoreTimeouts(
        connect=settings.database_connect_timeout,
        statement=settings.database_statement_timeout,
        pool=settings.database_pool_timeout,
    )
    store = open_store(
        settings.resolved_database_url, migrate=migrate, create=create, timeouts=timeouts
    )
    _start_recorded_run(settings, store)
    return store


def recorded(command: str, *, lock: bool = True) -> Callable[[F], F]:
    """Record the decorated command's run in ``job_runs`` (see formline.pipeline.runs).

    The run starts when the command first opens the store (a usage error before that records
    nothing) and ends with the command: succeeded, failed with the error, or aborted when
    interrupted. With ``lock``, the command holds the store's run lock of the ``matches``
    domain meanwhile.
    """

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with ExitStack() as stack:
                state["run_spec"] = (command, lock, kwargs, stack)
                try:
                    return function(*args, **kwargs)
                finally:
                    state["run_spec"] = None
                    state["run"] = None

        return wrapper  # type: ignore[return-value]

    return decorate


def current_run() -> Run | None:
    """The run the current command records, once it has opened the store."""
    run: Run | None = state.get("run")
    return run


def _start_recorded_run(settings: Settings, store: Any) -> None:
    spec = state.get("run_spec")
    if spec is None or state.get("run") is not None:
        return
    from formline.pipeline.runs import RunPolicy, tracked_run

    command, lock, kwargs, stack = spec
    params = {
        k: v if isinstance(v, int | float | str | bool | None) else str(v)
        for k, v in kwargs.items()
    }
    policy = RunPolicy(
        triggered_by=str(kwargs.get("triggered_by") or "manual"),
        heartbeat_seconds=settings.job_heartbeat_seconds,
        stale_after_seconds=settings.job_stale_seconds,
        lock_wait_seconds=settings.run_lock_wait_seconds,
        model_dir=settings.resolved_model_storage_path,
    )
    state["run"] = stack.enter_context(
        tracked_run(
            store, command, params=params, lock_domain="matches" if lock else None, policy=policy
        )
    )


def open_existing_store(settings: Settings, migrate: bool = True) -> Any:
    """The configured store for a command that only reads: never creates one (exit 2 when
    there is none where the settings point)."""
    return open_configured_store(settings, migrate=migrate, create=False)


def calibration_method(value: str) -> CalibrationMethod:
    if value not in ("temperature", "isotonic", "none"):
        raise ConfigError(f"--calibration: '{value}' is not one of temperature, isotonic, none")
    return value  # type: ignore[return-value]


def as_of_or_now(value: str | None) -> datetime:
    return parse_instant(value) if value else utc_now_naive()


@app.callback()
def _main(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show tracebacks and debug logs.")
    ] = False,
) -> None:
    state["verbose"] = verbose
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING)


def model_dir(settings: Settings) -> Path:
    return settings.resolved_model_storage_path


def metrics_table(title: str, rows: list[tuple[str, dict[str, Any] | None]]) -> Table:
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


def _terminate(signum: int, _frame: object) -> None:
    from formline.pipeline.runs import Interrupted

    raise Interrupted(f"terminated ({signal.Signals(signum).name})")


def main() -> None:
    """Run the CLI, mapping formline errors to one-line messages and exit codes.

    Ctrl-C exits 130 and SIGTERM 143, each with a line saying so; the run is recorded
    ``aborted``, never as a success.
    """
    from formline.pipeline.runs import Interrupted

    # Numerical libraries default to a thread per core for every small matrix product; on a
    # machine that also runs DuckDB and LightGBM that oversubscription costs far more than it
    # gains. Users can still raise these.
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")
    signal.signal(signal.SIGTERM, _terminate)
    try:
        code = app(standalone_mode=False)
    except FormlineError as exc:
        if state["verbose"]:
            err_console.print_exception()
        err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Interrupted as exc:
        err_console.print(f"interrupted: {exc}", markup=False, highlight=False)
        sys.exit(EXIT_TERMINATED)
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
    except typer.Abort:
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
        if state["verbose"]:
            err_console.print_exception()
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        err_console.print(
            f"error: {type(exc).__name__}: {first}", markup=False, highlight=False, soft_wrap=True
        )
        sys.exit(1)
    # Without standalone mode Typer returns the exit code of typer.Exit and turns Ctrl-C into
    # 130: neither may become a 0.
    if code == EXIT_INTERRUPTED:
        err_console.print("interrupted (Ctrl-C)")
    sys.exit(code if isinstance(code, int) else 0)
