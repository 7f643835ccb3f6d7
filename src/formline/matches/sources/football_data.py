"""Read football-data.co.uk CSV files into a :class:`~formline.matches.frames.SourceBatch`.

One file (``E0.csv``, ``E0_2223.csv``, the stacked ``matches_all.csv.gz``) becomes matches, their
odds in long form and the rows or cells it rejected. Every cell is read as text and parsed here,
so a bad value becomes a reject (``file:line: column: reason``) instead of a crash or a silent NA.

Conventions
-----------
* ``Date`` is dd/mm/yy or dd/mm/yyyy and ``Time`` the kick-off in UK local time
  (Europe/London); without ``Time`` the kick-off is assumed at 15:00 UK time. ``kickoff_at`` is
  naive UTC.
* ``season`` comes from a ``Season`` column when there is one; otherwise the whole file gets one
  season, from its earliest date (July or later starts a season), because seasons such as
  2019-20 ran into July.
* A finished match's result is known (``observed_at``) two hours after kick-off.
* Odds are kept for Bet365 (``B365``), Pinnacle (``PS`` for 1X2, ``P`` for the other markets),
  the market maximum (``Max``, older ``BbMx``) and average (``Avg``, older ``BbAv``), in the 1X2,
  over/under 2.5 and Asian handicap markets; a ``C`` after the book code marks closing odds.
  The AH line is the home handicap: ``AHCh`` for closing prices, else the first non-empty of
  ``AHh``, ``BbAHh`` and the book's own ``<book>AH`` (Bet365's ``B365AH`` in 2003-05 files).
* Odds timestamps: football-data.co.uk collects its opening odds before the round is played, so
  opening prices are taken as captured and observed one day before kick-off
  (``captured_at = observed_at = kickoff_at - 1 day``); closing prices at kick-off
  (``captured_at = observed_at = kickoff_at``).
* Cells are stripped of surrounding whitespace; team names are otherwise kept as spelled.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pandas as pd

from formline.errors import SourceError
from formline.matches.frames import SPORT_FOOTBALL, SourceBatch
from formline.matches.sources.text_table import (
    RejectLog,
    TextTable,
    floats,
    integers,
    parts,
    strings,
)

SOURCE = "football-data"

#: Div code -> (competition name, country).
COMPETITIONS: dict[str, tuple[str, str]] = {
    "E0": ("Premier League", "England"),
    "E1": ("Championship", "England"),
    "E2": ("League One", "England"),
    "E3": ("League Two", "England"),
    "EC": ("National League", "England"),
    "SC0": ("Scottish Premiership", "Scotland"),
    "D1": ("Bundesliga", "Germany"),
    "D2": ("2. Bundesliga", "Germany"),
    "I1": ("Serie A", "Italy"),
    "I2": ("Serie B", "Italy"),
    "SP1": ("La Liga", "Spain"),
    "SP2": ("Segunda Division", "Spain"),
    "F1": ("Ligue 1", "France"),
    "F2": ("Ligue 2", "France"),
    "N1": ("Eredivisie", "Netherlands"),
    "B1": ("Jupiler League", "Belgium"),
    "P1": ("Primeira Liga", "Portugal"),
    "T1": ("Super Lig", "Turkey"),
    "G1": ("Super League Greece", "Greece"),
}

_UK = ZoneInfo("Europe/London")
_REQUIRED = ("Div", "Date", "HomeTeam", "AwayTeam")
_OLD_NAMES = {"HT": "HomeTeam", "AT": "AwayTeam"}
_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})")
_TIME = re.compile(r"(\d{1,2})[:.](\d{2})")
_SEASON = re.compile(r"(\d{4})[-/](?:\d\d)?(\d\d)")
_STATS = {"S": "shots", "ST": "shots_on_target", "F": "fouls", "C": "corners"}
_STATS |= {"Y": "yellow_cards", "R": "red_cards"}
_PRICE = re.compile(r"(B365|PS|P|Max|Avg|BbMx|BbAv)(C?)(H|D|A|>2\.5|<2\.5|AHH|AHA)")
_BOOKS = {"B365": "bet365", "PS": "pinnacle", "P": "pinnacle", "Max": "market_max"}
_BOOKS |= {"BbMx": "market_max", "Avg": "market_avg", "BbAv": "market_avg"}
_SELECTIONS = {"H": ("1x2", "home"), "D": ("1x2", "draw"), "A": ("1x2", "away")}
_SELECTIONS |= {">2.5": ("over_under", "over"), "<2.5": ("over_under", "under")}
_SELECTIONS |= {"AHH": ("asian_handicap", "home"), "AHA": ("asian_handicap", "away")}

Bools = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]
Texts = npt.NDArray[np.object_]
Dates = npt.NDArray[np.datetime64]


def discover_files(paths: Sequence[Path]) -> list[Path]:
    """List the CSV files to read: files as given, folders searched recursively.

    Parameters
    ----------
    paths
        Files (``.csv`` or ``.csv.gz``) and folders. A folder contributes every ``*.csv`` below
        it, sorted, so the result is deterministic.

    Returns
    -------
    list[Path]
        The files, in order, each once.

    Raises
    ------
    SourceError
        If a path does not exist.
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*.[cC][sS][vV]") if p.is_file())
        elif path.is_file():
            found.append(path)
        else:
            raise SourceError(f"{path}: no such file or folder")
    return list(dict.fromkeys(found))


