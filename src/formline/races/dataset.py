"""The races domain's frame: one row per runner with its ids, names, result known at ``as_of``,
point-in-time features and the public's prices as known at the runner's cutoff.

The frame contract (what :class:`~formline.races.evaluation.RaceEvaluation` and the shared
pipeline read):

* ids and names: ``race_id`` and ``runner_id`` (the store's), ``horse_id``, ``source_race_id``,
  ``venue`` (the venue's code, the domain's scope), ``race_date``, ``race_number``, ``horse``
  (the source's horse id or name), ``saddle_number``, ``start_at``, ``cutoff_at``, ``season``
  (from September, as in Hong Kong: ``"2015-16"``);
* state: ``status`` (``scheduled`` until the runner's result is known at ``as_of``, then
  ``finished``), ``finished``, ``result_observed_at`` and ``information`` (``market`` when
  every runner of the race has final win odds observed by the cutoff, the odds models that read
  prices are validated on; else ``card``, also with opening odds only);
* targets, blank until known at ``as_of``: ``finish_position``, ``won``, ``placed`` (3 places
  from 7 starters, else 2);
* prices as known at the cutoff (never later): ``win_odds`` and ``public_win_probability`` (the
  de-margined win odds, the market reference), ``public_place_probability`` (not read yet);
* every registry feature, in registry order.

Runners known at ``as_of`` not to have run (withdrawn, took no part) are left out: they are
neither trained on nor predicted.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from formline.domain import EventFrame
from formline.engine import InputQuery, compute_session, fetch_arrow, load_inputs
from formline.errors import map_errors
from formline.races.features import RACE_FEATURES, build_race_features
from formline.races.features.build import NOT_RUN
from formline.races.features.inputs import RACE_FEATURE_INPUTS
from formline.races.features.registry import RaceFeatureParams, race_feature_set
from formline.store.db import Store

#: Each runner's names and result, as stored (the result's ``observed_at`` decides whether it
#: is known at ``as_of``).
RUNNER_INFO = InputQuery(
    "SELECT u.id AS runner_id, u.race_id, r.source_race_id, v.code AS venue, r.race_date, "
    "r.race_number, r.start_at, u.saddle_number, "
    "(SELECT min(a.source_key) FROM horse_aliases a WHERE a.horse_id = u.horse_id) AS horse, "
    "h.name AS horse_name, x.status, x.finish_position, x.observed_at AS result_observed_at "
    "FROM runners u JOIN races r ON r.id = u.race_id "
    "JOIN race_venues v ON v.id = r.venue_id JOIN horses h ON h.id = u.horse_id "
    "LEFT JOIN runner_results x ON x.runner_id = u.id",
    {
        "runner_id": "int",
        "race_id": "int",
        "source_race_id": "text",
        "venue": "text",
        "race_date": "text",
        "race_number": "int",
        "start_at": "timestamp",
        "saddle_number": "int",
        "horse": "text",
        "horse_name": "text",
        "status": "text",
        "finish_position": "int",
        "result_observed_at": "timestamp",
    },
)

#: The columns naming each exported runner, in order (``features:export``); the targets follow
#: with ``--with-targets``.
EXPORT_ID_COLUMNS = [
    "race_id",
    "runner_id",
    "source_race_id",
    "start_at",
    "venue",
    "race_number",
    "horse",
    "saddle_number",
]
EXPORT_TARGET_COLUMNS = ["finish_position", "won", "placed"]
#: Starters from which three places are paid (two below).
THREE_PLACES_FROM = 7


def season_of(start_at: pd.Series) -> pd.Series:
    """The racing season of each start (it begins in September): ``"2015-16"``."""
    start = pd.to_datetime(start_at)
    year = np.where(start.dt.month >= 9, start.dt.year, start.dt.year - 1)
    return pd.Series([f"{y}-{(y + 1) % 100:02d}" for y in year], index=start_at.index)


def compute_race_features(
    store: Store,
    as_of: datetime,
    params: RaceFeatureParams | None = None,
    queries: pd.DataFrame | None = None,
) -> EventFrame:
    """Every runner's features as of ``as_of`` (naive UTC), computed without writing anything;
    with ``queries`` (``race_id``, ``cutoff_at``) each given race's runners as of each cutoff
    (see :func:`~formline.races.features.build_race_features`)."""
    feature_set = race_feature_set(params) if params is not None else RACE_FEATURES
    con = compute_session()
    try:
        load_inputs(con, store, RACE_FEATURE_INPUTS)
        with map_errors("computing racing features"):
            frame = build_race_features(con, as_of, params, queries)
    finally:
        con.close()
    return EventFrame(frame, as_of, feature_set.schema_hash, list(feature_set.names))


def _known_results(info: pd.DataFrame, as_of: datetime) -> pd.DataFrame:
    """``info`` with results blanked where not observed strictly before ``as_of``, ``status``
    ``scheduled`` there, and the targets of the rest."""
    out = info.copy()
    known = out["result_observed_at"].notna() & (out["result_observed_at"] < as_of)
    out["status"] = out["status"].where(known, "scheduled")
    out["result_observed_at"] = out["result_observed_at"].where(known)
    position = out["finish_position"].astype("Float64").where(known)
    out["finish_position"] = position.to_numpy(dtype=np.float64, na_value=np.nan)
    ran = known & ~out["status"].isin(NOT_RUN)
    starters = ran.groupby(out["race_id"]).transform("sum")
    places = np.where(starters >= THREE_PLACES_FROM, 3, 2)
    finished_at = out["finish_position"]
    out["finished"] = ran.to_numpy()
    out["won"] = np.where(ran, (finished_at == 1).astype(float), np.nan)
    out["placed"] = np.where(ran, (finished_at <= places).astype(float), np.nan)
    out["status"] = np.where(ran, "finished", out["status"])
    return out


def load_race_frame(
    store: Store,
    as_of: datetime,
    params: RaceFeatureParams | None = None,
    queries: pd.DataFrame | None = None,
) -> EventFrame:
    """Every runner in the store with its features as of ``as_of`` (see the module's frame
    contract), sorted by ``start_at``, ``race_id``, ``runner_id`` (then ``cutoff_at``).

    With ``queries`` (``race_id``, ``cutoff_at``) the frame has one row per runner of each given
    race and cutoff, its features and prices as of that cutoff; results are still those known
    at ``as_of`` (targets, never features).
    """
    built = compute_race_features(store, as_of, params, queries)
    return assemble_race_frame(built, fetch_arrow(store, RUNNER_INFO).to_pandas(), as_of)


def assemble_race_frame(
    built: EventFrame, runner_info: pd.DataFrame, as_of: datetime
) -> EventFrame:
    """The frame of :func:`load_race_frame` from its parts: the builder's features
    (:func:`compute_race_features`) and the rows of :data:`RUNNER_INFO` (the dataset rebuild
    reads both in its own DuckDB session)."""
    info = _known_results(runner_info, as_of)
    info = info[~info["status"].isin(NOT_RUN)]
    frame = info.drop(columns=["race_id", "start_at"]).merge(
        built.frame, on="runner_id", how="inner"
    )
    frame["season"] = season_of(frame["start_at"])
    q = frame["public_prob"].to_numpy(dtype=np.float64)
    # Models reading prices are validated on the final odds (a race as known at its off): an
    # earlier price (opening odds) is not that information, and such a race is a card.
    final = pd.Series(frame.pop("public_odds_kind").eq("final").fillna(False).to_numpy())
    priced = final.groupby([frame["race_id"].to_numpy(), frame["cutoff_at"].to_numpy()])
    frame["information"] = np.where(priced.transform("all").to_numpy(), "market", "card")
    frame["public_win_probability"] = q
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["win_odds"] = 1.0 / (q * frame["public_overround"].to_numpy(dtype=np.float64))
    frame["public_place_probability"] = np.nan
    names = [c for c in frame.columns if c not in built.feature_names]
    frame = frame[[*names, *built.feature_names]]
    frame = frame.sort_values(
        ["start_at", "race_id", "runner_id", "cutoff_at"], kind="stable", ignore_index=True
    )
    return EventFrame(frame, as_of, built.feature_version, built.feature_names)


def export_names(store: Store, as_of: datetime, with_targets: bool = False) -> pd.DataFrame:
    """One row per runner of the store not known at ``as_of`` to be out of its race:
    :data:`EXPORT_ID_COLUMNS`, then with ``with_targets`` :data:`EXPORT_TARGET_COLUMNS` known at
    ``as_of`` (empty otherwise)."""
    info = _known_results(fetch_arrow(store, RUNNER_INFO).to_pandas(), as_of)
    frame = info[~info["status"].isin(NOT_RUN)]
    columns = EXPORT_ID_COLUMNS + (EXPORT_TARGET_COLUMNS if with_targets else [])
    selected: pd.DataFrame = frame[columns]
    return selected
