"""Read the ``horse_racing_hk`` layout: ``results.csv``, one row per runner of Hong Kong races
(2015-2017) with names, as the HKJC website printed them.

Conventions (besides those of :mod:`formline.races.sources.hk`)
-----------------------------------------------------------------
* A race is ``(venue, date, raceno)``; its attributes (class, distance, going, course, stake,
  race name) are taken from its first row in the file.
* Horses are named ``NAME(BRAND)``: the brand number is the horse's id (entity source ``hkjc``),
  the name its name. Jockeys and trainers are keyed by their names; ``---`` means none.
* ``plc``: ``1``..``14`` finished, ``N DH`` a dead heat for N; ``WV``, ``WV-A``, ``WX``,
  ``WX-A`` withdrawn (on the card, not in the field), ``PU`` pulled up, ``UR`` unseated,
  ``FE`` fell, ``DNF`` did not finish, ``TNP`` took no part. The field size counts the runners
  that were not withdrawn.
* A withdrawal is known at the off at the latest (the horse is not in the field that jumps, nor
  in the final odds, which this layout has at the off), and the file says no earlier time: a
  withdrawn runner stays on the card (known :data:`~formline.races.sources.hk.CARD_LEAD`
  before) and its result row, the status alone, is observed at the off (``start_at``), like the
  final odds. Every other result, ``TNP`` included (the horse was in the field and the pools at
  the off), is observed when the race ends.
* ``course``: ``TURF - C+3 COURSE`` is turf on the C+3 course, ``ALL WEATHER TRACK`` the
  all-weather track (no course).
* ``lbw``, lengths behind the winner: ``2-1/4`` is 2.25; ``-`` is the winner's (0 for position
  1, else unknown), ``NOSE`` 0.05, ``SH`` (short head) 0.1, ``HD`` (head) 0.2, ``N`` (neck)
  0.3; ``ML`` ("many lengths") and ``---`` (no finish) read as unknown.
* ``runningpos``: the positions at the call points, space-separated (at most six kept).
* ``finishtime``: ``m.ss.cc``; ``---`` is none. ``winodds`` are the final win odds (no place odds
  or dividends in this layout).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from formline.races.frames import N_CALLS, RaceBatch
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
    VENUE_CODES,
    days,
    start_times,
    venue_frame_columns,
)
from formline.sources.cells import CsvTable, Limits, ReadLimits, RejectLog

SOURCE = "hkjc-results"
ENTITY_SOURCE = "hkjc"
_REQUIRED = ("plc", "horse", "date", "raceno", "venue", "distance")

_PLACE = re.compile(r"(\d{1,2})( DH)?")
_STATUS = {
    "WV": "withdrawn",
    "WV-A": "withdrawn",
    "WX": "withdrawn",
    "WX-A": "withdrawn",
    "PU": "pulled_up",
    "UR": "unseated",
    "FE": "fell",
    "DNF": "did_not_finish",
    "TNP": "took_no_part",
}
_MARGINS = {"NOSE": 0.05, "SH": 0.1, "HD": 0.2, "N": 0.3}
_UNKNOWN_MARGINS = ("ML", "---")
_LENGTHS = re.compile(r"(?:(\d{1,3})-)?(\d{1,3})(?:/(\d))?")
_HORSE = re.compile(r"(.*\S)\s*\(([A-Z0-9]{2,8})\)")
_TIME = re.compile(r"(\d{1,2})\.(\d{2})\.(\d{2})")
_COURSE = re.compile(r"TURF - (\S+) COURSE")
_RACE_ATTRIBUTES = ("class", "distance", "going", "course", "stake", "handicap")


@dataclass
class ResultsRead:
    """What reading one ``results.csv`` made: the batch and its counts."""

    batch: RaceBatch
    rows: dict[str, int] = field(default_factory=dict)
    loaded: dict[str, int] = field(default_factory=dict)


def is_results_file(path: Path) -> bool:
    """Whether ``path`` looks like this layout's ``results.csv`` (by its name)."""
    return path.is_file() and path.name.lower().startswith("results") and ".csv" in path.name


