"""football-data.co.uk over HTTP: where each season's file is, and what it must look like.

The public site keeps one results-and-odds file per league and season at
``{FOOTBALL_DATA_BASE_URL}/mmz4281/{YYZZ}/{DIV}.csv`` (``mmz4281/1819/E0.csv`` for the Premier
League of 2018-19). Fetching is the shared HTTP layer's (:mod:`formline.fetch`); this module
names the files and checks each body before it is cached or loaded.
"""

from __future__ import annotations

import re

from formline.errors import ConfigError, SourceError
from formline.matches.sources.football_data import _OLD_NAMES, _REQUIRED

__all__ = ["check_csv", "season_path", "seasons_between"]

_SEASON = re.compile(r"(\d{4})-(\d{2})")
_CODE = re.compile(r"[A-Z]{1,3}\d?")


def _start_year(season: str, option: str) -> int:
    found = _SEASON.fullmatch(season.strip())
    if found is None or (int(found[1]) + 1) % 100 != int(found[2]):
        raise ConfigError(f"{option}: '{season}' is not a season such as 2018-19")
    return int(found[1])


def seasons_between(first: str, last: str) -> list[str]:
    """The seasons from ``first`` to ``last`` (both written ``2018-19``), in order.

    Raises
    ------
    ConfigError
        If either is not a season, or ``last`` comes before ``first``.
    """
    start, end = _start_year(first, "--from"), _start_year(last, "--to")
    if end < start:
        raise ConfigError(f"--to {last} comes before --from {first}")
    return [f"{year}-{(year + 1) % 100:02d}" for year in range(start, end + 1)]


def season_path(competition: str, season: str) -> str:
    """The path of a league's season file on the site: ``mmz4281/1819/E0.csv``.

    Raises
    ------
    ConfigError
        If ``competition`` is not a football-data division code (``E0``, ``SP1``, ``SC0`` ...)
        or ``season`` not a season.
    """
    if _CODE.fullmatch(competition) is None:
        raise ConfigError(f"--competition: '{competition}' is not a division code such as E0")
    year = _start_year(season, "season")
    return f"mmz4281/{year % 100:02d}{(year + 1) % 100:02d}/{competition}.csv"


def check_csv(body: bytes, url: str) -> None:
    """The payload check: ``body`` must be a football-data.co.uk CSV (its header names
    ``Div``, ``Date``, ``HomeTeam`` and ``AwayTeam``, or the old ``HT``/``AT``).

    Raises
    ------
    SourceError
        Naming ``url`` and what came instead (an HTML page, an empty body, another CSV).
    """
    first = body[:4096].split(b"\n", 1)[0].removeprefix(b"\xef\xbb\xbf")
    line = first.decode("latin-1").strip()
    columns = [_OLD_NAMES.get(c.strip(), c.strip()) for c in line.split(",")]
    missing = [name for name in _REQUIRED if name not in columns]
    if not body.strip():
        raise SourceError(f"{url}: not a football-data.co.uk CSV (an empty body)")
    if b"\x00" in body[:4096]:
        raise SourceError(f"{url}: not a football-data.co.uk CSV (binary data)")
    if missing:
        shown = line[:60] + ("..." if len(line) > 60 else "")
        raise SourceError(
            f"{url}: not a football-data.co.uk CSV (missing columns: {', '.join(missing)}; "
            f"the first line is '{shown}')"
        )
