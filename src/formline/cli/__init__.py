"""The ``formline`` command line (Typer): one module per group of commands, all registered on
:data:`formline.cli.app.app`, then every registered domain's own commands; :func:`main` is the
console script."""

from __future__ import annotations

from formline.cli import daily, data, jobs, models, predictions, serve, simulations, worker
from formline.cli.app import app, main, mount_domain_commands

# After the shared commands, so that a domain's commands join their groups (ingest:, predict:).
mount_domain_commands()

__all__ = [
    "app",
    "daily",
    "data",
    "jobs",
    "main",
    "models",
    "predictions",
    "serve",
    "simulations",
    "worker",
]
