"""The matches domain's ingest: the demo world and football-data.co.uk files into the store
(behind :meth:`MatchesDomain.ingest_demo <formline.matches.domain.MatchesDomain.ingest_demo>` and
:meth:`~formline.matches.domain.MatchesDomain.ingest_paths`)."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from formline.domain import Ingested
from formline.errors import DataError, MixedWorldsError, ReloadRefusedError
from formline.matches.sources.text_table import ReadLimits
from formline.matches.store import MatchLoadReport, replace_source, staged_load
from formline.matches.tables import matches
from formline.pipeline.progress import NoProgress, Progress
from formline.store.db import Store

if TYPE_CHECKING:
    from collections.abc import Mapping

    from formline.matches.sources.football_data import FileRead

DEMO_SOURCE = "demo"
log = logging.getLogger(__name__)


@dataclass
class IngestResult:
    """What an ingest step did."""

    report: MatchLoadReport
    files: int = 0
    rows: int = 0
    rejects: list[str] = field(default_factory=list)
    skipped: bool = False
    message: str = ""
    #: What the adapter made of the files: date forms, odds columns read and ignored, inputs
    #: the source never fills (one line each).
    notes: list[str] = field(default_factory=list)
    reads: list[FileRead] = field(default_factory=list)


def format_rejects(rejects: pd.DataFrame) -> list[str]:
    """Each reject as one line: ``file:line: column: reason``."""
    return [
        f"{file}:{line}: {column or 'row'}: {reason}"
        for file, line, column, reason in zip(
            rejects["source_file"],
            rejects["source_line"],
            rejects["column"],
            rejects["reason"],
            strict=True,
        )
    ]


def ingest_demo(
    store: Store,
    *,
    seed: int = 42,
    now: datetime | None = None,
    force: bool = False,
    n_leagues: int = 3,
    n_teams: int = 20,
    n_seasons: int = 6,
    progress: Progress | None = None,
) -> IngestResult:
    """Load the seeded synthetic world. Without ``force`` an existing demo load is kept.

    With ``force`` the demo world is reloaded in one transaction (see
    :func:`formline.matches.store.replace_source`): rows are upserted by natural key, so a
    match the new world still has keeps its id and every prediction published for it; demo
    rows the new world lacks are deleted; and the reload is refused, with nothing changed, if
    it would delete a match that a stored prediction snapshot predicted. Only demo data is
    touched. The report counts what changed (an identical reload changes nothing).

    Raises
    ------
    MixedWorldsError
        If the store holds real data (the demo world goes into a store of its own).
    ReloadRefusedError
        If a reload would delete a match that a stored snapshot predicted.
    """
    from formline.matches.sources.demo import generate_demo_world

    progress = progress or NoProgress()
    existing, real = _matches_by_world(store)
    if real:
        raise MixedWorldsError(
            f"{store.display_url} holds {real} matches of real data; the demo world is "
            "synthetic and models would train on both: load it into a store of its own (another "
            "FORMLINE_HOME or DATABASE_URL)"
        )
    if existing and not force:
        return IngestResult(
            MatchLoadReport(),
            skipped=True,
            message=f"demo data already loaded ({existing} matches); use --force to reload it",
        )
    progress.start("generating the demo world", None)
    batch = generate_demo_world(
        seed=seed, now=now, n_leagues=n_leagues, n_teams=n_teams, n_seasons=n_seasons
    )
    progress.finish("generating the demo world")
    progress.start("writing to the store", None)
    try:
        report = replace_source(store, batch, DEMO_SOURCE)
    except ReloadRefusedError as exc:
        raise ReloadRefusedError(
            f"{exc}. Reload the same world (the same --seed, --leagues, --teams and --seasons, "
            "and a --now in the same season), or load the new one into a fresh store (another "
            "FORMLINE_HOME or DATABASE_URL)"
        ) from exc
    progress.finish("writing to the store")
    return IngestResult(report, rows=len(batch.matches))


def ingest_football_data(
    store: Store,
    paths: list[Path],
    *,
    limits: ReadLimits | None = None,
    progress: Progress | None = None,
) -> IngestResult:
    """Load football-data.co.uk CSV files (or folders of them) in one transaction.

    Files are streamed a chunk of rows at a time into the load's staging tables (see
    :func:`formline.matches.store.staged_load`), so memory is bounded by a chunk, not by the
    files; the store is written once every file is read, in the same transaction, so a file
    that is not a football-data CSV (or passes one of the ``limits``: size, line length,
    rejects) stops the load with nothing written. Rows with bad values are kept as rejects.
    The result's ``reads`` carry no rows (they went to the store).

    Raises
    ------
    SourceError
        If a path does not exist, a file is not a football-data CSV or passes a limit.
    MixedWorldsError
        If the store holds the demo world (real data goes into a store of its own).
    """
    from formline.matches.sources.football_data import FootballDataStream, discover_files

    progress = progress or NoProgress()
    refuse_demo_world(store)
    files = discover_files(paths)
    if not files:
        raise DataError(f"no CSV files found in {', '.join(str(p) for p in paths)}")
    reads = []
    with staged_load(store, "loading matches") as load:
        progress.start("reading files", len(files))
        for path in files:
            stream = FootballDataStream(path, limits)
            file = load.new_file()
            for chunk in stream.chunks():
                load.add(chunk, file)
            load.finish_file(
                file, season=stream.season, played_until=stream.played_until, reason=stream.reason
            )
            read = stream.read()
            log.info("%s", read.describe())
            reads.append(read)
            progress.advance("reading files")
        progress.finish("reading files")
        progress.start("writing to the store", None)
        report = load.write()
        rows, rejects, books = load.rows(), load.rejects(), load.bookmakers()
    progress.finish("writing to the store")
    return IngestResult(
        report,
        files=len(files),
        rows=rows,
        rejects=format_rejects(rejects),
        notes=describe_reads(reads, books),
        reads=reads,
    )


def refuse_demo_world(store: Store) -> None:
    """Refuse to load real data into a store of the demo world.

    Raises
    ------
    MixedWorldsError
        If the store holds the demo world (real data goes into a store of its own).
    """
    demo, _ = _matches_by_world(store)
    if demo:
        raise MixedWorldsError(
            f"{store.display_url} holds the demo world ({demo} synthetic matches); models would "
            "train on them beside the real data: load real data into a store of its own (another "
            "FORMLINE_HOME or DATABASE_URL)"
        )


def _matches_by_world(store: Store) -> tuple[int, int]:
    """How many of the store's matches are the demo world's, and how many are not."""
    from sqlalchemy import case, func, select

    demo = case((matches.c.source == DEMO_SOURCE, 1), else_=0)
    with store.connect("checking which data the store holds") as conn:
        row = conn.execute(select(func.coalesce(func.sum(demo), 0), func.count())).one()
    return int(row[0]), int(row[1]) - int(row[0])


def describe_reads(reads: list[FileRead], bookmakers: list[str]) -> list[str]:
    """What the adapter made of the files, one line each: the date forms it read, the odds
    columns it read and the bookmakers they name, the columns it ignored, and the inputs this
    source never fills."""
    from formline.matches.sources.football_data import UNFED_COLUMNS

    forms: Counter[str] = Counter()
    files: Counter[str] = Counter()
    read: dict[str, None] = {}
    ignored: Counter[str] = Counter()
    for one in reads:
        forms.update(one.date_forms)
        files.update(one.date_forms.keys())
        read |= dict.fromkeys(one.odds_columns)
        ignored.update(one.ignored_columns)
    n = len(reads)
    lines = [
        "dates read as "
        + (", ".join(f"{f} ({forms[f]} rows in {files[f]} of {n} files)" for f in forms) or "-")
    ]
    books = sorted(set(bookmakers))
    lines.append(
        f"odds columns read ({len(read)}): {', '.join(read) or '-'}; bookmakers stored: "
        f"{', '.join(books) or '-'}"
    )
    lines.append(
        f"columns ignored ({len(ignored)}): "
        + (", ".join(f"{c} ({ignored[c]} files)" for c in ignored) or "-")
    )
    lines.append(
        f"not in football-data files: {', '.join(UNFED_COLUMNS)}: the features built on them "
        "(the xG form features) stay empty for these matches"
    )
    return lines


def ingest_update(
    store: Store, paths: list[Path], limits: Mapping[str, Any] | None = None
) -> Ingested:
    """Re-load football-data paths (the daily run's ingest step; upserts: unchanged rows stay
    as they are), each file bounded by ``limits`` (:class:`ReadLimits` fields)."""
    result = ingest_football_data(store, paths, limits=ReadLimits(**limits) if limits else None)
    report = result.report
    return Ingested(
        rows=report.matches.inserted + report.matches.updated,
        detail=f"{result.files} files; matches {report.matches.inserted} inserted, "
        f"{report.matches.updated} updated, {report.matches.unchanged} unchanged; odds "
        f"{report.odds.inserted} inserted, {report.odds.updated} updated, "
        f"{report.odds.unchanged} unchanged; {len(result.rejects)} rejects",
        result=result,
    )