def read_football_data(path: Path) -> SourceBatch:
    """Read one football-data.co.uk CSV file (``.csv`` or gzipped ``.csv.gz``).

    Parameters
    ----------
    path
        The file. UTF-8 (with or without BOM) and Windows-1252/latin-1 are accepted.

    Returns
    -------
    SourceBatch
        Conformed matches, odds (one row per price) and rejects. A row whose date, time, teams
        or score cannot be used is rejected and skipped; a bad price, statistic or half-time
        score is rejected alone and the match is kept without it.

    Raises
    ------
    SourceError
        If the file cannot be read or is not a football-data.co.uk CSV at all.
    """
    table = TextTable.read(
        path, what="a football-data.co.uk CSV", required=_REQUIRED, renames=_OLD_NAMES
    )
    rejects = RejectLog(table, path, SOURCE, np.zeros(len(table.lines), dtype=bool))
    for pos, reason in table.ragged:
        rejects.add(np.arange(len(table.lines)) == pos, "", reason, fatal=True)
    matches = _matches(table, rejects, path)
    keep = ~rejects.dropped & ~_duplicates(matches, table, rejects)
    odds = _odds(table, matches, keep, rejects)
    return SourceBatch(matches[keep], odds, rejects.frame()).conformed()


def describe_reject(row: Mapping[str, Any] | pd.Series[Any]) -> str:
    """Format one reject as ``file:line: column: reason`` (``file:line: reason`` for a row).

    Parameters
    ----------
    row
        A row of a batch's ``rejects`` frame, e.g. from ``rejects.to_dict("records")``.

    Returns
    -------
    str
        One line, e.g. ``E0.csv:12: FTR: FTR is 'H' but the score is 1-2``.
    """
    where = f"{row['source_file']}:{row['source_line']}"
    column = row["column"]
    return f"{where}: {column}: {row['reason']}" if column else f"{where}: {row['reason']}"


def _counts(
    table: TextTable, names: list[str], noun: str, rejects: RejectLog, *, fatal: bool
) -> Floats:
    """Parse columns of non-negative integers ("2" or "2.0"); a bad cell is NaN and a reject."""
    text = np.column_stack([table.text(name) for name in names])
    num = floats(text)
    bad = (text != "") & ~(np.isfinite(num) & (num >= 0) & (num == np.floor(num)))
    for j in np.flatnonzero(bad.any(axis=0)):
        negative = bad[:, j] & (num[:, j] < 0)
        template = f"negative {noun} '{{}}'"
        rejects.add(negative, names[j], template, text[:, j], fatal=fatal)
        template = f"non-integer {noun} '{{}}'"
        rejects.add(bad[:, j] & ~negative, names[j], template, text[:, j], fatal=fatal)
    return np.where(bad, np.nan, num)


