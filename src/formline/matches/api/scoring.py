"""Scores of 1X2 forecasts in plain Python, for the API (which has no NumPy).

The same definitions as :mod:`formline.core.metrics` (a test checks they agree): rows are
renormalised to sum to 1; log loss clips the probability of the outcome at the float64 machine
epsilon; Brier is the multiclass sum over home, draw and away (in [0, 2]); RPS is over the
ordered outcomes home < draw < away; accuracy counts the most probable outcome (the first on a
tie) being the result.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable
from dataclasses import dataclass

_EPS = sys.float_info.epsilon
HOME, DRAW, AWAY = 0, 1, 2


def outcome(home_goals: int, away_goals: int) -> int:
    """0 for a home win, 1 for a draw, 2 for an away win."""
    if home_goals > away_goals:
        return HOME
    return DRAW if home_goals == away_goals else AWAY


@dataclass(frozen=True)
class Scores:
    """Mean scores over ``n`` forecasts (None when ``n`` is 0)."""

    n: int
    log_loss: float | None
    brier: float | None
    rps: float | None
    accuracy: float | None


def score(forecasts: Iterable[tuple[int, float, float, float]]) -> Scores:
    """Mean log loss, Brier, RPS and accuracy of ``(outcome, p_home, p_draw, p_away)`` rows.

    Parameters
    ----------
    forecasts
        One row per settled match: the observed outcome (0, 1, 2) and the three probabilities.

    Returns
    -------
    Scores
        Means over the rows; every score None for no rows.

    Raises
    ------
    ValueError
        If an outcome is not 0, 1 or 2, or a row's probabilities are negative or sum to 0.
    """
    n = 0
    log_loss = brier = rps = hits = 0.0
    for y, *raw in forecasts:
        if y not in (HOME, DRAW, AWAY):
            raise ValueError(f"outcome must be 0, 1 or 2, got {y}")
        total = sum(raw)
        if total <= 0 or min(raw) < 0:
            raise ValueError(f"probabilities must be non-negative with a positive sum, got {raw}")
        p = [v / total for v in raw]
        observed = [1.0 if k == y else 0.0 for k in range(3)]
        log_loss -= math.log(min(max(p[y], _EPS), 1.0 - _EPS))
        brier += sum((p[k] - observed[k]) ** 2 for k in range(3))
        cumulative_home = p[HOME] - observed[HOME]
        cumulative_draw = p[HOME] + p[DRAW] - observed[HOME] - observed[DRAW]
        rps += (cumulative_home**2 + cumulative_draw**2) / 2.0
        hits += 1.0 if max(range(3), key=lambda k: (p[k], -k)) == y else 0.0
        n += 1
    if n == 0:
        return Scores(0, None, None, None, None)
    return Scores(n, log_loss / n, brier / n, rps / n, hits / n)
