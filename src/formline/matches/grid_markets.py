"""The markets a model's score grid implies: published with the predictions, and recomputed for
one match (``predict:match --markets``).

Only model types that declare an exact-score grid have them (Dixon-Coles and the goals model,
through ``predict_score_grid``). They are the model's raw grid, before the 1X2 calibration the
published 1X2 probabilities went through.

A published grid market is a long prediction row: market, selection, line, probability and fair
odds. A line that can push or split (Asian handicap, whole and quarter totals, draw no bet)
settles as win, half win, push, half loss or loss; its row's ``probability`` is the chance the
stake is won given it is not returned, each half settlement counting for its half stake:
``g / (g + l)`` with ``g = win + half_win / 2`` and ``l = loss + half_loss / 2``; ``fair_odds``
is ``1 / probability``, the price at which the bet breaks even
(:attr:`formline.core.score_markets.Settlement.fair_odds`). So the selections of one market and
line sum to 1 (double chance's three to 2), as prices do once their margin is removed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from formline.core import score_markets as sm
from formline.core.score_markets import grid_markets
from formline.domain import ModelType, get_domain, model_type
from formline.matches.dataset import load_match_frame
from formline.matches.domain import HANDICAP_LINES, TOTAL_LINES
from formline.store import registry
from formline.store.db import Store

__all__ = [
    "GRID_MARKETS",
    "grid_prediction_rows",
    "match_grid_markets",
    "published_grid_markets",
    "score_grid_method",
]

#: The grid markets published with a prediction, as the store names them (``asian_handicap``)
#: against :func:`~formline.core.score_markets.grid_markets`' display names.
GRID_MARKETS = {
    "asian handicap": "asian_handicap",
    "total goals": "total_goals",
    "both teams to score": "both_teams_to_score",
    "double chance": "double_chance",
    "draw no bet": "draw_no_bet",
}
#: The long columns of a published grid market.
GRID_ROW_COLUMNS = ["market", "selection", "line", "probability", "fair_odds"]


def _bets(grids: np.ndarray) -> list[tuple[str, str, float, np.ndarray, np.ndarray]]:
    """Every published bet of ``grids`` ``(n, H, A)``: market, selection, line, and per match
    the probability (given the stake is not returned; NaN for a bet that can only push) and
    the fair odds, vectorised over the matches."""
    bets: list[tuple[str, str, float, np.ndarray, np.ndarray]] = []

    def simple(market: str, names: tuple[str, ...], probs: np.ndarray) -> None:
        for k, name in enumerate(names):
            p = probs[:, k]
            with np.errstate(divide="ignore"):
                fair = np.where(p > 0.0, 1.0 / p, np.nan)
            bets.append((market, name, 0.0, p, fair))

    def settled(market: str, name: str, line: float, s: sm.Settlement) -> None:
        gain = s.win + 0.5 * s.half_win
        lose = s.loss + 0.5 * s.half_loss
        with np.errstate(divide="ignore", invalid="ignore"):
            p = np.where(gain + lose > 0.0, gain / (gain + lose), np.nan)
        bets.append((market, name, line, p, s.fair_odds))

    simple(
        "double_chance", ("home_or_draw", "home_or_away", "draw_or_away"), sm.double_chance(grids)
    )
    simple("both_teams_to_score", ("yes", "no"), sm.both_teams_to_score(grids))
    for side in ("home", "away"):
        settled("draw_no_bet", side, 0.0, sm.draw_no_bet(grids, side))
    for line in HANDICAP_LINES:
        settled("asian_handicap", "home", line, sm.asian_handicap(grids, line, "home"))
        away = -line + 0.0  # not -0.0
        settled("asian_handicap", "away", away, sm.asian_handicap(grids, away, "away"))
    for line in TOTAL_LINES:
        for total in ("over", "under"):
            settled("total_goals", total, line, sm.total_goals(grids, line, total))
    return bets


def _long(grids: np.ndarray) -> pd.DataFrame:
    """The published rows of every grid of ``grids``, with each row's match position."""
    arr = np.asarray(grids, dtype=np.float64)
    n = arr.shape[0]
    bets = _bets(arr) if n else []
    k = len(bets)
    frame = pd.DataFrame(
        {
            "position": np.repeat(np.arange(n), k),
            "market": np.tile(np.array([b[0] for b in bets], dtype=object), n),
            "selection": np.tile(np.array([b[1] for b in bets], dtype=object), n),
            "line": np.tile(np.array([b[2] for b in bets], dtype=np.float64), n),
            # (k, n) -> match-major, as the positions
            "probability": np.stack([b[3] for b in bets]).T.ravel() if k else [],
            "fair_odds": np.stack([b[4] for b in bets]).T.ravel() if k else [],
        }
    )
    frame = frame[frame["probability"].notna()]
    frame["probability"] = frame["probability"].clip(0.0, 1.0)
    return frame.reset_index(drop=True)