def _kickoffs(table: TextTable, rejects: RejectLog) -> tuple[Dates, pd.Series[pd.Timestamp]]:
    """The calendar date and the naive-UTC kick-off of each row (NaT when unusable)."""
    text = table.text("Date")
    day, month, year = parts(text, _DATE, 3).T
    year = np.where(year < 100, np.where(year < 69, 2000 + year, 1900 + year), year)
    valid = (month >= 1) & (month <= 12) & (day >= 1)
    start = np.where(valid, (year - 1970) * 12 + month - 1, 0).astype("datetime64[M]")
    date = start.astype("datetime64[D]") + np.where(valid, day - 1, 0).astype("timedelta64[D]")
    valid &= date.astype("datetime64[M]") == start  # 31/02 rolls into March: invalid
    date[~valid] = np.datetime64("NaT")
    empty = text == ""
    rejects.add(empty, "Date", "missing date", fatal=True)
    rejects.add(~valid & ~empty, "Date", "unparseable date '{}'", text, fatal=True)
    text = table.text("Time")
    hour, minute = parts(text, _TIME, 2).T
    bad = (text != "") & ~((hour < 24) & (minute < 60))
    rejects.add(bad, "Time", "unparseable time '{}'", text, fatal=True)
    minutes = np.where(text == "", 15 * 60, np.where(bad, 0, hour * 60 + minute))
    local = pd.Series(date + minutes.astype("timedelta64[m]"))
    first = np.ones(len(local), dtype=bool)  # an ambiguous autumn hour: take the first (BST)
    utc = local.dt.tz_localize(_UK, ambiguous=first, nonexistent="shift_forward")
    return date, utc.dt.tz_convert("UTC").dt.tz_localize(None)


def _seasons(table: TextTable, date: Dates, rejects: RejectLog) -> Texts:
    """The ``Season`` column if there is one, else one season from the file's first date."""
    if "Season" in table.header:
        text = table.text("Season")
        years = parts(text, _SEASON, 2)
        bad = np.isnan(years[:, 0]) | ((years[:, 0] + 1) % 100 != years[:, 1])
        rejects.add(bad, "Season", "unparseable season '{}'", text, fatal=True)
        return np.array([f"{y:.0f}-{(y + 1) % 100:02.0f}" for y in years[:, 0]], dtype=object)
    dates = date[~np.isnat(date)]
    first = pd.Timestamp(dates.min()) if dates.size else pd.Timestamp(0)  # no date: all rejects
    start = first.year - (first.month < 7)
    return np.full(len(date), f"{start}-{(start + 1) % 100:02d}", dtype=object)