def read_hkjc_results(path: Path, limits: Limits | None = None) -> ResultsRead:
    """Read one ``results.csv``.

    Returns
    -------
    ResultsRead
        Races, runners (card and result), final win odds and the rejects. A row whose race
        (date, number, venue, distance), horse or place is unusable is rejected whole; any other
        bad cell is rejected alone and left empty.

    Raises
    ------
    SourceError
        If the file cannot be read, is not of this layout, or passes an ingest bound.
    """
    limits = limits or ReadLimits()
    table = CsvTable.read(
        path, what="an HKJC results.csv", required=_REQUIRED, limits=limits, rules=RACE_CSV
    )
    rejects = RejectLog(table, SOURCE)
    date_text = table.text("date")
    date = days(date_text)
    rejects.add(date_text == "", "date", "missing", fatal=True)
    bad_date = (date_text != "") & np.isnat(date)
    rejects.add(bad_date, "date", "not a YYYY-MM-DD date: '{}'", date_text, fatal=True)
    number = whole_numbers(table, rejects, "raceno", fatal=True, required=True, low=1, high=99)
    venue_text = table.text("venue")
    venue = np.array([VENUE_CODES.get(v.lower(), "") for v in venue_text], dtype=object)
    rejects.add(venue == "", "venue", "unknown venue '{}'", venue_text, fatal=True)
    distance = whole_numbers(
        table, rejects, "distance", fatal=True, required=True, low=100, high=10_000
    )
    status, position, dead_heat = _places(table, rejects)
    horse_key, horse_name = _horses(table, rejects)
    saddle = whole_numbers(table, rejects, "horseno", fatal=False, low=1, high=99)
    draw = whole_numbers(table, rejects, "draw", fatal=False, low=1, high=99)
    carried = decimals(table, rejects, "actualwt")
    declared = decimals(table, rejects, "declarwt")
    race_class = whole_numbers(table, rejects, "class", fatal=False)
    stake = decimals(table, rejects, "stake")
    lengths = _lengths(table, rejects, position)
    calls = _running_positions(table, rejects)
    finish = _finish_times(table, rejects)
    win = decimals(table, rejects, "winodds", low=1)
    course_text = table.text("course")
    surface, course = _courses(course_text, rejects)
    keep = ~rejects.dropped
    key = pd.DataFrame({"venue": venue, "date": date_text, "number": number})
    _same_horse_twice(table, rejects, key, horse_key)
    keep = ~rejects.dropped
    start = start_times(date, venue, number)

    def name(column: str) -> pd.Series:
        values = table.text(column)
        return texts(np.where(values == "---", "", values))

    runners = pd.DataFrame(
        {
            "venue": texts(venue),
            "race_date": texts(date_text),
            "race_number": nullable_ints(number),
            "entity_source": ENTITY_SOURCE,
            "horse_key": texts(horse_key),
            "horse_name": texts(horse_name),
            "jockey_key": name("jockey"),
            "jockey_name": name("jockey"),
            "trainer_key": name("trainer"),
            "trainer_name": name("trainer"),
            "saddle_number": nullable_ints(saddle),
            "draw": nullable_ints(draw),
            "carried_weight": carried,
            "declared_weight": declared,
            "card_observed_at": start - CARD_LEAD,
            "status": texts(status),
            "result_code": texts(table.text("plc")),
            "finish_position": nullable_ints(position),
            "dead_heat": dead_heat,
            "lengths_behind": lengths,
            **{f"position_{i + 1}": nullable_ints(calls[:, i]) for i in range(N_CALLS)},
            "finish_time": finish,
            # A withdrawal is known at the off, the rest when the race ends (module docstring).
            "result_observed_at": np.where(status == "withdrawn", start, start + RESULT_DELAY),
            "source": SOURCE,
            "source_file": str(path),
            "source_line": table.lines,
        }
    )
    race_rows = pd.DataFrame(
        {
            **venue_frame_columns(np.where(venue == "", "ST", venue)),
            "race_date": texts(date_text),
            "race_number": nullable_ints(number),
            "start_at": start,
            # The layout has no race id: a race is its venue, day and number ("ST-2015-06-03-1").
            "source_race_id": texts(
                [
                    f"{v}-{d}-{n:.0f}" if v and d and np.isfinite(n) else ""
                    for v, d, n in zip(venue, date_text, number, strict=True)
                ]
            ),
            "name": texts(table.text("handicap")),
            "distance": nullable_ints(distance),
            "surface": texts(surface),
            "course": texts(course),
            "going": texts(table.text("going")),
            "race_class": texts([f"{c:.0f}" if np.isfinite(c) else "" for c in race_class]),
            "prize": stake,
            "card_observed_at": start - CARD_LEAD,
            "result_observed_at": start + RESULT_DELAY,
            "source": SOURCE,
            "source_file": str(path),
            "source_line": table.lines,
        }
    )
    runners, race_rows = runners[keep], race_rows[keep]
    started = runners["status"] != "withdrawn"
    sizes = started.groupby([runners[c] for c in ("venue", "race_date", "race_number")]).sum()
    races = race_rows.drop_duplicates(["venue", "race_date", "race_number"]).reset_index(drop=True)
    index = pd.MultiIndex.from_frame(races[["venue", "race_date", "race_number"]])
    races["field_size"] = sizes.reindex(index).to_numpy()
    ok = np.isfinite(win[keep])
    odds = runners.loc[ok, ["venue", "race_date", "race_number", "entity_source", "horse_key"]]
    odds = odds.assign(
        market="win",
        kind="final",
        value=win[keep][ok],
        captured_at=start[keep][ok],
        observed_at=start[keep][ok],
        source=SOURCE,
    )
    rejects_frame = rejects.frame()
    rejects.check(limits)
    batch = RaceBatch(races=races, runners=runners, odds=odds, rejects=rejects_frame)
    return ResultsRead(
        batch.conformed(), rows={str(path): len(table)}, loaded={str(path): int(keep.sum())}
    )


