"""What every US-sports reader shares: parsing cells into values or rejects, American odds,
and building the games and lines frames from parsed columns.

Every cell is read as text (:class:`~formline.matches.sources.text_table.TextTable`) and parsed
here, so a bad value becomes a reject ``file:line: column: reason`` instead of a crash or a
silent NA. A reject is *fatal* when the row cannot be a game (its date, teams or score), and
otherwise drops only that value (a bad price drops that line; the game stays).

A file is read whole (the shared files are a few MB each), within the bounds of
:class:`~formline.matches.sources.text_table.ReadLimits`: a file over the size or line cap, or
with more rejects than ``max_rejects``, is refused whole with a :class:`SourceError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from formline.errors import SourceError
from formline.matches.sources.text_table import (
    ReadLimits,
    RejectLog,
    TextTable,
    floats,
    integers,
)
from formline.matches.sources.us.frames import UsBatch
from formline.matches.sports import SPORTS
from formline.matches.team_aliases import canonical_team

Bools = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]
Texts = npt.NDArray[np.object_]

#: Cells that mean "no value" in the shared files (OddsPortal writes ``-``, R exports ``NA``).
MISSING = ("", "-", "NA", "NaN", "nan")


@dataclass
class UsFileRead:
    """One file as read: its layout, how many data rows it has and how many of them are in no
    game (each of those has at least one reject), and its batch."""

    path: Path
    layout: str
    rows: int = 0
    dropped: int = 0
    batch: UsBatch = field(default_factory=UsBatch)

    def describe(self) -> str:
        """One line: the file, its layout and its counts."""
        b = self.batch
        return (
            f"{self.path}: {self.layout}: {self.rows} rows, {len(b.games)} games, "
            f"{len(b.lines)} lines, {len(b.forecasts)} forecasts, {len(b.rejects)} rejects "
            f"({self.dropped} rows dropped)"
        )


class Cells:
    """One file's table and its reject log, with the parsers every layout uses."""

    def __init__(
        self, path: Path, what: str, required: Sequence[str], source: str, limits: ReadLimits
    ) -> None:
        self.path, self.source, self.limits = path, source, limits
        self.table = TextTable.read(path, what=what, required=required, limits=limits)
        n = len(self.table.lines)
        self.log = RejectLog(self.table, path, source, np.zeros(n, dtype=bool))
        for pos, reason in self.table.ragged + self.table.short:
            self.log.add(np.arange(n) == pos, "", reason, fatal=True)

    @property
    def n(self) -> int:
        """The number of data rows."""
        return len(self.table.lines)

    def text(self, name: str) -> Texts:
        """A column's cells, with :data:`MISSING` tokens as ""."""
        text = self.table.text(name)
        return np.where(np.isin(text, MISSING), "", text).astype(object)

    def numbers(self, name: str, what: str, *, fatal: bool) -> Floats:
        """A numeric column; a cell that is not a number is a reject and NaN."""
        text = self.text(name)
        value = floats(text)
        bad = (text != "") & ~np.isfinite(value)
        self.log.add(bad, name, f"unparseable {what} '{{}}'", text, fatal=fatal)
        return np.where(bad, np.nan, value)

    def required(self, name: str, what: str) -> Texts:
        """A text column that must be filled: an empty cell is a fatal reject."""
        text = self.text(name)
        self.log.add(text == "", name, f"missing {what}", fatal=True)
        return text

    def dates(self, name: str, form: str) -> Texts:
        """A date column read with the ``strptime`` ``form``, as ``YYYY-MM-DD`` text ("" where
        the cell is missing or unparseable: a fatal reject)."""
        text = self.text(name)
        parsed = pd.to_datetime(pd.Series(text, dtype=object), format=form, errors="coerce")
        bad = parsed.isna().to_numpy()
        self.log.add(bad & (text == ""), name, "missing date", fatal=True)
        self.log.add(bad & (text != ""), name, "unparseable date '{}'", text, fatal=True)
        return parsed.dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object)

    def flags(
        self, name: str, true: Sequence[str], false: Sequence[str]
    ) -> npt.NDArray[np.object_]:
        """A yes/no column as True, False or None (an empty cell); anything else is a
        (non-fatal) reject and None."""
        text = self.text(name)
        out = np.full(self.n, None, dtype=object)
        out[np.isin(text, list(true))] = True
        out[np.isin(text, list(false))] = False
        bad = (text != "") & ~np.isin(text, [*true, *false])
        self.log.add(bad, name, "not a yes/no value: '{}'", text, fatal=False)
        return out

    def scores(self, home: str, away: str, sport_name: str) -> tuple[Floats, Floats]:
        """The final score pair: non-negative whole numbers ("24" or "24.0"), both or neither
        (neither: a game not played yet). A half-given, negative or fractional score, or a tie
        where the sport has no draws, is a fatal reject."""
        pair = []
        for name in (home, away):
            text, value = self.text(name), self.numbers(name, "score", fatal=True)
            bad = np.isfinite(value) & ((value < 0) | (value != np.floor(value)))
            self.log.add(bad, name, "not a score: '{}'", text, fatal=True)
            pair.append(np.where(bad, np.nan, value))
        h, a = pair
        given_h, given_a = self.text(home) != "", self.text(away) != ""
        self.log.add(given_h & ~given_a, away, f"missing score ({home} is given)", fatal=True)
        self.log.add(~given_h & given_a, home, f"missing score ({away} is given)", fatal=True)
        if not SPORTS[sport_name].draws_possible:
            tied = np.isfinite(h) & (h == a)
            template = (
                f"tied final score {{:.0f}}-{{:.0f}}: {sport_name.upper()} games have no draws"
            )
            self.log.add(tied, away, template, h, a, fatal=True)
        return h, a

    def american(self, name: str) -> Floats:
        """A column of American odds; a cell that is not a price (unparseable, or between -100
        and +100) is a non-fatal reject and NaN."""
        text = self.text(name)
        value = self.numbers(name, "price", fatal=False)
        bad = np.isfinite(value) & (np.abs(value) < 100)
        self.log.add(bad, name, "not an American price: '{}' (|odds| below 100)", text, fatal=False)
        return np.where(bad, np.nan, value)

    def line(self, name: str, what: str, low: float, high: float) -> Floats:
        """A handicap or total column; a value outside ``[low, high]`` is a non-fatal reject."""
        text = self.text(name)
        value = self.numbers(name, what, fatal=False)
        bad = np.isfinite(value) & ((value < low) | (value > high))
        self.log.add(bad, name, f"{what} '{{}}' is outside [{low:g}, {high:g}]", text, fatal=False)
        return np.where(bad, np.nan, value)

    def check_rejects(self) -> None:
        """Refuse the file when it has more rejects than ``limits.max_rejects``."""
        cap = self.limits.max_rejects
        if cap is not None and self.log.count() > cap:
            line, column, reason = self.log.first()
            first = f"{self.path}:{line}: {column + ': ' if column else ''}{reason}"
            raise SourceError(
                f"{self.path}: more than {cap} rejects (INGEST_MAX_REJECTS), so the file is "
                f"refused and nothing was loaded; the first: {first}"
            )


