"""Read football-data.co.uk CSV files into a :class:`~formline.matches.frames.SourceBatch`.

One file (``E0.csv``, ``E0_2223.csv``, the stacked ``matches_all.csv.gz``) becomes matches, their
odds in long form and the rows or cells it rejected. Every cell is read as text and parsed here,
so a bad value becomes a reject (``file:line: column: reason``) instead of a crash or a silent NA.

Conventions
-----------
* ``Date`` is dd/mm/yy, dd/mm/yyyy or yyyy-mm-dd (as some mirrors write it; the forms read are
  counted in :attr:`FileRead.date_forms`) and ``Time`` the kick-off in UK local time
  (Europe/London); without ``Time`` the kick-off is assumed at 15:00 UK time. ``kickoff_at`` is
  naive UTC.
* ``season`` comes from a ``Season`` column when there is one; otherwise the whole file gets one
  season, from its earliest date (July or later starts a season), because seasons such as
  2019-20 ran into July.
* A finished match's result is known (``observed_at``) two hours after kick-off.
* Odds are kept for every bookmaker in :data:`BOOKMAKERS` (football-data's codes: Bet365
  ``B365``, Pinnacle ``PS`` for 1X2 and ``P`` for the other markets, William Hill ``WH``, ...),
  the market maximum (``Max``, older ``BbMx``) and average (``Avg``, older ``BbAv``), in the 1X2,
  over/under 2.5 and Asian handicap markets; a ``C`` after the book code marks closing odds.
  Which columns were read and which ignored is in :class:`FileRead`.
  The AH line is the home handicap: ``AHCh`` for closing prices, else the first non-empty of
  ``AHh``, ``BbAHh`` and the book's own ``<book>AH`` (Bet365's ``B365AH`` in 2003-05 files).
* Odds timestamps: football-data.co.uk collects its opening odds before the round is played, so
  opening prices are taken as captured and observed one day before kick-off
  (``captured_at = observed_at = kickoff_at - 1 day``); closing prices at kick-off
  (``captured_at = observed_at = kickoff_at``).
* Cells are stripped of surrounding whitespace; team names are otherwise kept as spelled.
* Also rejected: a count above the store's integer range, a truncated row (fewer fields than the
  header), and a row without a score dated before the file's last played match.
* Files are streamed in chunks of rows and bounded by :class:`ReadLimits` (size, line length,
  rejects per file); a file past a bound is refused whole.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pandas as pd

from formline.errors import SourceError
from formline.matches.frames import SPORT_FOOTBALL, SourceBatch
from formline.matches.sources.text_table import (
    ReadLimits,
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
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_TIME = re.compile(r"(\d{1,2})[:.](\d{2})")
_SEASON = re.compile(r"(\d{4})[-/](?:\d\d)?(\d\d)")
_STATS = {"S": "shots", "ST": "shots_on_target", "F": "fouls", "C": "corners"}
_STATS |= {"Y": "yellow_cards", "R": "red_cards"}
_MAX_COUNT = 2**31 - 1  # the store's integer columns; a larger "count" is not a count

#: football-data.co.uk's bookmaker codes (its notes.txt) -> the ``odds.bookmaker`` stored.
#: ``Max``/``BbMx`` and ``Avg``/``BbAv`` summarise many books (market maximum and average).
BOOKMAKERS: dict[str, str] = {
    "B365": "bet365",
    "BS": "blue_square",
    "BW": "bet_and_win",
    "GB": "gamebookers",
    "IW": "interwetten",
    "LB": "ladbrokes",
    "PS": "pinnacle",
    "P": "pinnacle",
    "SO": "sporting_odds",
    "SB": "sportingbet",
    "SJ": "stan_james",
    "SY": "stanleybet",
    "VC": "vc_bet",
    "WH": "william_hill",
    "1XB": "1xbet",
    "BF": "betfair",
    "BFE": "betfair_exchange",
    "BFD": "betfred",
    "BMGM": "betmgm",
    "BV": "betvictor",
    "CL": "coral",
    "Max": "market_max",
    "BbMx": "market_max",
    "Avg": "market_avg",
    "BbAv": "market_avg",
}
_CODES = "|".join(sorted(map(re.escape, BOOKMAKERS), key=len, reverse=True))
_PRICE = re.compile(rf"({_CODES})(C?)(H|D|A|>2\.5|<2\.5|AHH|AHA)")
_SELECTIONS = {"H": ("1x2", "home"), "D": ("1x2", "draw"), "A": ("1x2", "away")}
_SELECTIONS |= {">2.5": ("over_under", "over"), "<2.5": ("over_under", "under")}
_SELECTIONS |= {"AHH": ("asian_handicap", "home"), "AHA": ("asian_handicap", "away")}
_MATCH_COLUMNS: tuple[str, ...] = ("Div", "Date", "Time", "HomeTeam", "AwayTeam", "Season")
_MATCH_COLUMNS += ("FTHG", "FTAG", "FTR", "HTHG", "HTAG", "HTR")

#: Inputs of the match frame that football-data.co.uk files never fill, so the features built
#: on them (the xG form features) stay empty for this source.
UNFED_COLUMNS = ("home_xg", "away_xg")

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


@dataclass
class FileRead:
    """One football-data.co.uk file as read: its batch, and what the adapter made of it."""

    path: Path
    batch: SourceBatch
    date_forms: dict[str, int] = field(default_factory=dict)  # "dd/mm/yy" -> rows
    odds_columns: list[str] = field(default_factory=list)  # price and handicap-line columns read
    ignored_columns: list[str] = field(default_factory=list)  # columns not read at all

    def describe(self) -> str:
        """One line: the date forms read, how many odds columns were read and which ignored."""
        forms = ", ".join(f"{form} ({n} rows)" for form, n in self.date_forms.items()) or "none"
        ignored = ", ".join(self.ignored_columns) or "none"
        return (
            f"{self.path}: dates read as {forms}; {len(self.odds_columns)} odds columns read; "
            f"columns ignored: {ignored}"
        )


def read_football_data(path: Path, limits: ReadLimits | None = None) -> SourceBatch:
    """Read one football-data.co.uk CSV file (``.csv`` or gzipped ``.csv.gz``).

    Parameters
    ----------
    path
        The file. UTF-8 (with or without BOM) and Windows-1252/latin-1 are accepted.
    limits
        Bounds on the file's size, its lines and its rejects (default: :class:`ReadLimits`).

    Returns
    -------
    SourceBatch
        Conformed matches, odds (one row per price) and rejects. A row whose date, time, teams
        or score cannot be used is rejected and skipped; a bad price, statistic or half-time
        score is rejected alone and the match is kept without it.

    Raises
    ------
    SourceError
        If the file cannot be read, is not a football-data.co.uk CSV at all, or passes one of
        the ``limits``.
    """
    return read_football_data_file(path, limits).batch


def read_football_data_file(path: Path, limits: ReadLimits | None = None) -> FileRead:
    """Like :func:`read_football_data`, with what the adapter made of the file (date forms,
    odds columns read and ignored). The file is streamed ``limits.chunk_rows`` rows at a time
    (see :class:`FootballDataStream`); the whole batch is then held in memory.
    """
    stream = FootballDataStream(path, limits)
    parts = [(c.matches, c.odds, c.rejects) for c in stream.chunks()]
    if stream.season is not None:
        for matches, odds, _ in parts:
            matches["season"] = stream.season
            if not odds.empty:
                odds["season"] = stream.season
    parts = _unplayed_in_the_past(parts, path)
    batch = SourceBatch(
        pd.concat([m for m, _, _ in parts], ignore_index=True),
        pd.concat([o for _, o, _ in parts], ignore_index=True),
        pd.concat([r for _, _, r in parts], ignore_index=True),
    )
    return replace(stream.read(), batch=batch.conformed())


class FootballDataStream:
    """One football-data.co.uk file read a chunk of ``limits.chunk_rows`` rows at a time, so
    what is held is one chunk, never the file.

    :meth:`chunks` yields each chunk's batch (not conformed; the matches carry ``_date``, their
    calendar day, and ``_raw``, the raw record of a row without a score; the odds ``_line``,
    their match's line). Two rules need the whole file and are left to the consumer once the
    chunks are exhausted: without a ``Season`` column every row takes :attr:`season`, and a
    row without a score dated before :attr:`played_until` is rejected with :attr:`reason`
    (:func:`read_football_data_file` applies them in memory, the store's staged load in SQL).
    """

    def __init__(
        self, path: Path, limits: ReadLimits | None = None, name: str | None = None
    ) -> None:
        self.path, self.limits = path, limits or ReadLimits()
        #: What the matches' and rejects' ``source_file`` and the messages call the file (default:
        #: the path; a fetched file is named by its URL).
        self.name = name or str(path)
        #: The one season of a file without a ``Season`` column (known once it is all read).
        self.season: str | None = None
        #: The calendar day of the file's last played match (None: none played).
        self.played_until: np.datetime64 | None = None
        self.forms: dict[str, int] = {}
        self.header: list[str] = []

    @property
    def reason(self) -> str:
        """The reject reason of a row without a score before :attr:`played_until` ("" when no
        match was played)."""
        if self.played_until is None:
            return ""
        last = pd.Timestamp(self.played_until)
        return f"no score but dated before the file's last played match ({last:%Y-%m-%d})"

    def read(self) -> FileRead:
        """What the adapter made of the file (its batch left empty: it was streamed)."""
        read, ignored = _columns(self.header)
        return FileRead(self.path, SourceBatch(), self.forms, read, ignored)

    def chunks(self) -> Iterator[SourceBatch]:
        """The file's chunks, in order (see the class).

        Raises
        ------
        SourceError
            If the file cannot be read, is not a football-data.co.uk CSV at all, or passes one
            of the limits (the message names the file and, where one is to blame, the line).
        """
        path, limits, name = self.path, self.limits, self.name
        seen: dict[tuple[Any, ...], int] = {}  # match key -> its first line, across chunks
        first_date: np.datetime64 | None = None
        count = 0
        first_reject: str | None = None
        tables = TextTable.chunks(
            path,
            what="a football-data.co.uk CSV",
            required=_REQUIRED,
            renames=_OLD_NAMES,
            limits=limits,
            name=name,
        )
        for table in tables:
            self.header = table.header
            rejects = RejectLog(table, name, SOURCE, np.zeros(len(table.lines), dtype=bool))
            for pos, reason in table.ragged + table.short:
                rejects.add(np.arange(len(table.lines)) == pos, "", reason, fatal=True)
            matches, date = _matches(table, rejects, name, self.forms)
            dates = date[~np.isnat(date)]
            if dates.size and (first_date is None or dates.min() < first_date):
                first_date = dates.min()
            keep = ~rejects.dropped & ~_duplicates(matches, table, rejects, seen)
            odds = _odds(table, matches, keep, rejects)
            count += rejects.count()
            if first_reject is None and count:
                line, column, reason = rejects.first()
                first_reject = f"{name}:{line}: {column + ': ' if column else ''}{reason}"
            if limits.max_rejects is not None and count > limits.max_rejects:
                raise SourceError(
                    f"{name}: more than {limits.max_rejects} rejects (INGEST_MAX_REJECTS) by "
                    f"line {table.lines[-1]}, so the file is refused and nothing was loaded; "
                    f"the first: {first_reject}"
                )
            matches = matches[keep]
            scheduled = (matches["status"] == "scheduled").to_numpy()
            played = matches.loc[(matches["status"] == "finished").to_numpy(), "_date"]
            if len(played) and (self.played_until is None or played.max() > self.played_until):
                self.played_until = played.max().to_datetime64()
            raws = [_raw(table, p) for p in np.flatnonzero(keep)[scheduled]]
            matches["_raw"] = pd.Series(None, index=matches.index, dtype=object)
            if raws:
                matches.loc[scheduled, "_raw"] = raws
            frame = rejects.frame()
            if table.short:  # a truncated row is one reject, not one per cell it lacks
                cut = table.lines[[pos for pos, _ in table.short]]
                frame = frame[~frame["source_line"].isin(cut) | (frame["column"] == "")]
            yield SourceBatch(matches, odds, frame)
        if "Season" not in self.header:
            self.season = _file_season(first_date)


def _raw(table: TextTable, pos: int) -> str:
    """The raw record at ``pos`` as the rejects' ``raw`` JSON (non-empty cells only)."""
    pairs = zip(table.header, table.raw[pos], strict=False)
    return json.dumps({k: v for k, v in pairs if v.strip()}, ensure_ascii=False)


def _file_season(first: np.datetime64 | None) -> str:
    """One season for a file without a ``Season`` column, from its earliest date."""
    day = pd.Timestamp(first) if first is not None else pd.Timestamp(0)  # no date: all rejects
    start = day.year - (day.month < 7)
    return f"{start}-{(start + 1) % 100:02d}"


def _unplayed_in_the_past(
    parts: list[tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]], path: Path
) -> list[tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]]:
    """Reject rows without a score dated before the file's last played match: in a results
    file they are truncated or unfinished rows, not fixtures still to come."""
    played = [m.loc[m["status"] == "finished", "_date"] for m, _, _ in parts]
    last = max((p.max() for p in played if len(p)), default=None)
    if last is None:
        return parts
    out = []
    for matches, odds, rejects in parts:
        stale = ((matches["status"] == "scheduled") & (matches["_date"] < last)).to_numpy()
        if stale.any():
            gone = matches[stale]
            reason = f"no score but dated before the file's last played match ({last:%Y-%m-%d})"
            extra = pd.DataFrame(
                {
                    "source": SOURCE,
                    "source_file": str(path),
                    "source_line": gone["source_line"].to_numpy(),
                    "column": "",
                    "reason": reason,
                    "raw": gone["_raw"].to_numpy(),
                }
            )
            rejects = pd.concat([rejects, extra], ignore_index=True)
            rejects = rejects.sort_values("source_line", kind="stable", ignore_index=True)
            if not odds.empty:
                odds = odds[~odds["_line"].isin(gone["source_line"])]
            matches = matches[~stale]
        out.append((matches, odds, rejects))
    return out