def _matches(table: TextTable, rejects: RejectLog, path: Path) -> pd.DataFrame:
    """One row per CSV row (fatal problems are recorded in ``rejects.dropped``)."""
    div, home, away = table.text("Div"), table.text("HomeTeam"), table.text("AwayTeam")
    rejects.add(div == "", "Div", "missing Div", fatal=True)
    date, kickoff = _kickoffs(table, rejects)
    rejects.add(home == "", "HomeTeam", "missing home team", fatal=True)
    rejects.add(away == "", "AwayTeam", "missing away team", fatal=True)
    goals = _score(table, ("FTHG", "FTAG", "FTR"), "score", rejects, fatal=True)
    ht = _score(table, ("HTHG", "HTAG", "HTR"), "half-time score", rejects, fatal=False)
    for i, name in enumerate(("HTHG", "HTAG")):
        over = ht[:, i] > goals[:, i]
        template = f"half-time goals {{:.0f}} exceed full-time goals {{:.0f}} (F{name[1:]})"
        rejects.add(over, name, template, ht[:, i], goals[:, i], fatal=False)
        ht[over] = np.nan
    finished = ~np.isnan(goals[:, 0])
    names = [side + code for code in _STATS for side in "HA"]
    stats = _counts(table, names, "count", rejects, fatal=False)
    numbers = {"home_goals": goals[:, 0], "away_goals": goals[:, 1]}
    numbers |= {"home_ht_goals": ht[:, 0], "away_ht_goals": ht[:, 1]}
    for j, name in enumerate(names):
        numbers[f"{'home' if name[0] == 'H' else 'away'}_{_STATS[name[1:]]}"] = stats[:, j]
    n = len(div)
    texts = {
        "sport": np.full(n, SPORT_FOOTBALL),
        "competition": div,
        "competition_name": [COMPETITIONS.get(code, (code,))[0] for code in div],
        "country": [COMPETITIONS[code][1] if code in COMPETITIONS else None for code in div],
        "season": _seasons(table, date, rejects),
        "home_team": home,
        "away_team": away,
        "status": np.where(finished, "finished", "scheduled"),
        "source": np.full(n, SOURCE),
        "source_file": np.full(n, str(path)),
    }
    return pd.DataFrame(
        {
            **{key: strings(values) for key, values in texts.items()},
            **{key: integers(values) for key, values in numbers.items()},
            "kickoff_at": kickoff,
            "observed_at": kickoff.where(finished) + pd.Timedelta(hours=2),
            "source_line": table.lines,
        }
    )


def _score(
    table: TextTable, names: tuple[str, str, str], what: str, rejects: RejectLog, *, fatal: bool
) -> Floats:
    """Parse a (home, away) goals pair: both or neither must be given and the result letter
    (H/D/A) must agree with them. An unusable pair becomes NaN."""
    h, a, r = names
    goals = _counts(table, [h, a], "goals", rejects, fatal=fatal)
    text = np.column_stack([table.text(h), table.text(a)])
    given = ~np.isnan(goals)
    bad = ((text != "") & ~given).any(axis=1)
    only_h, only_a = ~bad & given[:, 0] & ~given[:, 1], ~bad & ~given[:, 0] & given[:, 1]
    rejects.add(only_h, a, f"{h} is '{{}}' but {a} is empty", text[:, 0], fatal=fatal)
    rejects.add(only_a, h, f"{a} is '{{}}' but {h} is empty", text[:, 1], fatal=fatal)
    both, result = given.all(axis=1), table.text(r)
    expected = np.select([goals[:, 0] > goals[:, 1], goals[:, 0] < goals[:, 1]], ["H", "A"], "D")
    wrong = both & (result != "") & (result != expected)
    template = f"{r} is '{{}}' but the {what} is {{:.0f}}-{{:.0f}}"
    rejects.add(wrong, r, template, result, goals[:, 0], goals[:, 1], fatal=fatal)
    orphan = ~bad & ~given.any(axis=1) & (result != "")
    rejects.add(orphan, r, f"{r} is '{{}}' but there is no {what}", result, fatal=fatal)
    goals[~both | wrong] = np.nan
    return goals


def _duplicates(matches: pd.DataFrame, table: TextTable, rejects: RejectLog) -> Bools:
    """Reject a later row for the same match (the natural key) in one file."""
    columns = ["competition", "season", "home_team", "away_team"]
    keys = zip(*(matches[c].to_numpy(dtype=object) for c in columns), strict=True)
    seen: dict[tuple[Any, ...], int] = {}
    first = table.lines.copy()
    for pos, key in enumerate(keys):
        if not rejects.dropped[pos]:
            first[pos] = seen.setdefault(key, first[pos])
    later: Bools = first != table.lines
    rejects.add(later, "", "same match as line {}", first, fatal=True)
    return later


