"""The builder's inputs: read from the store (as the pipeline does) or made from a
:class:`~formline.races.frames.RaceBatch` (tests, benchmarks), with the same columns."""

from __future__ import annotations

import numpy as np
import pandas as pd

from formline.engine import InputQuery
from formline.races.features.build import RACE_INPUT_COLUMNS
from formline.races.frames import RACE_KEY, RaceBatch

_NAMED = {"race_id": "id"}

#: What the racing features read from the store, one query per input table. Only win odds are
#: read; market features use no other.
RACE_FEATURE_INPUTS: dict[str, InputQuery] = {
    "races": InputQuery(
        "SELECT id AS race_id, " + ", ".join(list(RACE_INPUT_COLUMNS["races"])[1:]) + " FROM races",
        RACE_INPUT_COLUMNS["races"],
    ),
    "runners": InputQuery(
        "SELECT id AS runner_id, "
        + ", ".join(list(RACE_INPUT_COLUMNS["runners"])[1:])
        + " FROM runners",
        RACE_INPUT_COLUMNS["runners"],
    ),
    "runner_results": InputQuery(
        "SELECT " + ", ".join(RACE_INPUT_COLUMNS["runner_results"]) + " FROM runner_results",
        RACE_INPUT_COLUMNS["runner_results"],
    ),
    "race_odds": InputQuery(
        "SELECT "
        + ", ".join(RACE_INPUT_COLUMNS["race_odds"])
        + " FROM race_odds WHERE market = 'win'",
        RACE_INPUT_COLUMNS["race_odds"],
    ),
}


def _codes(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Dense integer ids (from 1) of the rows' ``columns`` values, in sorted key order."""
    keys = frame[columns].astype("string").fillna("\x00").agg("\x1f".join, axis=1)
    codes, _ = pd.factorize(keys, sort=True)
    return codes.astype(np.int64) + 1


def input_frames(batch: RaceBatch) -> dict[str, pd.DataFrame]:
    """The builder's input tables for ``batch``: ids numbered by natural key (races by venue,
    date and number; horses, jockeys and trainers by source and key; runners by race and horse),
    each fact with its ``observed_at``; results only where the race's result is known."""
    races = batch.races.reset_index(drop=True)
    runners = batch.runners.reset_index(drop=True)
    race_ids = pd.Series(_codes(races, RACE_KEY), index=pd.MultiIndex.from_frame(races[RACE_KEY]))
    venue_ids = _codes(races, ["venue"])
    race_of = race_ids.reindex(pd.MultiIndex.from_frame(runners[RACE_KEY])).to_numpy()
    runner_key = ["venue", "race_date", "race_number", "entity_source", "horse_key"]
    runner_ids = _codes(runners, runner_key)

    def entity(name: str) -> pd.Series:
        known = runners[f"{name}_key"].notna()
        ids = pd.Series(pd.NA, index=runners.index, dtype="Int64")
        ids[known] = _codes(runners[known], ["entity_source", f"{name}_key"])
        return ids

    race_frame = pd.DataFrame(
        {
            "race_id": race_ids.to_numpy(),
            "venue_id": venue_ids,
            "start_at": races["start_at"],
            "distance": races["distance"],
            "surface": races["surface"],
            "race_class": races["race_class"],
            "observed_at": races["card_observed_at"],
        }
    )
    runner_frame = pd.DataFrame(
        {
            "runner_id": runner_ids,
            "race_id": race_of,
            "horse_id": entity("horse"),
            "jockey_id": entity("jockey"),
            "trainer_id": entity("trainer"),
            **{
                c: runners[c]
                for c in ("draw", "carried_weight", "declared_weight", "rating", "horse_age")
            },
            "observed_at": runners["card_observed_at"],
        }
    )
    done = runners["result_observed_at"].notna()
    result_columns = [c for c in RACE_INPUT_COLUMNS["runner_results"] if c != "observed_at"]
    results = runners.loc[done].assign(runner_id=runner_ids[done.to_numpy()])
    result_frame = results[[c for c in result_columns]].assign(
        observed_at=results["result_observed_at"]
    )
    odds = batch.odds
    odds_ids = pd.Series(runner_ids, index=pd.MultiIndex.from_frame(runners[runner_key]))
    odds_frame = pd.DataFrame(
        {
            "runner_id": odds_ids.reindex(pd.MultiIndex.from_frame(odds[runner_key])).to_numpy(),
            "market": odds["market"],
            "kind": odds["kind"],
            "value": odds["value"],
            "observed_at": odds["observed_at"],
        }
    )
    return {
        "races": race_frame.reset_index(drop=True),
        "runners": runner_frame.reset_index(drop=True),
        "runner_results": result_frame.reset_index(drop=True),
        "race_odds": odds_frame.reset_index(drop=True),
    }
