"""What every ``formline`` command shares: the Typer app, the consoles, loading settings and
opening the store, progress display, the metrics table, and :func:`main`, which runs the app and
maps errors to exit codes. The commands themselves live in the sibling modules.

Exit codes (:mod:`formline.errors`): 0 ok, 1 runtime failure, 2 bad usage or bad input, 3 a
match, model version or snapshot named by id that does not exist. Errors print one line, usage
errors included; the traceback only with ``--verbose``. The mapping lives in the command group
(:class:`FormlineGroup`), so the console script and an in-process ``CliRunner`` behave alike.
"""

from __future__ import annotations

import functools
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console, ConsoleDimensions
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from typer.core import TyperGroup

from formline import __version__
from formline.domain import Domain, all_domains, get_domain
from formline.errors import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, ConfigError, FormlineError
from formline.settings import Settings
from formline.timeutil import parse_instant, utc_now_naive

if TYPE_CHECKING:
    from formline.core.calibration import CalibrationMethod
    from formline.pipeline.runs import Run

F = TypeVar("F", bound=Callable[..., Any])
#: The exit code of a command interrupted by Ctrl-C (128 + SIGINT), and by SIGTERM.
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143

#: How wide output that goes to a pipe or a file may be: in practice, never wrapped.
UNWRAPPED_WIDTH = 100_000


class OutputConsole(Console):
    """A Rich console that wraps and truncates to the terminal only when it writes to one.

    Written to a pipe or a file, tables and lines keep their full values (a plain ``Console``
    would cut them to the width of the terminal the command was started from).
    """

    @property
    def size(self) -> ConsoleDimensions:
        dimensions = Console.size.fget(self)  # type: ignore[attr-defined]
        if self.is_terminal:
            return dimensions  # type: ignore[no-any-return]
        return ConsoleDimensions(UNWRAPPED_WIDTH, dimensions.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)  # type: ignore[attr-defined]


console = OutputConsole()
err_console = OutputConsole(stderr=True)


def _print_error(message: str) -> None:
    err_console.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)


def _usage_message(exc: typer.TyperException) -> str:
    """A usage error in one line: what is wrong, and where to read about it."""
    message = " ".join(exc.format_message().split())
    ctx = getattr(exc, "ctx", None)
    if ctx is None:
        return message
    return f"{message} (see '{ctx.command_path} --help')"


def exit_code_of(exc: BaseException) -> int:
    """Report ``exc`` on stderr in one line (with the traceback under ``--verbose``) and return
    the exit code it maps to (see :mod:`formline.errors`)."""
    if isinstance(exc, FormlineError):
        if state["verbose"]:
            err_console.print_exception()
        _print_error(str(exc))
        return exc.exit_code
    if isinstance(exc, typer.Exit):
        return exc.exit_code
    if isinstance(exc, typer.Abort | KeyboardInterrupt):
        err_console.print("aborted")
        return EXIT_FAILURE
    if isinstance(exc, typer.TyperException):  # the command line's own usage errors
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `formline`: its help
            console.print(exc.format_message(), markup=False, highlight=False)
            return EXIT_USAGE
        _print_error(_usage_message(exc))
        return exc.exit_code
    if state["verbose"]:
        err_console.print_exception()
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    _print_error(f"{type(exc).__name__}: {first}")
    return EXIT_FAILURE