def _places(table: CsvTable, rejects: RejectLog) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's status, finishing position (NaN unless finished) and dead-heat flag."""
    text = table.text("plc")
    found = [_PLACE.fullmatch(t) for t in text]
    position = np.array([float(m.group(1)) if m else np.nan for m in found])
    dead_heat = np.array([bool(m and m.group(2)) for m in found])
    status = np.array(
        ["finished" if m else _STATUS.get(t, "") for m, t in zip(found, text, strict=True)],
        dtype=object,
    )
    rejects.add(text == "", "plc", "missing place", fatal=True)
    odd = (text != "") & (status == "")
    rejects.add(odd, "plc", "unknown place '{}'", text, fatal=True)
    zero = position == 0
    rejects.add(zero, "plc", "place '{}' is not a position", text, fatal=True)
    return status, position, dead_heat


def _horses(table: CsvTable, rejects: RejectLog) -> tuple[np.ndarray, np.ndarray]:
    """The brand number (the key) and the name of each row's horse."""
    text = table.text("horse")
    found = [_HORSE.fullmatch(t) for t in text]
    key = np.array([m.group(2) if m else t for m, t in zip(found, text, strict=True)], dtype=object)
    name = np.array(
        [m.group(1) if m else t for m, t in zip(found, text, strict=True)], dtype=object
    )
    rejects.add(text == "", "horse", "missing horse", fatal=True)
    return key, name


def _same_horse_twice(
    table: CsvTable, rejects: RejectLog, key: pd.DataFrame, horse: np.ndarray
) -> None:
    frame = key.assign(horse=horse, line=np.where(rejects.dropped, np.nan, table.lines))
    first = frame.groupby(["venue", "date", "number", "horse"], dropna=False)["line"].transform(
        "min"
    )
    later = ~rejects.dropped & (first.to_numpy() != table.lines)
    rejects.add(later, "horse", "same horse in the same race as line {:.0f}", first, fatal=True)


def _lengths(table: CsvTable, rejects: RejectLog, position: np.ndarray) -> np.ndarray:
    text = table.text("lbw")
    out = np.full(len(text), np.nan)
    for i, t in enumerate(text):
        if t in _MARGINS:
            out[i] = _MARGINS[t]
        elif t == "-":
            out[i] = 0.0 if position[i] == 1 else np.nan
        elif (m := _LENGTHS.fullmatch(t)) is not None:
            whole, numerator, denominator = m.groups()
            if denominator is None:
                out[i] = float(numerator)
            else:
                out[i] = float(whole or 0) + float(numerator) / float(denominator)
    bad = (text != "") & np.isnan(out) & ~np.isin(text, ["-", *_UNKNOWN_MARGINS])
    rejects.add(bad, "lbw", "unreadable margin '{}'", text, fatal=False)
    return out


def _running_positions(table: CsvTable, rejects: RejectLog) -> np.ndarray:
    text = table.text("runningpos")
    out = np.full((len(text), N_CALLS), np.nan)
    for i, t in enumerate(text):
        calls = t.split()
        if calls and len(calls) <= N_CALLS and all(c.isdigit() and 0 < int(c) < 100 for c in calls):
            out[i, : len(calls)] = [float(c) for c in calls]
        elif calls:
            out[i, 0] = -1.0  # marks the reject below
    bad = out[:, 0] == -1.0
    out[bad] = np.nan
    template = f"unreadable running positions '{{}}' (at most {N_CALLS} numbers)"
    rejects.add(bad, "runningpos", template, text, fatal=False)
    return out


def _finish_times(table: CsvTable, rejects: RejectLog) -> np.ndarray:
    text = table.text("finishtime")
    found = [_TIME.fullmatch(t) for t in text]
    out = np.array([int(m[1]) * 60 + int(m[2]) + int(m[3]) / 100 if m else np.nan for m in found])
    bad = (text != "") & (text != "---") & np.isnan(out)
    rejects.add(bad, "finishtime", "unreadable finish time '{}' (m.ss.cc)", text, fatal=False)
    return out


def _courses(text: np.ndarray, rejects: RejectLog) -> tuple[np.ndarray, np.ndarray]:
    surface = np.full(len(text), "", dtype=object)
    course = np.full(len(text), "", dtype=object)
    for i, t in enumerate(text):
        if (m := _COURSE.fullmatch(t)) is not None:
            surface[i], course[i] = "turf", m.group(1)
        elif t.upper() == "ALL WEATHER TRACK":
            surface[i] = "all_weather"
    bad = (text != "") & (surface == "")
    rejects.add(bad, "course", "unknown course '{}'", text, fatal=False)
    return surface, course