def _price_spec(name: str, header: list[str]) -> tuple[Any, ...] | None:
    """``(column, bookmaker, market, selection, kind, line, line columns)`` of a price column."""
    found = _PRICE.fullmatch(name)
    if not found:
        return None
    book, closing, suffix = found.groups()
    market, selection = _SELECTIONS[suffix]
    if (book == "PS" and market != "1x2") or (book == "P" and market == "1x2"):
        return None
    sources = ""  # the AH line: the first non-empty of these columns, row by row
    if market == "asian_handicap":
        options = ["AHCh"] if closing else ["AHh", "BbAHh", f"{book}AH"]
        sources = ",".join(c for c in options if c in header)
        if not sources:
            return None  # prices without a line cannot be stored
    line = 2.5 if market == "over_under" else 0.0
    kind = "closing" if closing else "opening"
    return name, _BOOKS[book], market, selection, kind, line, sources


def _odds(table: TextTable, matches: pd.DataFrame, keep: Bools, rejects: RejectLog) -> pd.DataFrame:
    """Melt the wide price columns of the kept rows into one row per price."""
    specs = [spec for name in table.header if (spec := _price_spec(name, table.header))]
    if not specs:
        return pd.DataFrame()
    names, books, markets, selections, kinds, fixed, sources = map(
        np.array, zip(*specs, strict=True)
    )
    rows = np.flatnonzero(keep)
    text = np.column_stack([table.text(name)[rows] for name in names])
    r, c = np.nonzero(text != "")  # the melt: one entry per non-empty price cell
    at = rows[r]
    price, line = floats(text[r, c]), fixed.astype(float)[c]
    for source in dict.fromkeys(sources[sources != ""]):
        uses = (sources == source)[c]
        line[uses] = _lines(table, source.split(","), at[uses], rejects)
    for template, bad in (
        ("unparseable price '{}'", ~np.isfinite(price)),
        ("non-positive price '{}'", price <= 0),
        ("price '{}' is not above 1", (price > 0) & (price <= 1)),
    ):
        for j in np.unique(c[bad]):
            cell = np.zeros(len(keep), dtype=bool)
            cell[at[bad & (c == j)]] = True
            rejects.add(cell, names[j], template, table.text(names[j]), fatal=False)
    ok = np.flatnonzero(np.isfinite(price) & (price > 1) & np.isfinite(line))
    # A stacked file has both Max and BbMx columns; should a row fill both, keep the first.
    key = pd.factorize(pd.Series(list(zip(books, markets, selections, kinds, strict=True))))[0]
    ok = ok[np.sort(np.unique(at[ok] * len(specs) + key[c[ok]], return_index=True)[1])]
    pos, c = at[ok], c[ok]
    kickoff = matches["kickoff_at"].to_numpy()[pos]
    captured = np.where(kinds[c] == "closing", kickoff, kickoff - np.timedelta64(1, "D"))
    columns = ("sport", "competition", "season", "home_team", "away_team")
    labels = {"bookmaker": books, "market": markets, "selection": selections, "kind": kinds}
    return pd.DataFrame(
        {
            **{name: matches[name].array.take(pos) for name in columns},
            **{name: strings(values).array.take(c) for name, values in labels.items()},
            "line": line[ok],
            "price": price[ok],
            "captured_at": captured,
            "observed_at": captured,
        }
    )


def _lines(
    table: TextTable, names: list[str], at: npt.NDArray[np.intp], rejects: RejectLog
) -> Floats:
    """The handicap line at rows ``at``, from the first non-empty of ``names``; reject bad ones."""
    text, origin = table.text(names[0]), np.full(len(table.lines), names[0], dtype=object)
    for name in names[1:]:
        fallback = (text == "") & (table.text(name) != "")
        text, origin = np.where(fallback, table.text(name), text), np.where(fallback, name, origin)
    line = floats(text)
    mask = np.zeros(len(text), dtype=bool)
    mask[at] = True
    mask &= ~np.isfinite(line)
    rejects.add(mask & (text == ""), names[0], "missing handicap line", fatal=False)
    for name in names:
        bad = mask & (text != "") & (origin == name)
        rejects.add(bad, name, "unparseable handicap line '{}'", text, fatal=False)
    return line[at]
