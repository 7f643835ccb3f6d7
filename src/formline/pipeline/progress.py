"""A progress callback the pipeline reports through; the CLI draws it with Rich."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Told about a step: ``total`` once at start (None if unknown), then ``advance`` calls."""

    def start(self, step: str, total: int | None = None) -> None: ...

    def advance(self, step: str, amount: int = 1) -> None: ...

    def finish(self, step: str) -> None: ...


class NoProgress:
    """A progress reporter that reports nothing."""

    def start(self, step: str, total: int | None = None) -> None:
        return None

    def advance(self, step: str, amount: int = 1) -> None:
        return None

    def finish(self, step: str) -> None:
        return None
