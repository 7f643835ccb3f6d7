"""What counts as an interruption of a run: the signal itself, or an error it surfaced as."""

from __future__ import annotations

import pytest

from formline.pipeline.runs import Interrupted, interruption


def _raise_from_signal(signal: BaseException) -> BaseException:
    try:
        try:
            raise signal
        except BaseException:
            # What an extension module initialising when the signal landed does with it.
            raise ImportError("Encountered an error while initializing the extension") from None
    except ImportError as exc:
        return exc


@pytest.mark.parametrize("signal", [KeyboardInterrupt(), Interrupted("terminated (SIGTERM)")])
def test_a_signal_is_found_behind_the_error_it_surfaced_as(signal: BaseException) -> None:
    assert interruption(signal) is signal
    assert interruption(_raise_from_signal(signal)) is signal


def test_an_ordinary_error_is_no_interruption() -> None:
    try:
        try:
            raise ValueError("bad value")
        except ValueError as first:
            raise RuntimeError("while handling") from first
    except RuntimeError as exc:
        assert interruption(exc) is None