def published_grid_markets(grid: np.ndarray) -> pd.DataFrame:
    """The grid markets one match's grid ``(H, A)`` publishes, as long rows.

    Returns
    -------
    pandas.DataFrame
        :data:`GRID_ROW_COLUMNS`, in the order of
        :func:`~formline.core.score_markets.grid_markets` at :data:`HANDICAP_LINES` and
        :data:`TOTAL_LINES` without its 1X2 (the published 1X2 is the calibrated one): the
        store's market and selection names (``double_chance``, ``home_or_draw``), line 0 for a
        market without a line, the probability the stake is won given it is not returned and
        the fair odds. A line that can only push is left out (it has no price).

    Raises
    ------
    ValueError
        For a grid that is not one, as :mod:`formline.core.score_markets` raises.
    """
    arr = np.asarray(grid, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"published_grid_markets takes one match's grid (H, A), got {arr.shape}")
    return _long(arr[None])[GRID_ROW_COLUMNS]


def grid_prediction_rows(grids: np.ndarray) -> list[list[dict[str, Any]]]:
    """:func:`published_grid_markets` of each grid of ``grids`` ``(n, H, A)``, computed for all
    at once, each as a list of row dicts (the ``markets`` column of a wide match prediction)."""
    arr = np.asarray(grids, dtype=np.float64)
    rows = _long(arr)
    out: list[list[dict[str, Any]]] = [[] for _ in range(arr.shape[0])]
    for record in rows.to_dict("records"):
        out[int(record.pop("position"))].append({str(k): v for k, v in record.items()})
    return out


def score_grid_method(
    model: Any, declared: ModelType
) -> Callable[[pd.DataFrame], np.ndarray] | None:
    """The score-grid method of ``model``, a fitted model of type ``declared``: None for a
    type that does not declare score grids."""
    if not declared.score_grid:
        return None
    method: Callable[[pd.DataFrame], np.ndarray] = model.predict_score_grid
    return method


def _naive_utc(instant: datetime) -> datetime:
    """The store's instants are UTC; the match frame compares them without a zone."""
    if instant.tzinfo is None:
        return instant
    return instant.astimezone(UTC).replace(tzinfo=None)


def match_grid_markets(
    store: Store,
    version: registry.ModelVersion,
    match_id: int,
    kickoff_at: datetime,
    as_of: datetime,
) -> pd.DataFrame | None:
    """Every grid market of ``match_id`` as the model ``version`` priced it at ``as_of``.

    Returns
    -------
    pandas.DataFrame or None
        :func:`formline.core.score_markets.grid_markets` of the match's grid; None when the
        model has no score grid.

    Raises
    ------
    ModelNotFoundError, SchemaMismatchError
        When the model's bundle is missing or does not match the registry.
    """
    from formline.pipeline.train import load_model_bundle

    bundle = load_model_bundle(version)
    declared = model_type(get_domain(version.domain), version.model_type)
    method = score_grid_method(bundle["model"], declared)
    if method is None:
        return None
    kickoff_at, as_of = _naive_utc(kickoff_at), _naive_utc(as_of)
    cutoff = min(kickoff_at, as_of)
    queries = pd.DataFrame({"match_id": [match_id], "cutoff_at": [cutoff]})
    frame = load_match_frame(store, as_of, queries=queries).frame
    row = frame[frame["match_id"] == match_id].head(1).reset_index(drop=True)
    if row.empty:
        return None
    return grid_markets(np.asarray(method(row), dtype=np.float64)[0])