def _columns(header: list[str]) -> tuple[list[str], list[str]]:
    """The odds columns (prices and the handicap lines they use) that are read, and every
    column the adapter does not read at all."""
    specs = [spec for name in header if (spec := _price_spec(name, header))]
    lines = {line for spec in specs for line in str(spec[-1]).split(",") if line}
    read = [name for name in header if name in lines or any(s[0] == name for s in specs)]
    stats = {side + code for code in _STATS for side in "HA"}
    used = set(read) | stats | set(_MATCH_COLUMNS)
    ignored = [name for name in header if name not in used and not name.startswith("Unnamed: ")]
    return read, ignored


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
    huge = ~bad & (text != "") & (num > _MAX_COUNT)  # 40 digits would wrap to INT64_MIN
    for j in np.flatnonzero((bad | huge).any(axis=0)):
        negative = bad[:, j] & (num[:, j] < 0)
        template = f"negative {noun} '{{}}'"
        rejects.add(negative, names[j], template, text[:, j], fatal=fatal)
        template = f"non-integer {noun} '{{}}'"
        rejects.add(bad[:, j] & ~negative, names[j], template, text[:, j], fatal=fatal)
        template = f"{noun} '{{}}' is out of range (more than {_MAX_COUNT})"
        rejects.add(huge[:, j], names[j], template, text[:, j], fatal=fatal)
    bad |= huge
    return np.where(bad, np.nan, num)