class FormlineGroup(TyperGroup):
    """formline's command group: runs a command and turns whatever it raises into one line on
    stderr and an exit code (:func:`exit_code_of`)."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> int:
        from formline.pipeline.runs import interruption

        state["verbose"] = False
        try:
            returned = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            # Typer gives the code of a `typer.Exit` (--help, --version) back as the result, and
            # turns Ctrl-C into 130: neither may become a 0.
            code = returned if isinstance(returned, int) else EXIT_OK
            if code == EXIT_INTERRUPTED:
                err_console.print("interrupted (Ctrl-C)", markup=False, highlight=False)
        except BaseException as exc:
            # A signal can surface as another library's error (DuckDB's, an ImportError of an
            # extension it landed in): what it interrupted decides, not what came out.
            signalled = interruption(exc)
            if isinstance(signalled, KeyboardInterrupt):
                err_console.print("interrupted (Ctrl-C)", markup=False, highlight=False)
                code = EXIT_INTERRUPTED
            elif signalled is not None:  # SIGTERM (see main)
                err_console.print(f"interrupted: {signalled}", markup=False, highlight=False)
                code = EXIT_TERMINATED
            elif isinstance(exc, Exception):
                code = exit_code_of(exc)
            else:
                raise
        if standalone_mode:
            sys.exit(code)
        return code


app = typer.Typer(
    name="formline",
    cls=FormlineGroup,
    help="A sports prediction worker: ingest, point-in-time features, models, predictions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

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

    store = open_store(
        settings.resolved_database_url,
        migrate=migrate,
        create=create,
        timeouts=settings.worker_store_timeouts(),
    )
    _start_recorded_run(settings, store)
    return store


def recorded(command: str, *, lock: bool = True) -> Callable[[F], F]:
    """Record the decorated command's run in ``job_runs`` (see formline.pipeline.runs).

    The run starts when the command first opens the store (a usage error before that records
    nothing) and ends with the command: succeeded, failed with the error, or aborted when
    interrupted. With ``lock``, the command holds the store's run lock of its domain (its
    ``--domain``, else the ``FORMLINE_DOMAIN`` setting) meanwhile.
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
    lock_domain = command_domain(settings, kwargs.get("domain")).name if lock else None
    state["run"] = stack.enter_context(
        tracked_run(store, command, params=params, lock_domain=lock_domain, policy=policy)
    )


def open_existing_store(settings: Settings, migrate: bool = True) -> Any:
    """The configured store for a command that only reads: never creates one (exit 2 when
    there is none where the settings point)."""
    return open_configured_store(settings, migrate=migrate, create=False)


#: The calibration methods of :mod:`formline.core.calibration` (not imported: it loads SciPy).
CALIBRATIONS = ("temperature", "isotonic", "none")


def calibration_method(value: str) -> CalibrationMethod:
    if value not in CALIBRATIONS:
        raise ConfigError(f"--calibration: '{value}' is not one of {', '.join(CALIBRATIONS)}")
    return value  # type: ignore[return-value]


def as_of_or_now(value: str | None) -> datetime:
    return parse_instant(value) if value else utc_now_naive()


def _show_version(value: bool) -> None:
    if value:
        console.print(f"formline {__version__}", markup=False, highlight=False)
        raise typer.Exit()


@app.callback()
def _main(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show tracebacks and debug logs.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    state["verbose"] = verbose
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING)


def model_dir(settings: Settings) -> Path:
    return settings.resolved_model_storage_path


#: The headline metrics a table shows, in order, when the rows have them: (key, heading,
#: decimals).
_METRIC_COLUMNS = (
    ("rps", "RPS", 4),
    ("log_loss", "log loss", 4),
    ("pseudo_r2", "pseudo-R²", 4),
    ("brier", "Brier", 4),
    ("accuracy", "accuracy", 3),
    ("ece", "ECE", 3),
)


def metrics_table(
    title: str, rows: list[tuple[str, dict[str, Any] | None]], counted: str = "events"
) -> Table:
    """A table of the rows' headline metrics, one column per metric any row has; ``counted``
    heads the count column (``n``: matches, races)."""
    shown = [(name, m) for name, m in rows if m]
    columns = [c for c in _METRIC_COLUMNS if any(c[0] in m for _, m in shown)]
    table = Table(title=title, header_style="bold")
    table.add_column("model")
    table.add_column(counted, justify="right")
    for _, heading, _ in columns:
        table.add_column(heading, justify="right")
    for name, metrics in shown:
        cells = [
            f"{float(metrics[key]):.{decimals}f}" if key in metrics else ""
            for key, _, decimals in columns
        ]
        table.add_row(name, str(int(metrics.get("n", 0))), *cells)
    return table


def one_of(choices: Sequence[str], *, optional: bool = False) -> Callable[[Any], Any]:
    """An option callback accepting one of ``choices`` (and None when ``optional``; a usage
    error, exit 2, otherwise)."""

    def check(value: Any) -> Any:
        if value is None and optional:
            return value
        if value not in choices:
            raise typer.BadParameter(f"'{value}' is not one of {', '.join(choices)}")
        return value

    return check


