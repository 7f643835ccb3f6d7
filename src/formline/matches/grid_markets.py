"""The markets a model's score grid implies: published with the predictions, and recomputed for
one match (``predict:match --markets``).

Only model types that declare an exact-score grid have them (Dixon-Coles and the goals model,
through ``predict_score_grid``). They are the model's raw grid, before the 1X2 calibration the
published 1X2 probabilities went through.

A published grid market is a long prediction row: market, selection, line, probability and fair
odds. A line that can push or split (Asian handicap, whole and quarter totals, draw no bet)
settles as win, half win, push, half loss or loss; its row's ``probability`` is the chance the
stake is won given it is not returned, ``(win + half_win / 2) / (1 - push)`` with halves
weighted by the half stake they settle, and ``fair_odds`` is ``1 / probability``
(:attr:`formline.core.score_markets.Settlement.fair_odds`). So the selections of one market and
line sum to 1 (double chance's three to 2), as prices do once their margin is removed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

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
    """
    table = grid_markets(grid, HANDICAP_LINES, TOTAL_LINES)
    table = table[table["market"].isin(list(GRID_MARKETS))]
    gain = table["win"] + 0.5 * table["half_win"]
    lose = table["loss"] + 0.5 * table["half_loss"]
    settled = (gain + lose) > 0.0
    out = pd.DataFrame(
        {
            "market": table["market"].map(GRID_MARKETS),
            "selection": table["selection"].str.replace(" ", "_"),
            "line": table["line"].fillna(0.0),
            "probability": (gain / (gain + lose).where(settled)).clip(0.0, 1.0),
            "fair_odds": table["fair_odds"],
        }
    )
    return out[settled].reset_index(drop=True)


def grid_prediction_rows(grids: np.ndarray) -> list[list[dict[str, Any]]]:
    """:func:`published_grid_markets` of each grid of ``grids`` ``(n, H, A)``, each as a list of
    row dicts (the ``markets`` column of a wide match prediction)."""
    return [
        published_grid_markets(grid).to_dict("records")  # type: ignore[misc]
        for grid in np.asarray(grids, dtype=np.float64)
    ]


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
