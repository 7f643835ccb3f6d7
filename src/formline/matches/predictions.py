"""The matches domain's predictions: a match's wide prediction row (``p_home`` ...
``fair_under_2_5``, and the grid markets of a model with a score grid) as the store's long rows
for publishing, and the published rows read back wide.

See :mod:`formline.matches.prediction_view` for the five long rows of a match prediction, and
:mod:`formline.matches.grid_markets` for the grid markets' rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Select, select

from formline.errors import DataError
from formline.matches.prediction_view import (
    CELLS,
    DOMAIN,
    FAIR_COLUMNS,
    PROBABILITY_COLUMNS,
    wide_predictions,
)
from formline.store.db import Store
from formline.store.predictions import PredictionRows, Published, publish_snapshot
from formline.store.reads import publication_is
from formline.store.tables import prediction_snapshots, predictions, publications

#: The wide prediction of one match, as the pipeline computes it and the readers return it.
PREDICTION_COLUMNS = [
    "match_id",
    "model_version_id",
    "information",
    *PROBABILITY_COLUMNS,
    *FAIR_COLUMNS,
    "drivers",
]
#: What a wide frame must hold to be published (the model may be given for every row).
_REQUIRED = [c for c in PREDICTION_COLUMNS if c not in ("model_version_id", "information")]
#: The optional column of a wide prediction with its grid markets: per match a list of rows
#: (``market``, ``selection``, ``line``, ``probability``, ``fair_odds``), empty for a model
#: without a score grid.
MARKETS_COLUMN = "markets"
_ROW_KEYS = ["market", "selection", "line", "probability", "fair_odds"]


def prediction_rows(frame: pd.DataFrame) -> PredictionRows:
    """The long rows of wide match predictions (one row per match), for :func:`publish_snapshot`.

    Parameters
    ----------
    frame
        ``match_id``, the probabilities (``p_home``, ``p_draw``, ``p_away``, ``p_over_2_5``),
        the fair odds (``fair_home`` ... ``fair_under_2_5``) and ``drivers``, with
        ``model_version_id`` and ``information`` when it has them, and ``markets``
        (:data:`MARKETS_COLUMN`) when a model with a score grid predicted them.

    Returns
    -------
    PredictionRows
        One event per match (unit ""), five rows per match: 1x2 home, draw and away, over/under
        2.5 over and under (its probability ``1 - p_over_2_5``); then each match's grid markets.

    Raises
    ------
    DataError
        If ``frame`` lacks columns, has a row without a match id or repeats a match.
    """
    if frame.empty:
        return PredictionRows(pd.DataFrame(), pd.DataFrame())
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise DataError(f"predictions are missing columns: {', '.join(missing)}")
    if frame["match_id"].isna().any():
        raise DataError("predictions have rows without a match_id or model_version_id")
    duplicated = frame["match_id"][frame["match_id"].duplicated()]
    if len(duplicated):
        raise DataError(f"predictions repeat match ids: {sorted(set(duplicated.tolist()))[:10]}")
    event_id = frame["match_id"].astype("int64").to_numpy()
    carried = [c for c in ("model_version_id", "information") if c in frame.columns]
    events = pd.DataFrame(
        {
            "event_id": event_id,
            "unit": "",
            **{c: frame[c].to_numpy() for c in carried},
            "drivers": frame["drivers"].to_numpy(dtype=object),
        }
    )
    pieces = []
    for cell in CELLS:
        if cell.probability is not None:
            probability = frame[cell.probability].to_numpy(dtype=np.float64)
        else:
            probability = 1.0 - frame[str(cell.complement_of)].to_numpy(dtype=np.float64)
        pieces.append(
            pd.DataFrame(
                {
                    "event_id": event_id,
                    "unit": "",
                    "market": cell.market,
                    "selection": cell.selection,
                    "line": cell.line,
                    "probability": probability,
                    "fair_odds": frame[cell.fair].to_numpy(dtype=np.float64),
                }
            )
        )
    if MARKETS_COLUMN in frame.columns:
        grid = [
            {"event_id": int(event), "unit": "", **{k: row[k] for k in _ROW_KEYS}}
            for event, rows in zip(event_id, frame[MARKETS_COLUMN], strict=True)
            for row in (rows if isinstance(rows, list) else [])
        ]
        if grid:
            pieces.append(pd.DataFrame(grid, columns=["event_id", "unit", *_ROW_KEYS]))
    return PredictionRows(events, pd.concat(pieces, ignore_index=True))


def publish_predictions(
    store: Store,
    *,
    as_of: datetime,
    horizon_days: int,
    feature_version: str,
    predictions: pd.DataFrame,
    publication: str = "default",
    model_version_id: int | None = None,
) -> Published:
    """Publish wide match predictions (one row per match) as a matches snapshot.

    :func:`prediction_rows` of ``predictions`` through
    :func:`formline.store.predictions.publish_snapshot`, whose parameters, results and errors
    these are; ``predictions`` needs ``model_version_id`` and ``information`` columns unless
    ``model_version_id`` is given.
    """
    return publish_snapshot(
        store,
        as_of=as_of,
        horizon_days=horizon_days,
        feature_version=feature_version,
        predictions=prediction_rows(predictions),
        publication=publication,
        domain=DOMAIN,
        model_version_id=model_version_id,
    )


_SNAPSHOT_COLUMNS = [
    prediction_snapshots.c.id.label("snapshot_id"),
    prediction_snapshots.c.models_key,
    prediction_snapshots.c.as_of,
    prediction_snapshots.c.horizon_days,
    prediction_snapshots.c.feature_version,
    prediction_snapshots.c.created_at,
]
_HISTORY_COLUMNS = [c.name for c in _SNAPSHOT_COLUMNS] + PREDICTION_COLUMNS


def _frame(conn: Connection, query: Select[Any], columns: list[str]) -> pd.DataFrame:
    rows = [dict(r) for r in conn.execute(query).mappings()]
    frame = pd.DataFrame(rows, columns=columns)
    if "as_of" in frame and len(frame):
        for col in ("as_of", "created_at"):
            frame[col] = pd.to_datetime(frame[col], utc=True)
    return frame


def read_snapshot_predictions(
    store: Store, snapshot_id: int, *, markets: bool = False
) -> pd.DataFrame:
    """Every prediction of one snapshot, by ``match_id``, with ``drivers`` parsed.

    Columns: ``match_id``, ``model_version_id``, ``information``, the probabilities, the fair
    odds, ``drivers``; with ``markets``, also ``markets``: each match's grid markets (see
    :func:`read_grid_markets`). An unknown snapshot gives an empty frame.
    """
    wide = wide_predictions(store.dialect, drivers=True)
    query = (
        select(*[wide.c[c] for c in PREDICTION_COLUMNS])
        .where(wide.c.snapshot_id == snapshot_id)
        .order_by(wide.c.match_id)
    )
    with store.connect("reading predictions") as conn:
        frame = _frame(conn, query, PREDICTION_COLUMNS)
        if markets:
            grid = read_grid_markets(conn, snapshot_id)
            frame[MARKETS_COLUMN] = pd.Series(
                [grid.get(int(m), []) for m in frame["match_id"]], index=frame.index, dtype=object
            )
    return frame


def read_grid_markets(
    conn: Connection, snapshot_id: int, match_id: int | None = None
) -> dict[int, list[dict[str, Any]]]:
    """The grid markets of a snapshot's matches (or of one), by match id: per match a list of
    rows (``market``, ``selection``, ``line``, ``probability``, ``fair_odds``) by declared
    market, then line (an Asian handicap's away side beside the home side's opposite line),
    then declared selection; a match predicted without a score grid has none."""
    from formline.matches.domain import MATCH_MARKETS

    declared = [m for m in MATCH_MARKETS if m.score_grid]
    query = select(predictions.c.event_id, *[predictions.c[k] for k in _ROW_KEYS]).where(
        predictions.c.snapshot_id == snapshot_id,
        predictions.c.unit == "",
        predictions.c.market.in_([m.name for m in declared]),
    )
    if match_id is not None:
        query = query.where(predictions.c.event_id == match_id)
    rows = [dict(r) for r in conn.execute(query).mappings()]
    rank = {m.name: (i, {s: j for j, s in enumerate(m.selections)}) for i, m in enumerate(declared)}

    def order(row: dict[str, Any]) -> tuple[int, float, int]:
        market, selections = rank[row["market"]]
        line = float(row["line"])
        if row["market"] == "asian_handicap" and row["selection"] == "away":
            line = -line  # the home side's line it is the other side of
        return market, line, selections.get(row["selection"], len(selections))

    out: dict[int, list[dict[str, Any]]] = {}
    for row in sorted(rows, key=lambda r: (r["event_id"], *order(r))):
        out.setdefault(int(row.pop("event_id")), []).append(row)
    return out


def _history(dialect: str, match_id: int, snapshot_id: Any = None) -> Select[Any]:
    wide = wide_predictions(dialect, drivers=True)
    query = (
        select(*_SNAPSHOT_COLUMNS, *[wide.c[c] for c in PREDICTION_COLUMNS])
        .select_from(wide)
        .join(prediction_snapshots, prediction_snapshots.c.id == wide.c.snapshot_id)
        .where(wide.c.match_id == match_id)
    )
    if snapshot_id is not None:
        query = query.where(wide.c.snapshot_id == snapshot_id)
    return query.order_by(prediction_snapshots.c.as_of.desc(), prediction_snapshots.c.id.desc())


def predictions_for_match(store: Store, match_id: int) -> pd.DataFrame:
    """Every stored prediction of one match, newest snapshot first.

    Columns: ``snapshot_id``, ``models_key``, ``as_of``, ``horizon_days``,
    ``feature_version``, ``created_at`` (of the snapshot), then those of
    :func:`read_snapshot_predictions`.
    """
    with store.connect("reading predictions") as conn:
        return _frame(conn, _history(store.dialect, match_id), _HISTORY_COLUMNS)


def latest_prediction_for_match(
    store: Store, match_id: int, publication: str = "default"
) -> dict[str, Any] | None:
    """The prediction of one match from the published snapshot if it covers the match, else from
    the newest snapshot that does; None if no snapshot does.

    Keys as the columns of :func:`predictions_for_match`, plus ``published`` (True when it comes
    from the published snapshot) and ``markets`` (its grid markets, see
    :func:`read_grid_markets`).
    """
    published = (
        select(publications.c.snapshot_id)
        .where(publication_is(publication, DOMAIN))
        .scalar_subquery()
    )
    with store.connect("reading predictions") as conn:
        in_published = _history(store.dialect, match_id, published)
        row = conn.execute(in_published).mappings().first()
        is_published = row is not None
        if row is None:
            row = conn.execute(_history(store.dialect, match_id).limit(1)).mappings().first()
        if row is None:
            return None
        grid = read_grid_markets(conn, int(row["snapshot_id"]), match_id).get(match_id, [])
    return {**dict(row), "published": is_published, MARKETS_COLUMN: grid}