def _kickoffs(
    table: TextTable, rejects: RejectLog, forms: dict[str, int]
) -> tuple[Dates, pd.Series[pd.Timestamp]]:
    """The calendar date and the naive-UTC kick-off of each row (NaT when unusable); counts the
    rows read in each date form into ``forms``."""
    text = table.text("Date")
    day, month, year = parts(text, _DATE, 3).T
    iso_year, iso_month, iso_day = parts(text, _ISO_DATE, 3).T
    iso = ~np.isnan(iso_year)
    two_digits = ~iso & (year < 100)
    day, month = np.where(iso, iso_day, day), np.where(iso, iso_month, month)
    year = np.where(iso, iso_year, year)
    year = np.where(two_digits, np.where(year < 69, 2000 + year, 1900 + year), year)
    valid = (month >= 1) & (month <= 12) & (day >= 1)
    start = np.where(valid, (year - 1970) * 12 + month - 1, 0).astype("datetime64[M]")
    date = start.astype("datetime64[D]") + np.where(valid, day - 1, 0).astype("timedelta64[D]")
    valid &= date.astype("datetime64[M]") == start  # 31/02 rolls into March: invalid
    date[~valid] = np.datetime64("NaT")
    for form, rows in (
        ("dd/mm/yy", valid & two_digits),
        ("dd/mm/yyyy", valid & ~iso & ~two_digits),
        ("yyyy-mm-dd", valid & iso),
    ):
        if rows.any():
            forms[form] = forms.get(form, 0) + int(rows.sum())
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
    """The ``Season`` column if there is one, else "" (the caller sets one season per file,
    from the file's first date)."""
    if "Season" in table.header:
        text = table.text("Season")
        years = parts(text, _SEASON, 2)
        bad = np.isnan(years[:, 0]) | ((years[:, 0] + 1) % 100 != years[:, 1])
        rejects.add(bad, "Season", "unparseable season '{}'", text, fatal=True)
        return np.array([f"{y:.0f}-{(y + 1) % 100:02.0f}" for y in years[:, 0]], dtype=object)
    return np.full(len(date), "", dtype=object)  # one season per file, set once it is all read


