"""The read-only prediction API (FastAPI): ``create_app(settings)``.

Installed with ``pip install formline[api]``; it imports no numerical library.

``create_app`` is loaded on first use: ``python -m formline.api`` imports this package first,
and with ``--workers N`` that process only supervises the workers; it has no use for FastAPI,
SQLAlchemy and the routes, which each worker loads for itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from formline.api.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from formline.api.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