def all_model_types() -> tuple[str, ...]:
    """Every registered domain's model type names, each once, in declaration order (the chosen
    domain checks its own when the command runs)."""
    names: dict[str, None] = {}
    for domain in all_domains():
        names.update(dict.fromkeys(t.name for t in domain.model_types))
    return tuple(names)


MODEL_TYPES = all_model_types()

ModelType = Annotated[
    str | None,
    typer.Option(
        "--model-type",
        metavar="TYPE",
        callback=one_of(MODEL_TYPES, optional=True),
        help=f"The model type: {', '.join(MODEL_TYPES)} (default: the domain's first, "
        "logistic for matches, conditional-logit for races).",
    ),
]


def default_model_type(domain: Domain, name: str | None) -> str:
    """``--model-type``, else the domain's default model type (its first declared)."""
    return name or domain.model_types[0].name


DomainName = Annotated[
    str | None,
    typer.Option(
        "--domain",
        metavar="DOMAIN",
        help="The kind of event, of the registered domains (default FORMLINE_DOMAIN: matches).",
    ),
]


def command_domain(settings: Settings, name: str | None) -> Domain:
    """The domain a command acts on: ``--domain``, else the ``FORMLINE_DOMAIN`` setting.

    Raises
    ------
    ConfigError
        For a domain that is not registered (exit 2, naming those that are).
    """
    return get_domain(name or settings.formline_domain)


Seed = Annotated[
    int, typer.Option("--seed", min=0, max=2**31 - 1, help="Random state (0 to 2147483647).")
]
#: Days ahead to predict: at least 1; ten years is far beyond any fixture list.
Horizon = Annotated[
    int | None,
    typer.Option(
        "--horizon", min=1, max=3650, help="Days ahead, 1 to 3650 (default DEFAULT_HORIZON_DAYS)."
    ),
]


def mount_domain_commands(target: typer.Typer | None = None) -> None:
    """Register every registered domain's own commands on ``target`` (default :data:`app`).

    Each domain declares ``cli_commands``: ``"module:function"`` entries whose function registers
    Typer commands on the app it is given. A domain's command is listed after the shared
    commands of its group (the part of its name before ``:``), so ``formline --help`` keeps the
    groups together.

    Raises
    ------
    ConfigError
        If an entry does not name a function, or a domain's command has a shared command's name.
    """
    from importlib import import_module

    target = target or app
    for domain in all_domains():
        for entry in domain.cli_commands:
            module, _, function = entry.partition(":")
            try:
                register = getattr(import_module(module), function)
            except (ImportError, AttributeError) as exc:
                raise ConfigError(
                    f"domain {domain.name}: cli_commands entry '{entry}' names no function"
                ) from exc
            before = len(target.registered_commands)
            register(target)
            added = target.registered_commands[before:]
            del target.registered_commands[before:]
            for info in added:
                _insert_in_group(target.registered_commands, info, domain.name)


def _insert_in_group(commands: list[Any], info: Any, domain: str) -> None:
    """Insert ``info`` after the last command of its group (or at the end)."""
    names = [c.name for c in commands]
    if info.name in names:
        raise ConfigError(f"domain {domain} registers command {info.name}, which already exists")
    group = f"{str(info.name).split(':')[0]}:"
    last = max((i for i, n in enumerate(names) if str(n).startswith(group)), default=None)
    commands.insert(len(commands) if last is None else last + 1, info)


def _terminate(signum: int, _frame: object) -> None:
    from formline.pipeline.runs import Interrupted

    raise Interrupted(f"terminated ({signal.Signals(signum).name})")


def main() -> None:
    """Run the CLI: the console script ``formline`` and ``python -m formline``.

    SIGTERM is turned into :class:`~formline.pipeline.runs.Interrupted`, so the command's run is
    recorded aborted and the exit code is 143 (see :class:`FormlineGroup`).
    """
    # Numerical libraries default to a thread per core for every small matrix product; on a
    # machine that also runs DuckDB and LightGBM that oversubscription costs far more than it
    # gains. Users can still raise these.
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")
    signal.signal(signal.SIGTERM, _terminate)
    app()