def american_to_decimal(american: Floats | float) -> Floats:
    """Decimal odds of American odds: ``1 + ml/100`` for ``ml > 0``, ``1 + 100/|ml|`` for
    ``ml < 0`` (``-150`` is 1.6667, ``+130`` is 2.30); NaN stays NaN."""
    ml = np.asarray(american, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ml > 0, 1 + ml / 100, 1 + 100 / np.abs(ml))


def season_labels(sport_name: str, start_years: Floats) -> Texts:
    """Season labels (``"2019-20"`` or ``"2019"``) of start years; "" where NaN."""
    split = SPORTS[sport_name].split_season
    out = [
        "" if not np.isfinite(y) else (f"{y:.0f}-{(int(y) + 1) % 100:02d}" if split else f"{y:.0f}")
        for y in start_years
    ]
    return np.array(out, dtype=object)


def games_frame(
    cells: Cells,
    sport_name: str,
    columns: dict[str, object],
    *,
    keep: Bools | None = None,
    lines: npt.NDArray[np.int64] | None = None,
) -> pd.DataFrame:
    """The games of the kept rows (``keep``, default: rows without a fatal reject).

    ``columns`` holds per-row arrays for ``season``, ``game_date``, ``home_team``,
    ``away_team``, ``home_score``, ``away_score`` and optionally ``season_type``, ``neutral``
    and ``playoff``; ``lines`` overrides the rows' source lines (a pair's first line).
    """
    keep = ~cells.log.dropped if keep is None else keep
    n = int(keep.sum())
    frame = pd.DataFrame({k: np.asarray(v, dtype=object)[keep] for k, v in columns.items()})
    key = ["season", "game_date", "home_team", "away_team"]
    frame["game_number"] = frame.groupby(key, sort=False).cumcount().to_numpy() + 1
    frame["sport"] = sport_name
    frame["competition"] = SPORTS[sport_name].competition
    frame["home_team_canonical"] = [canonical_team(sport_name, t) for t in frame["home_team"]]
    frame["away_team_canonical"] = [canonical_team(sport_name, t) for t in frame["away_team"]]
    for side in ("home_score", "away_score"):
        frame[side] = integers(frame[side].to_numpy(dtype=float))
    played = frame["home_score"].notna() & frame["away_score"].notna()
    frame["status"] = np.where(played.to_numpy(), "finished", "scheduled")
    frame["start_at"] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[us]")
    for flag in ("neutral", "playoff"):
        if flag in frame:
            frame[flag] = pd.array(frame[flag].tolist(), dtype="boolean")
    frame["source"], frame["source_file"] = cells.source, str(cells.path)
    source_lines = cells.table.lines if lines is None else lines
    frame["source_line"] = source_lines[keep] if n else np.array([], dtype=np.int64)
    return frame


@dataclass
class LineSpec:
    """One market's selection of one kind, as per-row arrays aligned with the games frame."""

    market: str
    selection: str
    kind: str
    line: Floats | None = None
    american: Floats | None = None


def lines_frame(games: pd.DataFrame, bookmaker: str, specs: list[LineSpec]) -> pd.DataFrame:
    """One row per game and spec where the spec has a line or a price. A spread or total
    without its line is no line at all (its price says nothing alone)."""
    key = [
        "sport",
        "competition",
        "season",
        "game_date",
        "home_team",
        "away_team",
        "game_number",
    ]
    parts = []
    n = len(games)
    for spec in specs:
        line = np.full(n, np.nan) if spec.line is None else spec.line
        american = np.full(n, np.nan) if spec.american is None else spec.american
        has = np.isfinite(american) if spec.market == "moneyline" else np.isfinite(line)
        if not has.any():
            continue
        part = games.loc[has, [*key, "source", "source_file", "source_line"]].copy()
        part["bookmaker"], part["market"] = bookmaker, spec.market
        part["selection"], part["kind"] = spec.selection, spec.kind
        part["line"] = pd.array(np.where(np.isfinite(line), line, np.nan)[has], dtype="Float64")
        part["american"] = pd.array(american[has], dtype="Float64")
        part["price"] = pd.array(american_to_decimal(american[has]), dtype="Float64")
        parts.append(part)
    if not parts:
        return pd.DataFrame()
    return pd.concat(parts, ignore_index=True)
