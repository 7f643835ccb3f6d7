"""``ingest_football_data`` streams files a chunk at a time into the store's staged load: the
loader never holds more than a chunk of parsed rows, and the chunk size changes nothing stored
or reported (on SQLite and PostgreSQL, on hand-made and on the real files)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import formline.matches.store as writer
from formline.errors import SourceError
from formline.matches.frames import SourceBatch
from formline.matches.ingest import describe_reads, format_rejects, ingest_football_data
from formline.matches.sources.football_data import read_football_data_file
from formline.matches.sources.text_table import ReadLimits
from formline.matches.store import upsert_batch
from formline.store.db import Store, open_store
from support import POSTGRES_URL, require_football_odds, require_postgres, stored_rows

DEFAULT = ReadLimits().chunk_rows
StoreFactory = Callable[[], Store]

HEADER_A = "Div,Date,Time,HomeTeam,AwayTeam,FTHG,FTAG,FTR,HS,AS,B365H,B365D,B365A,MaxH,MaxD,MaxA"
ROWS_A = [
    "E0,10/08/2020,15:00,Burnley,Southampton,3,0,H,10,11,2.4,3.3,3.0,2.5,3.4,3.1",
    "E0,10/08/2020,17:30,Chelsea,Arsenal,,,,12,9,2.1,0.5,3.5,2.2,3.5,3.6",  # stale, bad price
    "E0,11/08/2020,14:00,Everton,Watford,0,0,D,8,7,1.9,3.5,4.2,2.0,3.6,4.3",
    "E0,12/08/2020,15:00,Leeds,Fulham,1,1,D,x,7,2.0,3.2,3.9,2.1,3.3,4.0",  # bad count
    "E0,12/08/2020,15:00,Burnley,Southampton,1,0,H,1,1,2.0,3.0,4.0,2.1,3.1,4.1",  # duplicate
    "E0,33/08/2020,15:00,Wolves,Spurs,1,0,H,1,1,2.0,3.0,4.0,2.1,3.1,4.1",  # bad date
    "E0,13/08/2020,15:00,Brighton,Leicester,2",  # truncated
    "E0,14/08/2020,15:00,Norwich,Villa,2,1,H,4,5,2.6,3.1,2.8,2.7,3.2,2.9,oops",  # ragged
    "E0,15/08/2020,20:00,Newcastle,Sheffield,2,2,D,6,6,2.3,3.2,3.2,2.4,3.3,3.3",
    "E0,09/08/2020,15:00,Palace,United,,,,5,5,4.0,3.5,1.9,4.1,3.6,2.0",  # stale, first day
    "E0,30/06/2020,15:00,West Ham,City,1,3,A,5,9,5.0,4.0,1.6,5.1,4.1,1.7",  # earliest date
    "E0,20/09/2020,15:00,Leeds,Watford,,,,,,2.2,3.3,3.4,2.3,3.4,3.5",  # a fixture to come
]
HEADER_B = "Div,Season,Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR,B365H,B365D,B365A,PSH,PSD,PSA"
ROWS_B = [
    "E0,2019-20,10/08/2020,Burnley,Southampton,2,0,H,2.5,3.3,3.0,2.6,3.4,3.1",  # A's, corrected
    "E0,2019-20,11/08/2020,Everton,Watford,0,0,D,1.9,3.5,4.2,,,",  # A's, same prices
    "D1,2019-20,12/08/2020,Bayern,Dortmund,4,0,H,1.5,4.5,6.0,1.6,4.6,6.1",
    "D1,2019-20,13/08/2020,Koln,Mainz,1,Z,H,1.5,4.5,6.0,1.6,4.6,6.1",  # bad score
]


def _write(folder: Path, name: str, header: str, rows: list[str]) -> Path:
    path = folder / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def hand_made(tmp_path: Path) -> list[Path]:
    return [
        _write(tmp_path, "E0.csv", HEADER_A, ROWS_A),
        _write(tmp_path, "mixed.csv", HEADER_B, ROWS_B),
    ]


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """Makes fresh, migrated stores on one backend (each PostgreSQL one in its own schema)."""
    made: list[Store] = []
    schemas: list[str] = []
    if request.param == "postgresql":
        require_postgres()

    def make() -> Store:
        if request.param == "sqlite":
            url = f"sqlite:///{(tmp_path / f'{len(made)}.db').as_posix()}"
        else:
            import psycopg

            schemas.append(f"t_{uuid.uuid4().hex[:12]}")
            with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
                conn.execute(f"CREATE SCHEMA {schemas[-1]}")
            url = f"{POSTGRES_URL}?options=-csearch_path%3D{schemas[-1]}"
        store = open_store(url, migrate=False)
        store.migrate()
        made.append(store)
        return store

    try:
        yield make
    finally:
        for store in made:
            store.dispose()
        if schemas:
            import psycopg

            with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
                for schema in schemas:
                    conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def _ingest(store: Store, paths: list[Path], chunk_rows: int) -> tuple[object, ...]:
    """What a load reports and stores with chunks of ``chunk_rows`` rows."""
    result = ingest_football_data(store, paths, limits=ReadLimits(chunk_rows=chunk_rows))
    return result.report, result.rows, result.rejects, result.notes, stored_rows(store)


def _in_memory(store: Store, paths: list[Path]) -> tuple[object, ...]:
    """The same load as one batch held in memory (the path before streaming)."""
    reads = [read_football_data_file(path) for path in paths]
    batch = SourceBatch.concat([read.batch for read in reads])
    report = upsert_batch(store, batch)
    books = sorted(set(batch.odds["bookmaker"].dropna()))
    notes = describe_reads(reads, books)
    return report, len(batch.matches), format_rejects(batch.rejects), notes, stored_rows(store)


def test_the_loader_stages_one_chunk_at_a_time(
    hand_made: list[Path], sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [f"E0,{1 + i % 28:02d}/08/2020,,H{i},A{i},1,0,H,1,1,2,3,4,2,3,4" for i in range(40)]
    big = _write(hand_made[0].parent, "big.csv", HEADER_A, rows)
    staged: list[int] = []
    add = writer.StagedLoad.add

    def recording_add(self: writer.StagedLoad, batch: SourceBatch, file: int | None = None) -> None:
        lines = set(batch.matches["source_line"]) | set(batch.rejects["source_line"])
        staged.append(len(lines))
        add(self, batch, file)

    def whole_file(*_: object, **__: object) -> None:
        raise AssertionError("the whole-file reader was used")

    monkeypatch.setattr(writer.StagedLoad, "add", recording_add)
    monkeypatch.setattr(
        "formline.matches.sources.football_data.read_football_data_file", whole_file
    )
    store = open_store(sqlite_url)
    result = ingest_football_data(store, [big, *hand_made], limits=ReadLimits(chunk_rows=7))
    assert result.rows == 40 + 6 + 3
    assert max(staged) == 7  # the source lines of the matches and rejects staged at once
    assert len(staged) == 6 + 2 + 1  # 40 rows in 7s, 12 in 7s, 4


def test_chunk_sizes_load_identically(hand_made: list[Path], fresh_store: StoreFactory) -> None:
    reference = _in_memory(fresh_store(), hand_made)
    report, rows, rejects, _, stored = reference
    # A: 12 rows less 4 dropped (the duplicate, the date, truncated, ragged) and 2 stale;
    # B: 4 less the bad score, and two of its matches are A's
    assert rows == 6 + 3
    assert len(stored["matches"]) == 6 + 1
    assert "E0.csv:3: row: no score but dated before the file's last played match" in "".join(
        rejects
    )
    assert report.matches.inserted == 7
    for chunk_rows in (1, 7, DEFAULT):
        assert _ingest(fresh_store(), hand_made, chunk_rows) == reference, chunk_rows


def test_a_reload_in_other_chunks_changes_nothing(
    hand_made: list[Path], fresh_store: StoreFactory
) -> None:
    store = fresh_store()
    first = ingest_football_data(store, hand_made, limits=ReadLimits(chunk_rows=DEFAULT))
    again = ingest_football_data(store, hand_made, limits=ReadLimits(chunk_rows=3))
    assert first.report.changed and not again.report.changed
    assert again.report.matches.unchanged == first.report.matches.inserted


def test_a_file_refused_in_a_later_chunk_leaves_nothing(
    hand_made: list[Path], fresh_store: StoreFactory
) -> None:
    store = fresh_store()
    limits = ReadLimits(chunk_rows=2, max_rejects=3)
    with pytest.raises(SourceError, match=r"more than 3 rejects \(INGEST_MAX_REJECTS\) by line 7"):
        ingest_football_data(store, hand_made[::-1], limits=limits)
    assert all(not rows for rows in stored_rows(store).values())


REAL_FILES = ("E0_0304.csv", "E0_2122.csv", "D1_1920.csv")  # with 9, 2 and 1 known rejects


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("names", "chunk_rows"),
    [
        pytest.param(REAL_FILES, 7, id="7"),
        pytest.param(REAL_FILES, DEFAULT, id="default"),
        # a chunk per row costs pandas' overhead per row: one file, and only in the slow suite
        pytest.param(REAL_FILES[:1], 1, id="1", marks=pytest.mark.slow),
    ],
)
def test_real_files_load_identically_in_any_chunk_size(
    fresh_store: StoreFactory, names: tuple[str, ...], chunk_rows: int
) -> None:
    seasons = require_football_odds() / "seasons"
    files = [seasons / name for name in names]
    reference = _in_memory(fresh_store(), files)
    assert reference[1] == sum([335, 380, 306][: len(files)])  # matches read
    assert len(reference[2]) == [9, 11, 12][len(files) - 1]  # rejects
    assert _ingest(fresh_store(), files, chunk_rows) == reference
