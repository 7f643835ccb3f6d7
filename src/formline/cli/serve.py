"""``serve``: the read-only prediction API under uvicorn, in a process of its own."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from formline.cli.app import (
    app,
    load_settings,
    state,
)
from formline.errors import ConfigError
from formline.settings import normalise_database_url


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
    settings = load_settings()  # bad settings fail here, once, not in every worker
    normalise_database_url(settings.resolved_database_url)
    argv = ["--host", host, "--port", str(port), "--workers", str(workers)]
    argv += ["--log-level", "debug" if state["verbose"] else "info"]
    if access_log:
        argv.append("--access-log")
    sys.stdout.flush()
    sys.stderr.flush()
    # Replace this process with the API's own entry point: its workers then load the API only,
    # not this command line (Typer, Rich), which is several MB per worker.
    os.execv(sys.executable, [sys.executable, "-m", "formline.api", *argv])
