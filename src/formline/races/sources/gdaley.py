"""Read the ``horse_racing_hk_gdaley`` layout (Graham Daley's Hong Kong races, 1997-2005 as
dated): ``races.csv`` (one row per race) and ``runs.csv`` (one row per runner), numeric ids.

Conventions (besides those of :mod:`formline.races.sources.hk`)
-----------------------------------------------------------------
* The dates are shifted by the dataset's author; the intervals between races are true. They are
  stored as given (the races' identity and order), and must not be joined with other sources.
* Horses, jockeys and trainers are the dataset's numeric ids (entity source ``hkjc-gdaley``);
  the file has no names.
* ``surface`` 0 is turf, 1 the all-weather (dirt) track; ``config`` is the course (rail).
* ``sec_time1..7`` are the leader's sectional times (``time1..7``, their running sums, are not
  read); ``position_sec``/``behind_sec``/``time`` 1..6 are a runner's position, lengths behind
  the leader and time in each section.
* 999 in ``lengths_behind``, ``behind_sec*`` and ``time*`` is the file's "unknown" and reads as
  empty (counted in :attr:`GdaleyRead.unknown_cells`). A negative margin is rejected (the cell).
* Only finishers are in the file, so the field size is the number of runners of the race; two
  runners of a race with the same ``result`` dead-heated (``won`` is then 1 for both).
* Odds: ``win_odds`` and ``place_odds`` are the final tote odds. Dividends (per HK$10): the win
  pool from ``win_combination1..2``/``win_dividend1..2``, the place pool from
  ``place_combination1..4``/``place_dividend1..4``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from formline.errors import SourceError
from formline.races.frames import N_CALLS, N_RACE_SECTIONS, RaceBatch
from formline.races.sources.cells import (
    RACE_CSV,
    decimals,
    nullable_ints,
    texts,
    whole_numbers,
)
from formline.races.sources.hk import (
    CARD_LEAD,
    RESULT_DELAY,
    VENUES,
    days,
    start_times,
    venue_frame_columns,
)
from formline.sources.cells import CsvTable, Limits, ReadLimits, RejectLog

SOURCE = "hkjc-gdaley"
_UNKNOWN = 999.0
_RACES_REQUIRED = ("race_id", "date", "venue", "race_no", "distance")
_RUNS_REQUIRED = ("race_id", "horse_no", "horse_id", "result")


@dataclass
class GdaleyRead:
    """What reading one gdaley folder made: the batch and per-file counts."""

    batch: RaceBatch
    #: Data rows per file, and how many of them were loaded (the rest are rejected rows).
    rows: dict[str, int] = field(default_factory=dict)
    loaded: dict[str, int] = field(default_factory=dict)
    #: Cells holding the file's 999 "unknown", read as empty.
    unknown_cells: int = 0


def is_gdaley_folder(path: Path) -> bool:
    """Whether ``path`` is a folder with the gdaley ``races.csv`` and ``runs.csv``."""
    return path.is_dir() and (path / "races.csv").is_file() and (path / "runs.csv").is_file()


def read_gdaley(folder: Path, limits: Limits | None = None) -> GdaleyRead:
    """Read ``folder/races.csv`` and ``folder/runs.csv``.

    Returns
    -------
    GdaleyRead
        Races, runners (card and result), final win and place odds, dividends and the rejects.
        A race or runner whose key (ids, date, venue, number, distance, result) is unusable is
        rejected whole; any other bad cell is rejected alone and left empty.

    Raises
    ------
    SourceError
        If a file is missing, is not of this layout, or passes an ingest bound.
    """
    limits = limits or ReadLimits()
    if not is_gdaley_folder(folder):
        raise SourceError(f"{folder}: not a gdaley folder (races.csv and runs.csv)")
    races_table = CsvTable.read(
        folder / "races.csv",
        what="a gdaley races.csv",
        required=_RACES_REQUIRED,
        limits=limits,
        rules=RACE_CSV,
    )
    runs_table = CsvTable.read(
        folder / "runs.csv",
        what="a gdaley runs.csv",
        required=_RUNS_REQUIRED,
        limits=limits,
        rules=RACE_CSV,
    )
    race_rejects = RejectLog(races_table, SOURCE)
    races, dividends = _races(races_table, race_rejects)
    race_rejects.check(limits)
    run_rejects = RejectLog(runs_table, SOURCE)
    runners, odds, unknown = _runners(runs_table, run_rejects, races)
    run_rejects.check(limits)
    sizes = runners.groupby("source_race_id").size()
    races["field_size"] = races["source_race_id"].map(sizes).fillna(0).astype("Int64")
    races = races.drop(columns="_start")
    batch = RaceBatch(
        races, runners, odds, dividends, pd.concat([race_rejects.frame(), run_rejects.frame()])
    ).conformed()
    return GdaleyRead(
        batch,
        rows={str(races_table.path): len(races_table), str(runs_table.path): len(runs_table)},
        loaded={str(races_table.path): len(races), str(runs_table.path): len(runners)},
        unknown_cells=unknown,
    )


def _first_line(keys: pd.DataFrame, table: CsvTable, dropped: np.ndarray) -> np.ndarray:
    """For each row, the line of the first kept row with the same key (its own if first)."""
    first = pd.Series(table.lines).where(~dropped)
    grouped = first.groupby([keys[c] for c in keys.columns], dropna=False).transform("min")
    return np.where(dropped, table.lines, grouped.fillna(-1).to_numpy(dtype=np.int64))


def _races(table: CsvTable, rejects: RejectLog) -> tuple[pd.DataFrame, pd.DataFrame]:
    race_id = whole_numbers(table, rejects, "race_id", fatal=True, required=True)
    date_text = table.text("date")
    date = days(date_text)
    rejects.add(date_text == "", "date", "missing", fatal=True)
    bad = (date_text != "") & np.isnat(date)
    rejects.add(bad, "date", "not a YYYY-MM-DD date: '{}'", date_text, fatal=True)
    venue = table.text("venue")
    unknown = ~pd.Series(venue).isin(set(VENUES)).to_numpy()
    rejects.add(unknown, "venue", "unknown venue '{}' (ST or HV)", venue, fatal=True)
    number = whole_numbers(table, rejects, "race_no", fatal=True, required=True, low=1, high=99)
    distance = whole_numbers(
        table, rejects, "distance", fatal=True, required=True, low=100, high=10_000
    )
    keys = pd.DataFrame({"race_id": race_id})
    first = _first_line(keys, table, rejects.dropped)
    rejects.add(first != table.lines, "race_id", "same race_id as line {}", first, fatal=True)
    keys = pd.DataFrame({"date": date_text, "venue": venue, "number": number})
    first = _first_line(keys, table, rejects.dropped)
    rejects.add(
        first != table.lines, "", "same race (date, venue, race_no) as line {}", first, fatal=True
    )
    surface_text = table.text("surface")
    surface = np.select([surface_text == "0", surface_text == "1"], ["turf", "all_weather"], "")
    odd = (surface_text != "") & (surface == "")
    rejects.add(odd, "surface", "unknown surface '{}' (0 turf, 1 dirt)", surface_text, fatal=False)
    race_class = whole_numbers(table, rejects, "race_class", fatal=False)
    prize = decimals(table, rejects, "prize")
    sections = {
        f"leader_section_time_{i}": decimals(table, rejects, f"sec_time{i}")
        for i in range(1, N_RACE_SECTIONS + 1)
    }
    keep = ~rejects.dropped
    start = start_times(date, venue, number)
    frame = pd.DataFrame(
        {
            **venue_frame_columns(np.where(unknown, "ST", venue)),
            "race_date": texts(date_text),
            "race_number": nullable_ints(number),
            "start_at": start,
            "distance": nullable_ints(distance),
            "surface": texts(surface),
            "course": texts(table.text("config")),
            "going": texts(table.text("going")),
            "race_class": texts([f"{c:.0f}" if np.isfinite(c) else "" for c in race_class]),
            "rating_band": texts(table.text("horse_ratings")),
            "prize": prize,
            "source_race_id": texts([f"{r:.0f}" if np.isfinite(r) else "" for r in race_id]),
            "card_observed_at": start - CARD_LEAD,
            **sections,
            "result_observed_at": start + RESULT_DELAY,
            "source": SOURCE,
            "source_file": str(table.path),
            "source_line": table.lines,
            "_start": start,
        }
    )[keep].reset_index(drop=True)
    dividends = _dividends(table, rejects, keep, frame)
    return frame, dividends


def _dividends(
    table: CsvTable, rejects: RejectLog, keep: np.ndarray, races: pd.DataFrame
) -> pd.DataFrame:
    """The win and place pools' dividends of the kept races, one row per combination."""
    parts = []
    pools = [("win", i) for i in (1, 2)] + [("place", i) for i in (1, 2, 3, 4)]
    for pool, i in pools:
        combo_name, dividend_name = f"{pool}_combination{i}", f"{pool}_dividend{i}"
        combination = whole_numbers(table, rejects, combo_name, fatal=False, low=1, high=99)
        dividend = decimals(table, rejects, dividend_name)
        combo_text, dividend_text = table.text(combo_name), table.text(dividend_name)
        alone = np.isfinite(combination) & (dividend_text == "")
        rejects.add(alone, combo_name, f"no {dividend_name} for it", fatal=False)
        orphan = np.isfinite(dividend) & (combo_text == "")
        rejects.add(orphan, dividend_name, f"no {combo_name} for it", fatal=False)
        ok = (np.isfinite(combination) & np.isfinite(dividend))[keep]
        parts.append(
            pd.DataFrame(
                {
                    "venue": races["venue"][ok].to_numpy(),
                    "race_date": races["race_date"][ok].to_numpy(),
                    "race_number": races["race_number"][ok].to_numpy(),
                    "pool": pool,
                    "combination": [f"{c:.0f}" for c in combination[keep][ok]],
                    "dividend": dividend[keep][ok],
                    "observed_at": races["result_observed_at"][ok].to_numpy(),
                    "source": SOURCE,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _runners(
    table: CsvTable, rejects: RejectLog, races: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    race_id = whole_numbers(table, rejects, "race_id", fatal=True, required=True)
    race_text = np.array([f"{r:.0f}" if np.isfinite(r) else "" for r in race_id], dtype=object)
    known = pd.Series(race_text).isin(set(races["source_race_id"].dropna())).to_numpy()
    missing = np.isfinite(race_id) & ~known
    rejects.add(
        missing, "race_id", "no race {} in races.csv (or it was rejected)", race_text, fatal=True
    )
    saddle = whole_numbers(table, rejects, "horse_no", fatal=True, required=True, low=1, high=99)
    horse = whole_numbers(table, rejects, "horse_id", fatal=True, required=True)
    result = whole_numbers(table, rejects, "result", fatal=True, required=True, low=1, high=99)
    first = _first_line(pd.DataFrame({"r": race_id, "h": horse}), table, rejects.dropped)
    rejects.add(
        first != table.lines, "", "same horse in the same race as line {}", first, fatal=True
    )
    first = _first_line(pd.DataFrame({"r": race_id, "s": saddle}), table, rejects.dropped)
    rejects.add(
        first != table.lines,
        "horse_no",
        "same horse_no in the same race as line {}",
        first,
        fatal=True,
    )
    unknown = 0
    values: dict[str, object] = {}
    for column, name, sentinel in [
        ("lengths_behind", "lengths_behind", True),
        *((f"behind_{i}", f"behind_sec{i}", True) for i in range(1, N_CALLS + 1)),
        *((f"section_time_{i}", f"time{i}", True) for i in range(1, N_CALLS + 1)),
        ("finish_time", "finish_time", False),
        ("declared_weight", "declared_weight", False),
        ("carried_weight", "actual_weight", False),
    ]:
        unknown += (
            int((table.text(name) == "999").sum() + (table.text(name) == "999.0").sum())
            if sentinel
            else 0
        )
        values[column] = decimals(table, rejects, name, unknown=_UNKNOWN if sentinel else None)
    for i in range(1, N_CALLS + 1):
        position = whole_numbers(table, rejects, f"position_sec{i}", fatal=False, low=1, high=99)
        values[f"position_{i}"] = nullable_ints(position)
    counts = {
        "horse_age": whole_numbers(table, rejects, "horse_age", fatal=False, high=40),
        "rating": whole_numbers(table, rejects, "horse_rating", fatal=False),
        "draw": whole_numbers(table, rejects, "draw", fatal=False, low=1, high=99),
    }
    jockey = whole_numbers(table, rejects, "jockey_id", fatal=False)
    trainer = whole_numbers(table, rejects, "trainer_id", fatal=False)
    win = decimals(table, rejects, "win_odds", low=1)
    place = decimals(table, rejects, "place_odds", low=1)
    keep = ~rejects.dropped
    by_race = races.set_index("source_race_id")
    at = pd.Index(by_race.index).get_indexer(race_text)
    take = np.where(at >= 0, at, 0)

    def race_column(name: str) -> np.ndarray:
        return by_race[name].to_numpy()[take]

    def ids(values: np.ndarray) -> pd.Series:
        return texts([f"{v:.0f}" if np.isfinite(v) else "" for v in values])

    start = race_column("_start")
    frame = pd.DataFrame(
        {
            "venue": race_column("venue"),
            "race_date": race_column("race_date"),
            "race_number": race_column("race_number"),
            "entity_source": SOURCE,
            "horse_key": ids(horse),
            "horse_country": texts(table.text("horse_country")),
            "horse_sex": texts(table.text("horse_type")),
            "jockey_key": ids(jockey),
            "trainer_key": ids(trainer),
            "saddle_number": nullable_ints(saddle),
            "gear": texts(table.text("horse_gear")),
            **{k: nullable_ints(v) for k, v in counts.items()},
            **values,
            "card_observed_at": start - CARD_LEAD,
            "status": "finished",
            "result_code": texts(table.text("result")),
            "finish_position": nullable_ints(result),
            "result_observed_at": start + RESULT_DELAY,
            "source": SOURCE,
            "source_file": str(table.path),
            "source_line": table.lines,
            "source_race_id": race_text,
            "_start": start,
        }
    )[keep].reset_index(drop=True)
    frame["dead_heat"] = frame.duplicated(["source_race_id", "finish_position"], keep=False)
    odds = []
    for market, price in (("win", win[keep]), ("place", place[keep])):
        ok = np.isfinite(price)
        part = frame.loc[ok, ["venue", "race_date", "race_number", "entity_source", "horse_key"]]
        odds.append(
            part.assign(
                market=market,
                kind="final",
                value=price[ok],
                captured_at=frame["_start"][ok].to_numpy(),
                observed_at=frame["_start"][ok].to_numpy(),
                source=SOURCE,
            )
        )
    return frame.drop(columns="_start"), pd.concat(odds, ignore_index=True), unknown
