"""The races domain's predictions: a runner's wide prediction (``p_win``, ``p_place``, fair
odds, drivers) as the store's long rows for publishing, and a published snapshot read back wide.

In the store (:mod:`formline.store.predictions`) a race is the event (``event_id`` = the race's
id), each runner a unit (``unit`` = the runner's id as text), and each runner has two rows:
market ``win`` and market ``place``, selection ``yes``, line 0.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select

from formline.errors import DataError
from formline.store.db import Store
from formline.store.predictions import PredictionRows
from formline.store.tables import predicted_events, predictions

#: The domain the snapshots belong to.
DOMAIN = "races"
#: Each per-runner market's probability column in the wide frame.
MARKET_COLUMNS = {"win": "p_win", "place": "p_place"}
#: A per-runner market's one selection (the runner does it, or not).
SELECTION = "yes"
#: The wide prediction of one runner, as the pipeline computes it and the readers return it.
PREDICTION_COLUMNS = [
    "race_id",
    "runner_id",
    "model_version_id",
    "information",
    "p_win",
    "p_place",
    "fair_win",
    "fair_place",
    "drivers",
]


def fair_odds(probability: np.ndarray) -> np.ndarray:
    """Decimal odds with no margin, ``1 / p`` (missing for ``p = 0``)."""
    p = np.asarray(probability, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.where(p > 0.0, 1.0 / p, np.nan)


def prediction_rows(frame: pd.DataFrame) -> PredictionRows:
    """The long rows of wide runner predictions (one row per runner), for publishing.

    Parameters
    ----------
    frame
        ``race_id``, ``runner_id``, ``p_win``, ``p_place`` and, if the model explains,
        ``drivers``; ``model_version_id`` and ``information`` when it has them.

    Raises
    ------
    DataError
        If ``frame`` lacks a column, has a runner without ids or repeats one, or a race's win
        probabilities do not sum to 1.
    """
    if frame.empty:
        return PredictionRows(pd.DataFrame(), pd.DataFrame())
    missing = [c for c in ("race_id", "runner_id", "p_win", "p_place") if c not in frame.columns]
    if missing:
        raise DataError(f"race predictions are missing columns: {', '.join(missing)}")
    if frame[["race_id", "runner_id"]].isna().any().any():
        raise DataError("race predictions have rows without a race_id or runner_id")
    repeated = frame["runner_id"][frame["runner_id"].duplicated()]
    if len(repeated):
        raise DataError(f"race predictions repeat runners: {sorted(set(repeated.tolist()))[:10]}")
    totals = frame.groupby("race_id")["p_win"].sum()
    off = totals[(totals - 1.0).abs() > 1e-6]
    if len(off):
        raise DataError(
            f"win probabilities of race {int(off.index[0])} sum to {float(off.iloc[0]):.6f}, not 1"
        )
    event_id = frame["race_id"].astype("int64").to_numpy()
    unit = frame["runner_id"].astype("int64").astype(str).to_numpy()
    drivers = (
        list(frame["drivers"]) if "drivers" in frame.columns else [[] for _ in range(len(frame))]
    )
    carried = [c for c in ("model_version_id", "information") if c in frame.columns]
    events = pd.DataFrame(
        {
            "event_id": event_id,
            "unit": unit,
            **{c: frame[c].to_numpy() for c in carried},
            "drivers": pd.Series(drivers, dtype=object).to_numpy(),
        }
    )
    rows = pd.concat(
        [
            pd.DataFrame(
                {
                    "event_id": event_id,
                    "unit": unit,
                    "market": market,
                    "selection": SELECTION,
                    "line": 0.0,
                    "probability": frame[column].to_numpy(dtype=np.float64),
                    "fair_odds": fair_odds(frame[column].to_numpy(dtype=np.float64)),
                }
            )
            for market, column in MARKET_COLUMNS.items()
        ],
        ignore_index=True,
    )
    return PredictionRows(events, rows)


def _parsed(drivers: Any) -> list[Any]:
    if isinstance(drivers, str):
        loaded: list[Any] = json.loads(drivers)
        return loaded
    return list(drivers) if drivers is not None else []


def read_snapshot_predictions(store: Store, snapshot_id: int) -> pd.DataFrame:
    """Every runner prediction of one snapshot (:data:`PREDICTION_COLUMNS`), by race and
    runner, with ``drivers`` parsed; an unknown snapshot gives an empty frame."""
    events = select(
        predicted_events.c.event_id,
        predicted_events.c.unit,
        predicted_events.c.model_version_id,
        predicted_events.c.information,
        predicted_events.c.drivers,
    ).where(predicted_events.c.snapshot_id == snapshot_id)
    rows = select(
        predictions.c.event_id,
        predictions.c.unit,
        predictions.c.market,
        predictions.c.probability,
        predictions.c.fair_odds,
    ).where(predictions.c.snapshot_id == snapshot_id, predictions.c.selection == SELECTION)
    with store.connect("reading race predictions") as conn:
        event_frame = pd.DataFrame([dict(r) for r in conn.execute(events).mappings()])
        row_frame = pd.DataFrame([dict(r) for r in conn.execute(rows).mappings()])
    if event_frame.empty:
        return pd.DataFrame(columns=PREDICTION_COLUMNS)
    wide = event_frame.rename(columns={"event_id": "race_id"})
    wide["runner_id"] = wide.pop("unit").astype("int64")
    wide["drivers"] = [_parsed(d) for d in wide["drivers"]]
    for market, column in MARKET_COLUMNS.items():
        chosen = row_frame[row_frame["market"] == market]
        by_unit = chosen.assign(runner_id=chosen["unit"].astype("int64")).set_index(
            ["event_id", "runner_id"]
        )
        index = pd.MultiIndex.from_arrays([wide["race_id"], wide["runner_id"]])
        wide[column] = by_unit["probability"].reindex(index).to_numpy(dtype=np.float64)
        fair = "fair_" + column.removeprefix("p_")
        wide[fair] = by_unit["fair_odds"].reindex(index).to_numpy(dtype=np.float64)
    wide = wide[PREDICTION_COLUMNS].sort_values(["race_id", "runner_id"], ignore_index=True)
    return wide


def latest_race_prediction(
    store: Store, race_id: int, publication: str = "default"
) -> tuple[int, bool, pd.DataFrame] | None:
    """The runner predictions of one race from the races domain's published snapshot if it
    covers the race, else from the newest snapshot that does: ``(snapshot id, published,
    frame)`` with the frame as :func:`read_snapshot_predictions`; None if no snapshot does."""
    from formline.store.reads import publication_is
    from formline.store.tables import prediction_snapshots, publications

    covering = (
        select(predicted_events.c.snapshot_id)
        .join(prediction_snapshots, prediction_snapshots.c.id == predicted_events.c.snapshot_id)
        .where(predicted_events.c.event_id == race_id, prediction_snapshots.c.domain == DOMAIN)
        .distinct()
        .order_by(predicted_events.c.snapshot_id.desc())
    )
    published = select(publications.c.snapshot_id).where(publication_is(publication, DOMAIN))
    with store.connect("reading race predictions") as conn:
        snapshots = [int(s) for s in conn.execute(covering).scalars()]
        current = conn.execute(published).scalar_one_or_none()
    if not snapshots:
        return None
    chosen = int(current) if current is not None and int(current) in snapshots else snapshots[0]
    frame = read_snapshot_predictions(store, chosen)
    return chosen, chosen == current, frame[frame["race_id"] == race_id].reset_index(drop=True)