def _matches(
    table: TextTable, rejects: RejectLog, path: Path | str, forms: dict[str, int]
) -> tuple[pd.DataFrame, Dates]:
    """One row per CSV row (fatal problems are recorded in ``rejects.dropped``), and each row's
    calendar date (NaT when unusable)."""
    div, home, away = table.text("Div"), table.text("HomeTeam"), table.text("AwayTeam")
    rejects.add(div == "", "Div", "missing Div", fatal=True)
    date, kickoff = _kickoffs(table, rejects, forms)
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
    frame = pd.DataFrame(
        {
            **{key: strings(values) for key, values in texts.items()},
            **{key: integers(values) for key, values in numbers.items()},
            "kickoff_at": kickoff,
            "observed_at": kickoff.where(finished) + pd.Timedelta(hours=2),
            "source_line": table.lines,
            "_date": date,
        }
    )
    return frame, date


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


def _duplicates(
    matches: pd.DataFrame, table: TextTable, rejects: RejectLog, seen: dict[tuple[Any, ...], int]
) -> Bools:
    """Reject a later row for the same match (the natural key) in one file; ``seen`` holds the
    first line of each key in the chunks read before."""
    columns = ["competition", "season", "home_team", "away_team"]
    keys = zip(*(matches[c].to_numpy(dtype=object) for c in columns), strict=True)
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
    return name, BOOKMAKERS[book], market, selection, kind, line, sources


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
            "_line": table.lines[pos],
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
