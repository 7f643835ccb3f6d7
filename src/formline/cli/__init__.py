"""The ``formline`` command line (Typer): one module per group of commands, all registered on
:data:`formline.cli.app.app`; :func:`main` is the console script."""

from __future__ import annotations

from formline.cli import daily, data, jobs, models, predictions, serve
from formline.cli.app import app, main

__all__ = ["app", "daily", "data", "jobs", "main", "models", "predictions", "serve"]
