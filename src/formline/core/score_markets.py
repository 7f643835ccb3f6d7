"""Betting markets priced from a grid of exact-score probabilities.

A grid holds ``P(home goals = i, away goals = j)`` at ``[i, j]``: shape ``(n, H, A)`` for ``n``
matches (a single ``(H, A)`` grid is answered with scalars per field), non-negative, each summing
to 1 within ``1e-6`` (a model truncates at some goal count and renormalises, as
:func:`formline.matches.models.dixon_coles.dixon_coles_grid` does). Everything is a sum of grid
cells, vectorised over matches.

Lines follow the bookmakers' convention. A whole line (``0``, ``2``) can push, a half line
(``-0.5``, ``2.5``) cannot, and a quarter line (``-0.25``, ``2.75``) splits the stake in halves
on the two neighbouring lines (``-0.25`` is half on ``0`` and half on ``-0.5``), which is how a
bet ends up half won or half lost. An Asian handicap line is the handicap of the side backed:
home ``-0.5`` wins when the home side wins. Such a bet comes back as a :class:`Settlement`: the
probabilities of a win, a half win, a push, a half loss and a loss, and the fair price, the
decimal price at which the bet's expected profit is 0 (stakes returned on a push).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "DEFAULT_HANDICAP_LINES",
    "DEFAULT_TOTAL_LINES",
    "Settlement",
    "asian_handicap",
    "both_teams_to_score",
    "double_chance",
    "draw_no_bet",
    "grid_markets",
    "match_odds",
    "total_goals",
]

FloatArray = NDArray[np.float64]
Side = Literal["home", "away"]
TotalSide = Literal["over", "under"]

#: The lines :func:`grid_markets` lists unless told otherwise.
DEFAULT_HANDICAP_LINES = (-1.5, -1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 1.0, 1.5)
DEFAULT_TOTAL_LINES = (1.5, 2.0, 2.25, 2.5, 2.75, 3.0, 3.5)

_SUM_TOL = 1e-6


@dataclass(frozen=True)
class Settlement:
    """How a bet on a line settles, as probabilities per match (each field shape ``(n,)``, or a
    0-d array for a single grid); the five sum to 1."""

    win: FloatArray
    half_win: FloatArray
    push: FloatArray
    half_loss: FloatArray
    loss: FloatArray

    @property
    def fair_odds(self) -> FloatArray:
        """Decimal price with zero expected profit: ``1 + (loss + half_loss / 2) / (win +
        half_win / 2)``; a push returns the stake, so it counts on neither side. NaN where the
        bet cannot win, ``1`` where it cannot lose."""
        gain = self.win + 0.5 * self.half_win
        lose = self.loss + 0.5 * self.half_loss
        with np.errstate(divide="ignore", invalid="ignore"):
            result: FloatArray = np.where(gain > 0.0, 1.0 + lose / gain, np.nan)
        return result

    def as_array(self) -> FloatArray:
        """Shape ``(n, 5)``: win, half win, push, half loss, loss."""
        return np.stack([self.win, self.half_win, self.push, self.half_loss, self.loss], axis=-1)


def _grid(grid: ArrayLike) -> tuple[FloatArray, bool]:
    arr = np.asarray(grid, dtype=np.float64)
    single = arr.ndim == 2
    if single:
        arr = arr[None]
    if arr.ndim != 3 or arr.shape[1] < 1 or arr.shape[2] < 1:
        raise ValueError(f"a score grid has shape (n, home goals, away goals), got {arr.shape}")
    if not np.all(np.isfinite(arr)) or (arr.size and arr.min() < 0.0):
        raise ValueError("score grid probabilities must be finite and non-negative")
    worst = float(np.max(np.abs(arr.sum(axis=(1, 2)) - 1.0))) if arr.shape[0] else 0.0
    if worst > _SUM_TOL:
        raise ValueError(f"each score grid must sum to 1; the worst is off by {worst:.3g}")
    return arr, single


def _out(values: FloatArray, single: bool) -> FloatArray:
    return values[0] if single else values


def _difference(shape: tuple[int, ...]) -> FloatArray:
    """Home minus away goals at each cell of a grid of ``shape`` (n, H, A)."""
    home = np.arange(shape[1], dtype=np.float64)[:, None]
    away = np.arange(shape[2], dtype=np.float64)[None, :]
    return home - away


def _total(shape: tuple[int, ...]) -> FloatArray:
    home = np.arange(shape[1], dtype=np.float64)[:, None]
    away = np.arange(shape[2], dtype=np.float64)[None, :]
    return home + away


def _lines(line: ArrayLike, n: int) -> FloatArray:
    arr = np.broadcast_to(np.asarray(line, dtype=np.float64), (n,))
    if not np.all(np.isfinite(arr)) or not np.all(arr * 4.0 == np.round(arr * 4.0)):
        raise ValueError(f"lines must be multiples of 0.25, got {line!r}")
    return arr


def _settle(grid: FloatArray, margin: FloatArray, line: FloatArray) -> Settlement:
    """Settle ``margin + line`` (per cell; the bet wins above 0), quarter lines in halves.

    ``margin`` has shape (H, A), ``line`` shape (n,). A quarter line ``l`` is half on
    ``l - 0.25`` and half on ``l + 0.25``; for a whole or half line both halves are ``l``.
    """
    quarter = (line * 4.0) % 2.0 == 1.0  # 0.25 or 0.75 past a whole number
    low = np.where(quarter, line - 0.25, line)[:, None, None]
    high = np.where(quarter, line + 0.25, line)[:, None, None]
    # Per half: +1 win, 0 push, -1 loss; the two halves' sum gives the five results.
    score = np.sign(margin[None] + low) + np.sign(margin[None] + high)

    def mass(value: float) -> FloatArray:
        out: FloatArray = np.where(score == value, grid, 0.0).sum(axis=(1, 2))
        return out

    return Settlement(
        win=mass(2), half_win=mass(1), push=mass(0), half_loss=mass(-1), loss=mass(-2)
    )


def _squeeze(settlement: Settlement, single: bool) -> Settlement:
    if not single:
        return settlement
    return Settlement(
        *(
            np.asarray(getattr(settlement, f)[0])
            for f in ("win", "half_win", "push", "half_loss", "loss")
        )
    )


def match_odds(grid: ArrayLike) -> FloatArray:
    """1X2: probabilities of a home win, a draw and an away win.

    Parameters
    ----------
    grid : array_like, shape (n, H, A) or (H, A)
        Exact-score probabilities, home goals first.

    Returns
    -------
    numpy.ndarray, shape (n, 3) (or (3,))
        Home, draw, away; rows sum to 1.

    Raises
    ------
    ValueError
        If the grid is not of that shape, has a negative or non-finite cell, or does not sum
        to 1.
    """
    arr, single = _grid(grid)
    diff = _difference(arr.shape)
    result = np.stack(
        [
            (arr * (diff > 0)).sum(axis=(1, 2)),
            (arr * (diff == 0)).sum(axis=(1, 2)),
            (arr * (diff < 0)).sum(axis=(1, 2)),
        ],
        axis=1,
    )
    return _out(result, single)


def double_chance(grid: ArrayLike) -> FloatArray:
    """Double chance: home or draw (1X), home or away (12), draw or away (X2).

    Returns
    -------
    numpy.ndarray, shape (n, 3) (or (3,))
        ``1X``, ``12``, ``X2``; each row sums to 2 (every outcome is in two of them).
    """
    home, draw, away = np.moveaxis(np.atleast_2d(match_odds(grid)), 1, 0)
    result = np.stack([home + draw, home + away, draw + away], axis=1)
    return result[0] if np.asarray(grid).ndim == 2 else result


def both_teams_to_score(grid: ArrayLike) -> FloatArray:
    """Both teams to score: probabilities of yes and no.

    Returns
    -------
    numpy.ndarray, shape (n, 2) (or (2,))
        ``P(home >= 1 and away >= 1)`` and its complement.
    """
    arr, single = _grid(grid)
    yes = arr[:, 1:, 1:].sum(axis=(1, 2))
    return _out(np.stack([yes, 1.0 - yes], axis=1), single)


def asian_handicap(grid: ArrayLike, line: ArrayLike, side: Side = "home") -> Settlement:
    """An Asian handicap bet on ``side`` with that side's handicap ``line``.

    The bet settles on the side's goals plus ``line`` against the other side's goals: above
    wins, level pushes, below loses; a quarter line is half on each neighbouring line.

    Parameters
    ----------
    grid : array_like, shape (n, H, A) or (H, A)
        Exact-score probabilities, home goals first.
    line : float or array_like of shape (n,)
        The backed side's handicap, a multiple of 0.25 (``-0.5``: the side must win).
    side : {"home", "away"}, default "home"

    Returns
    -------
    Settlement
        Win, half-win, push, half-loss and loss probabilities and :attr:`Settlement.fair_odds`.
        ``line = 0`` is draw no bet.

    Raises
    ------
    ValueError
        For a bad grid, a line that is not a multiple of 0.25 or an unknown side.
    """
    arr, single = _grid(grid)
    if side not in ("home", "away"):
        raise ValueError(f"side must be 'home' or 'away', got {side!r}")
    diff = _difference(arr.shape)
    margin = diff if side == "home" else -diff
    return _squeeze(_settle(arr, margin, _lines(line, arr.shape[0])), single)


def draw_no_bet(grid: ArrayLike, side: Side = "home") -> Settlement:
    """Draw no bet on ``side``: the stake comes back on a draw (Asian handicap 0)."""
    return asian_handicap(grid, 0.0, side)


def total_goals(grid: ArrayLike, line: ArrayLike, side: TotalSide = "over") -> Settlement:
    """Over/under ``line`` total goals (whole lines push, quarter lines split in halves).

    Parameters
    ----------
    grid : array_like, shape (n, H, A) or (H, A)
        Exact-score probabilities, home goals first.
    line : float or array_like of shape (n,)
        A multiple of 0.25, e.g. 2.5, 2.25 or 3.
    side : {"over", "under"}, default "over"

    Returns
    -------
    Settlement

    Raises
    ------
    ValueError
        For a bad grid, a line that is not a multiple of 0.25 or an unknown side.
    """
    arr, single = _grid(grid)
    if side not in ("over", "under"):
        raise ValueError(f"side must be 'over' or 'under', got {side!r}")
    total = _total(arr.shape)
    lines = _lines(line, arr.shape[0])
    # Over l wins when total - l > 0; under l when l - total > 0, i.e. margin -total, line +l.
    if side == "over":
        return _squeeze(_settle(arr, total, -lines), single)
    return _squeeze(_settle(arr, -total, lines), single)


def grid_markets(
    grid: ArrayLike,
    handicap_lines: tuple[float, ...] = DEFAULT_HANDICAP_LINES,
    total_lines: tuple[float, ...] = DEFAULT_TOTAL_LINES,
) -> pd.DataFrame:
    """Every market of one match's grid as a table, for display.

    Parameters
    ----------
    grid : array_like, shape (H, A)
        One match's exact-score probabilities.
    handicap_lines, total_lines : tuple of float
        Asian handicap lines (the home side's; the away side is quoted at the opposite line)
        and total-goals lines.

    Returns
    -------
    pandas.DataFrame
        Columns ``market``, ``selection``, ``line`` (NaN for markets without one),
        ``win``, ``half_win``, ``push``, ``half_loss``, ``loss`` and ``fair_odds``; for a
        market that cannot push, ``win`` is the selection's probability.
    """
    arr = np.asarray(grid, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"grid_markets takes one match's grid (H, A), got {arr.shape}")
    rows: list[dict[str, object]] = []

    def simple(market: str, names: tuple[str, ...], probs: FloatArray) -> None:
        for name, prob in zip(names, probs, strict=True):
            value = float(prob)
            rows.append(
                {
                    "market": market,
                    "selection": name,
                    "line": np.nan,
                    "win": value,
                    "half_win": 0.0,
                    "push": 0.0,
                    "half_loss": 0.0,
                    "loss": 1.0 - value,
                    "fair_odds": 1.0 / value if value > 0 else np.nan,
                }
            )

    def settled(market: str, name: str, line: float, s: Settlement) -> None:
        values = s.as_array()
        rows.append(
            {
                "market": market,
                "selection": name,
                "line": line,
                **dict(
                    zip(
                        ("win", "half_win", "push", "half_loss", "loss"),
                        map(float, values),
                        strict=True,
                    )
                ),
                "fair_odds": float(s.fair_odds),
            }
        )

    simple("1x2", ("home", "draw", "away"), match_odds(arr))
    simple("double chance", ("home or draw", "home or away", "draw or away"), double_chance(arr))
    simple("both teams to score", ("yes", "no"), both_teams_to_score(arr))
    for side in ("home", "away"):
        settled("draw no bet", side, 0.0, draw_no_bet(arr, side))
    for line in handicap_lines:
        settled("asian handicap", "home", line, asian_handicap(arr, line, "home"))
        away_line = -line + 0.0  # not -0.0
        settled("asian handicap", "away", away_line, asian_handicap(arr, away_line, "away"))
    for line in total_lines:
        for side in ("over", "under"):
            settled("total goals", side, line, total_goals(arr, line, side))  # type: ignore[arg-type]
    return pd.DataFrame(rows)
