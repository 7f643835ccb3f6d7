"""Publishing is atomic for readers: while a writer publishes large snapshots in a loop, readers
on the API's read path only ever see a complete snapshot, the old one or the new one.

On SQLite (WAL: readers never block the writer) and on PostgreSQL. Readers are threads with
connections of their own; the drivers release the GIL while the database works, so reads and
the publishing transaction really interleave.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

from snapshot_fixtures import FEATURE_VERSION, add_matches, add_model, frame

from formline.matches.api.routes.predictions import build_predictions
from formline.matches.predictions import prediction_rows, publish_predictions
from formline.store.db import Store
from formline.store.readonly import open_read_only_store
from formline.store.reads import current_pointer

N_MATCHES = 1200
N_PUBLISHES = 6
N_READERS = 3
T = datetime(2022, 8, 1)


def test_readers_see_only_complete_snapshots(store: Store) -> None:
    kickoffs = [T + timedelta(days=1, minutes=i) for i in range(N_MATCHES)]
    match_ids = add_matches(store, kickoffs, n_teams=36)
    model_id = add_model(store, "atomic", deploy=True)
    url = store.engine.url.render_as_string(hide_password=False)
    reader_store = open_read_only_store(url)
    # Each snapshot has its own size and its own p_home on every row: a read that mixed two
    # snapshots, or saw part of one, could not pass the checks below.
    plan = [
        (T + timedelta(hours=k), match_ids[: N_MATCHES - 150 * (k % 3)], 0.30 + 0.05 * k)
        for k in range(N_PUBLISHES)
    ]
    expected = {as_of: (len(ids), p_home) for as_of, ids, p_home in plan}
    done = threading.Event()
    problems: list[str] = []
    reads: list[tuple[int, int]] = []

    def writer() -> None:
        try:
            for as_of, ids, p_home in plan:
                publish_predictions(
                    store,
                    model_version_id=model_id,
                    as_of=as_of,
                    horizon_days=7,
                    feature_version=FEATURE_VERSION,
                    predictions=frame(ids, p_home=p_home),
                )
        except Exception as exc:  # reported below: a thread cannot fail the test itself
            problems.append(f"writer: {exc!r}")
        finally:
            done.set()

    def reader() -> None:
        try:
            while not done.is_set():
                with reader_store.connect() as conn:
                    pointer = current_pointer(conn)
                body = build_predictions(reader_store, pointer)
                if body.snapshot is None:
                    assert body.count == 0 and not body.data
                    continue
                snapshot_ids = {p.snapshot_id for p in body.data}
                homes = {p.p_home for p in body.data}
                if body.count != body.snapshot.n_predictions or len(body.data) != body.count:
                    problems.append(
                        f"{body.count} rows of a {body.snapshot.n_predictions} snapshot"
                    )
                if snapshot_ids != {body.snapshot.id}:
                    problems.append(f"rows of snapshots {snapshot_ids} under {body.snapshot.id}")
                want = expected[body.snapshot.as_of.replace(tzinfo=None)]
                if (body.count, homes) != (want[0], {want[1]}):
                    problems.append(f"{body.count} rows with p_home {sorted(homes)[:3]}: {want}")
                reads.append((body.snapshot.id, body.count))
        except Exception as exc:
            problems.append(f"reader: {exc!r}")

    threads = [threading.Thread(target=reader) for _ in range(N_READERS)]
    threads.append(threading.Thread(target=writer))
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    reader_store.dispose()
    assert not problems, problems[:5]
    assert time.monotonic() - started < 300
    seen = {snapshot for snapshot, _ in reads}
    assert len(reads) >= N_PUBLISHES, f"only {len(reads)} reads"
    assert len(seen) >= 2, f"readers saw only snapshots {seen}: no read overlapped a publish"


def test_the_readers_do_notice_a_publish_that_is_not_atomic(store: Store) -> None:
    """Positive control: flip the pointer first and write the rows in later transactions, and
    the same readers catch incomplete snapshots."""
    from sqlalchemy import insert

    from formline.store.tables import (
        predicted_events,
        prediction_snapshots,
        predictions,
        publications,
    )
    from formline.store.types import utcnow

    match_ids = add_matches(store, [T + timedelta(days=1, minutes=i) for i in range(600)], 30)
    model_id = add_model(store, "careless", deploy=True)
    reader_store = open_read_only_store(store.engine.url.render_as_string(hide_password=False))
    done = threading.Event()
    incomplete: list[int] = []

    def careless_writer() -> None:
        try:
            with store.begin() as conn:
                snapshot_id = conn.execute(
                    insert(prediction_snapshots)
                    .values(domain="matches", model_version_id=model_id,
                            models_key=str(model_id), as_of=T,
                            horizon_days=7,
                            feature_version=FEATURE_VERSION, n_predictions=len(match_ids),
                            created_at=utcnow())
                    .returning(prediction_snapshots.c.id)
                ).scalar_one()  # fmt: skip
                conn.execute(
                    insert(publications).values(
                        domain="matches",
                        name="default",
                        snapshot_id=snapshot_id,
                        published_at=utcnow(),
                    )
                )
            rows = (
                frame(match_ids)
                .drop(columns="drivers")
                .assign(drivers=[[]] * len(match_ids), model_version_id=model_id,
                        information="no_market")
            )  # fmt: skip
            for start in range(0, len(match_ids), 100):
                long = prediction_rows(rows.iloc[start : start + 100])
                with store.begin() as conn:
                    for table, part in ((predicted_events, long.events), (predictions, long.rows)):
                        records = part.to_dict("records")
                        conn.execute(
                            insert(table), [{**r, "snapshot_id": snapshot_id} for r in records]
                        )
                time.sleep(0.05)
        finally:
            done.set()

    def reader() -> None:
        while not done.is_set():
            with reader_store.connect() as conn:
                pointer = current_pointer(conn)
            body = build_predictions(reader_store, pointer)
            if body.snapshot is not None and body.count != body.snapshot.n_predictions:
                incomplete.append(body.count)

    threads = [threading.Thread(target=reader), threading.Thread(target=careless_writer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    reader_store.dispose()
    assert incomplete, "the readers should have seen the half-written snapshot"
