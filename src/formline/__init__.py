"""formline: a sports prediction worker with point-in-time features.

The library API (:mod:`formline.library`) is importable from here, loaded on first use so that
``import formline`` stays cheap::

    import formline as fl
    store = fl.open_store()
    frame = fl.load_features(store, as_of="2024-01-01")
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_LIBRARY = (
    "WalkForwardReport",
    "get_historical_features",
    "list_features",
    "load_features",
    "open_store",
    "read_predictions",
    "walk_forward",
)
_DOMAINS = ("domain_names", "get_domain")

__all__ = ["__version__", *_LIBRARY, *_DOMAINS]


def __getattr__(name: str) -> Any:
    if name in _LIBRARY:
        from formline import library

        return getattr(library, name)
    if name in _DOMAINS:
        from formline import domain

        return getattr(domain, name)
    raise AttributeError(f"module 'formline' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
