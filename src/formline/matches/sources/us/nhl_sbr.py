"""Read the stacked SBR NHL file (``nhl_odds_rows.csv.gz``): one row per team, two rows per
game, with opening and closing moneylines and totals, and the puck line.

SBR's conventions, and the rules read here
------------------------------------------
* **Rows in pairs.** SBR lists each game as two consecutive rows, the visitor (``vh`` = V)
  then home (H), or N and N on a neutral site (the 2020 bubble), with consecutive rotation
  numbers (``rot``, the first odd). A pair is two consecutive rows of the same season and date
  whose ``rot`` differ by one and whose ``vh`` are V/H, N/N or (once in the file, 2020-01-17)
  H/V; on a neutral site the second row is taken as home, and ``neutral`` is true. A row that
  pairs with neither neighbour is a reject; when one row of a pair is rejected, so is the game,
  and the other row is rejected naming it.
* **Dates without a year.** SBR's ``Date`` is MMDD (``date_mmdd``, ``119`` is January 19). The
  year comes from the season ``YYYY-YY``: August to December are in the first year, January to
  July in the second, except the 2019-20 season's August and September games (the bubble),
  which are in 2020 (the 2020-21 season, January to July 2021, follows the rule). The stacked
  file also writes ``game_date``; a ``game_date`` that disagrees with the date so derived is a
  reject.
* ``final`` counts overtime and the shoot-out winner's goal; a tie or a game with one final
  missing is a reject.
* Lines (bookmaker ``sbr``): each row's ``ml_open``/``ml_close`` are its team's moneylines;
  ``pl_line``/``pl_odds`` its puck line (from 2014-15, taken as closing); ``ou_open``,
  ``ou_close`` the total with this row's price, the over on the pair's first row and the under
  on its second (as SBR writes them).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import numpy.typing as npt

from formline.matches.sources.text_table import ReadLimits
from formline.matches.sources.us.common import (
    Bools,
    Cells,
    Floats,
    LineSpec,
    Texts,
    UsFileRead,
    games_frame,
    lines_frame,
)
from formline.matches.sources.us.frames import UsBatch

SOURCE = "sbr_nhl"
LAYOUT = "nhl_odds_sbr"
COLUMNS = ("season", "game_date", "date_mmdd", "rot", "vh", "team", "final", "ml_open", "ml_close")
_SEASON = re.compile(r"(\d{4})-(\d{2})")
_PAIRS = {("V", "H"): False, ("N", "N"): True, ("H", "V"): False}


def sbr_year(start_year: int, month: int) -> int:
    """The calendar year of an SBR NHL date in month ``month`` of the season that starts in
    ``start_year`` (see the module)."""
    if start_year == 2019 and month in (8, 9):
        return 2020
    return start_year if month >= 8 else start_year + 1


def read_nhl_sbr(path: Path, limits: ReadLimits | None = None) -> UsFileRead:
    """Read the stacked SBR NHL file (see the module for its rules).

    Raises
    ------
    SourceError
        If the file cannot be read, lacks a column of :data:`COLUMNS`, or passes ``limits``.
    """
    cells = Cells(
        path, "an SBR NHL odds file (one row per team)", COLUMNS, SOURCE, limits or ReadLimits()
    )
    n, log = cells.n, cells.log
    season = cells.text("season")
    date = _game_dates(cells, season)
    rot = cells.numbers("rot", "rotation number", fatal=True)
    vh = cells.text("vh")
    log.add(~np.isin(vh, ["V", "H", "N"]), "vh", "not V, H or N: '{}'", vh, fatal=True)
    team = cells.required("team", "team")
    final = cells.numbers("final", "score", fatal=True)
    bad = np.isfinite(final) & ((final < 0) | (final != np.floor(final)))
    log.add(bad, "final", "not a score: '{}'", cells.text("final"), fatal=True)
    final[bad] = np.nan
    first, neutral = _pair(rot, vh, season, date)
    paired = np.zeros(n, dtype=bool)
    paired[first] = paired[first + 1] = True
    log.add(
        ~paired,
        "",
        "no partner row: SBR games are two consecutive rows (visitor, home)",
        fatal=True,
    )
    a, b = first, first + 1  # first row (visitor), second (home)
    one = np.isfinite(final[a]) != np.isfinite(final[b])
    for mine in (a, b):
        mask = np.zeros(n, dtype=bool)
        mask[mine[one & ~np.isfinite(final[mine])]] = True
        log.add(mask, "final", "missing score (the other team's row has one)", fatal=True)
    tied = np.isfinite(final[a]) & (final[a] == final[b])
    mask = np.zeros(n, dtype=bool)
    mask[b[tied]] = True
    log.add(mask, "final", "tied final score: NHL games have no draws", fatal=True)
    prices = {
        name: cells.american(name)
        for name in ("ml_open", "ml_close", "pl_odds", "ou_open_odds", "ou_close_odds")
    }
    puck = cells.line("pl_line", "puck line", -5.0, 5.0)
    totals = {name: cells.line(name, "total", 1.0, 20.0) for name in ("ou_open", "ou_close")}
    for mine, other in ((a, b), (b, a)):  # a game with one rejected row loses both
        lost = log.dropped[other] & ~log.dropped[mine]
        mask = np.zeros(n, dtype=bool)
        mask[mine[lost]] = True
        lines_of = np.zeros(n, dtype=np.int64)
        lines_of[mine] = cells.table.lines[other]
        log.add(mask, "", "the other row of this game (line {}) was rejected", lines_of, fatal=True)
    cells.check_rejects()
    keep = ~log.dropped[a] & ~log.dropped[b]
    games = games_frame(
        cells,
        "nhl",
        {
            "season": season[a],
            "game_date": date[a],
            "home_team": np.where(vh[a] == "H", team[a], team[b]),
            "away_team": np.where(vh[a] == "H", team[b], team[a]),
            "home_score": np.where(vh[a] == "H", final[a], final[b]),
            "away_score": np.where(vh[a] == "H", final[b], final[a]),
            "neutral": neutral,
        },
        keep=keep,
        lines=cells.table.lines[a],
    )
    home_row = np.where(vh[a] == "H", a, b)[keep]
    away_row = np.where(vh[a] == "H", b, a)[keep]
    specs = []
    for side, rows in (("home", home_row), ("away", away_row)):
        for kind, short in (("opening", "open"), ("closing", "close")):
            specs.append(LineSpec("moneyline", side, kind, american=prices[f"ml_{short}"][rows]))
        specs.append(LineSpec("spread", side, "closing", puck[rows], prices["pl_odds"][rows]))
    for selection, rows in (("over", a[keep]), ("under", b[keep])):
        for kind, short in (("opening", "open"), ("closing", "close")):
            total, price = totals[f"ou_{short}"][rows], prices[f"ou_{short}_odds"][rows]
            specs.append(LineSpec("total", selection, kind, total, price))
    batch = UsBatch(games, lines_frame(games, "sbr", specs), rejects=log.frame())
    return UsFileRead(path, LAYOUT, n, int(log.dropped.sum()), batch.conformed())


def _game_dates(cells: Cells, season: Texts) -> Texts:
    """``game_date``, checked against the date that SBR's MMDD and the season give (see the
    module); a bad season, or a date that disagrees, is a fatal reject."""
    found = [_SEASON.fullmatch(s) for s in season]
    start = np.array([float(m.group(1)) if m else np.nan for m in found])
    ok = np.array([m is not None and (int(m[1]) + 1) % 100 == int(m[2]) for m in found], dtype=bool)
    cells.log.add(~ok, "season", "not a season 'YYYY-YY': '{}'", season, fatal=True)
    date = cells.dates("game_date", "%Y-%m-%d")
    mmdd = cells.numbers("date_mmdd", "MMDD date", fatal=True)
    derived = np.full(cells.n, "", dtype=object)
    for i in np.flatnonzero(np.isfinite(mmdd) & np.isfinite(start)):
        month, day = divmod(int(mmdd[i]), 100)
        derived[i] = f"{sbr_year(int(start[i]), month):04d}-{month:02d}-{day:02d}"
    differs = (date != "") & (derived != "") & (date != derived)
    template = "'{}' is not the date of MMDD {} in season {} ({})"
    text = cells.text("date_mmdd")
    cells.log.add(differs, "game_date", template, date, text, season, derived, fatal=True)
    return date


def _pair(rot: Floats, vh: Texts, season: Texts, date: Texts) -> tuple[npt.NDArray[np.intp], Bools]:
    """The first rows of the pairs (see the module), and whether each pair is neutral."""
    first: list[int] = []
    neutral: list[bool] = []
    i, n = 0, len(rot)
    while i + 1 < n:
        j = i + 1
        kinds = (vh[i], vh[j])
        if (
            kinds in _PAIRS
            and rot[j] == rot[i] + 1
            and season[i] == season[j]
            and date[i] == date[j]
        ):
            first.append(i)
            neutral.append(_PAIRS[kinds])
            i += 2
        else:
            i += 1
    return np.array(first, dtype=np.intp), np.array(neutral, dtype=bool)
