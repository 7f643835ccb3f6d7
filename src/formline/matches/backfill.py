"""Resumable backfill of football-data.co.uk seasons over HTTP.

The work is split into partitions, one per (source, competition, season), each fetched through
the HTTP source layer (:mod:`formline.fetch`: rate limit, retries, conditional GET, the on-disk
cache, :func:`~formline.matches.sources.football_data_http.check_csv`) and loaded through the
football-data adapter and the staged load (:func:`formline.matches.store.staged_load`) in one
transaction that also writes the partition's watermark (``backfill_partitions``, see
:mod:`formline.store.backfill`). So a partition is either loaded with its watermark or not at
all: a backfill killed mid-way leaves the partitions it finished, and ``resume`` fetches only
the others. A partition that fails (the source is unavailable, the file is not football-data's
or passes a limit) rolls back and records its error; the others go on.

Re-running a finished backfill changes nothing: with ``resume`` no request is made; without it
every file is asked for again (a conditional GET, or the cache), and one whose checksum is the
watermark's is not loaded again.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from formline.errors import SourceError
from formline.fetch import Fetched, HttpSource
from formline.matches.ingest import format_rejects, refuse_demo_world
from formline.matches.sources.football_data import SOURCE, FootballDataStream
from formline.matches.sources.football_data_http import season_path
from formline.matches.sources.text_table import ReadLimits
from formline.matches.store import MatchLoadReport, staged_load
from formline.pipeline.progress import NoProgress, Progress
from formline.store.backfill import Watermark, read_watermarks, write_watermark
from formline.store.db import Store

__all__ = ["BackfillResult", "PartitionOutcome", "backfill_football_data"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PartitionOutcome:
    """What the backfill did with one partition.

    ``status``: ``loaded`` (fetched and loaded now), ``skipped`` (done before; ``resume``),
    ``unchanged`` (fetched again, the same payload as loaded before) or ``failed``.
    """

    season: str
    url: str
    status: str
    how: str = ""  # the fetch: "fetched", "not-modified", "cache" ("" when not fetched)
    rows: int = 0
    rejects: list[str] = field(default_factory=list)
    checksum: str | None = None
    error: str | None = None
    report: MatchLoadReport | None = None
    failure: SourceError | None = None  # the error of a failed partition


@dataclass(frozen=True)
class BackfillResult:
    """The partitions of one backfill, in season order."""

    competition: str
    outcomes: list[PartitionOutcome]
    requests: int  # HTTP requests sent (retries included)

    @property
    def failed(self) -> list[PartitionOutcome]:
        """The partitions that failed."""
        return [o for o in self.outcomes if o.status == "failed"]


def backfill_football_data(
    store: Store,
    http: HttpSource,
    competition: str,
    seasons: list[str],
    *,
    resume: bool = False,
    limits: ReadLimits | None = None,
    progress: Progress | None = None,
) -> BackfillResult:
    """Fetch and load ``competition``'s ``seasons`` (see the module docstring).

    Parameters
    ----------
    store
        The store (of real data: the demo world's is refused).
    http
        The football-data source (its base URL, rate limit, retries and cache).
    competition, seasons
        The division code (``E0``) and the seasons (``2018-19``), in order.
    resume
        Skip the partitions already done, without a request.
    limits
        Bounds on each file (size, line length, rejects).

    Returns
    -------
    BackfillResult
        One outcome per season; the failed ones carry their error (and so does their
        watermark).

    Raises
    ------
    MixedWorldsError
        If the store holds the demo world (before any request).
    ConfigError
        If ``competition`` or a season is malformed.
    """
    refuse_demo_world(store)
    paths = {season: season_path(competition, season) for season in seasons}
    progress = progress or NoProgress()
    with store.connect("reading the backfill's watermarks") as conn:
        marks = read_watermarks(conn, SOURCE, competition)
    start = http.requests
    outcomes = []
    progress.start("backfilling", len(seasons))
    for season in seasons:
        mark = marks.get(season)
        outcomes.append(
            _partition(store, http, competition, season, paths[season], mark, resume, limits)
        )
        progress.advance("backfilling")
    progress.finish("backfilling")
    return BackfillResult(competition, outcomes, http.requests - start)


def _partition(
    store: Store,
    http: HttpSource,
    competition: str,
    season: str,
    path: str,
    mark: Watermark | None,
    resume: bool,
    limits: ReadLimits | None,
) -> PartitionOutcome:
    url = http.shown(path)
    done = mark is not None and mark.status == "done"
    if resume and done and mark is not None:
        return PartitionOutcome(season, url, "skipped", rows=mark.rows or 0, checksum=mark.checksum)
    try:
        fetched = http.fetch(path)
        if done and mark is not None and mark.checksum == fetched.sha256 and mark.error is None:
            return PartitionOutcome(
                season, url, "unchanged", fetched.how, mark.rows or 0, checksum=fetched.sha256
            )
        return _load(store, competition, season, fetched, limits)
    except SourceError as exc:
        error = str(exc)
        log.warning("%s %s %s: %s", SOURCE, competition, season, error)
        now = datetime.now(UTC)
        if done and mark is not None:
            # What the store holds is still the partition loaded before: keep it done, with why
            # the new fetch failed.
            failed = replace(mark, error=f"refetch failed: {error}", updated_at=now)
        else:
            failed = Watermark(SOURCE, competition, season, "failed", url, error=error)
        with store.begin("recording the backfill's failed partition") as conn:
            write_watermark(conn, failed)
        return PartitionOutcome(season, url, "failed", error=error, failure=exc)


def _load(
    store: Store, competition: str, season: str, fetched: Fetched, limits: ReadLimits | None
) -> PartitionOutcome:
    """Load one fetched file and its watermark in one transaction."""
    with _on_disk(fetched) as path, staged_load(store, f"loading {fetched.url}") as load:
        file = load.new_file()
        stream = FootballDataStream(path, limits, name=fetched.url)
        for chunk in stream.chunks():
            other = sorted(set(chunk.matches["competition"].dropna()) - {competition})
            if other:
                raise SourceError(
                    f"{fetched.url}: holds matches of {', '.join(other)}, not only {competition}"
                )
            load.add(chunk, file)
        if stream.season is not None and stream.season != season:
            raise SourceError(f"{fetched.url}: holds the season {stream.season}, not {season}")
        load.finish_file(
            file, season=stream.season, played_until=stream.played_until, reason=stream.reason
        )
        report = load.write()
        rows, rejects = load.rows(), format_rejects(load.rejects())
        write_watermark(
            load.conn,
            Watermark(
                SOURCE,
                competition,
                season,
                "done",
                fetched.url,
                rows=rows,
                rejects=len(rejects),
                checksum=fetched.sha256,
                fetched_at=fetched.fetched_at,
            ),
        )
    return PartitionOutcome(
        season, fetched.url, "loaded", fetched.how, rows, rejects, fetched.sha256, report=report
    )


class _on_disk:
    """The fetched body's file: the cache's, or a temporary copy when there is no cache."""

    def __init__(self, fetched: Fetched) -> None:
        self.fetched = fetched
        self._temporary: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> Path:
        if self.fetched.path is not None:
            return self.fetched.path
        self._temporary = tempfile.TemporaryDirectory(prefix="formline-backfill-")
        path = Path(self._temporary.name) / "body.csv"
        path.write_bytes(self.fetched.body)
        return path

    def __exit__(self, *_: object) -> None:
        if self._temporary is not None:
            self._temporary.cleanup()
