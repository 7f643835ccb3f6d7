"""``dataset:rebuild``: the racing training dataset, one row per runner with point-in-time
features, rebuilt in DuckDB in phases and swapped into the store atomically.

Phases, each a ``job_runs`` row (step ``dataset:<phase>``, its rows, its seconds) under the
rebuild's ``run_id``: ``extract`` (the store's racing facts into DuckDB), ``base``,
``career_and_form`` and ``advanced`` (the feature builder's stages, then the dataset with its
names and targets), ``shadow`` (written to :data:`SHADOW_TABLE`), ``validate``
(:mod:`formline.races.dataset_checks` on the shadow table), ``publish`` (the shadow swapped in
as :data:`LIVE_TABLE`, the live one kept as :data:`PREVIOUS_TABLE`) and ``refresh_views`` (the
serving views; a hook, skipped while none is given).

A build that fails validation is kept as :data:`FAILED_TABLE` for inspection and leaves the
live table as it was. A test run (``test_mode``) builds a sample of the latest races, checks it
in DuckDB and publishes nothing.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import pandas as pd
import pyarrow as pa

from formline.engine import compute_session, load_inputs
from formline.errors import DataError, map_errors
from formline.pipeline.runs import interruption
from formline.races.dataset_checks import MIN_ROW_RATIO, check_dataset
from formline.races.dataset_table import DATASET_INPUTS, assemble_dataset, dataset_kinds
from formline.races.features import RaceFeatureParams, race_feature_set
from formline.races.features.build import (
    build_advanced,
    build_base,
    build_career_and_form,
)
from formline.store.db import Store
from formline.store.jobs import finish_job, start_job
from formline.store.table_swap import (
    count_rows,
    rename_table,
    scalar_queries,
    swap_in,
    table_columns,
    write_table,
)

LIVE_TABLE = "race_dataset"
SHADOW_TABLE = "race_dataset_shadow"
PREVIOUS_TABLE = "race_dataset_previous"
FAILED_TABLE = "race_dataset_failed"
#: The rebuild's phases, in order; each is recorded as step ``dataset:<phase>``.
PHASES = (
    "extract",
    "base",
    "career_and_form",
    "advanced",
    "shadow",
    "validate",
    "publish",
    "refresh_views",
)
STEP_PREFIX = "dataset:"
#: Races in the sample of a test run.
SAMPLE_RACES = 200

#: How a refresh of the serving views is called: with the store, after a publish.
RefreshViews = Callable[[Store], int]


@dataclass(frozen=True)
class PhaseRecord:
    """How one phase went: its status, rows and seconds (and what it did)."""

    phase: str
    status: str
    rows: int | None
    seconds: float
    detail: str | None = None


@dataclass
class RebuildResult:
    """What a rebuild did: its run, each phase, the dataset's rows, whether it was published,
    and the problems validation found."""

    run_id: str
    as_of: datetime
    test_mode: bool
    phases: list[PhaseRecord] = field(default_factory=list)
    rows: int = 0
    published: bool = False
    problems: list[str] = field(default_factory=list)


@dataclass
class _Outcome:
    rows: int | None = None
    detail: str | None = None
    status: str = "succeeded"


class _Phases:
    """Records each phase of one rebuild as a ``job_runs`` row under ``run_id``."""

    def __init__(self, store: Store, result: RebuildResult, triggered_by: str) -> None:
        self._store, self._result, self._triggered_by = store, result, triggered_by

    @contextmanager
    def run(self, phase: str) -> Iterator[_Outcome]:
        params = {"as_of": self._result.as_of.isoformat(), "test_mode": self._result.test_mode}
        job_id = start_job(
            self._store,
            run_id=self._result.run_id,
            step=STEP_PREFIX + phase,
            triggered_by=self._triggered_by,
            params=params,
        )
        outcome, started = _Outcome(), time.perf_counter()
        try:
            yield outcome
        except BaseException as exc:
            status = "aborted" if interruption(exc) is not None else "failed"
            finish_job(self._store, job_id, status=status, error=f"{type(exc).__name__}: {exc}")
            raise
        seconds = time.perf_counter() - started
        finish_job(
            self._store, job_id, status=outcome.status, rows=outcome.rows, detail=outcome.detail
        )
        self._result.phases.append(
            PhaseRecord(phase, outcome.status, outcome.rows, seconds, outcome.detail)
        )

    def skip(self, phase: str, why: str) -> None:
        """Record ``phase`` as skipped, with why."""
        with self.run(phase) as outcome:
            outcome.status, outcome.detail = "skipped", why


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])


def _take_sample(con: duckdb.DuckDBPyConnection, as_of: datetime, races: int) -> None:
    """Keep only the latest ``races`` races started by ``as_of`` (or the first ones, if none
    has) and their runners' facts."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE sample_races AS SELECT race_id FROM races "
        "ORDER BY start_at <= ? DESC, CASE WHEN start_at <= ? THEN start_at END DESC, "
        "start_at, race_id LIMIT ?",
        [as_of, as_of, races],
    )
    con.execute("DELETE FROM races WHERE race_id NOT IN (SELECT race_id FROM sample_races)")
    con.execute("DELETE FROM runners WHERE race_id NOT IN (SELECT race_id FROM sample_races)")
    for name in ("runner_results", "race_odds", "runner_info"):
        con.execute(f"DELETE FROM {name} WHERE runner_id NOT IN (SELECT runner_id FROM runners)")


def rebuild_dataset(
    store: Store,
    as_of: datetime,
    *,
    test_mode: bool = False,
    triggered_by: str = "manual",
    run_id: str | None = None,
    params: RaceFeatureParams | None = None,
    sample_races: int = SAMPLE_RACES,
    min_row_ratio: float = MIN_ROW_RATIO,
    refresh_views: RefreshViews | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> RebuildResult:
    """Rebuild the racing training dataset as of ``as_of`` and publish it (see the module).

    Parameters
    ----------
    store
        The store: read for the facts, written for the dataset tables and ``job_runs``.
    as_of
        Naive UTC: no fact observed at or after it is used, no result after it is a target.
    test_mode
        Build a sample of ``sample_races`` races, check it in DuckDB, publish nothing.
    triggered_by
        ``manual``, ``cron`` or ``api``, for ``job_runs``.
    run_id
        The run the phases are recorded under (a new one if None).
    params
        Feature parameters (the defaults if None).
    min_row_ratio
        A build with fewer rows than this share of the live table's is refused.
    refresh_views
        Refreshes the serving views after a publish (returns rows); None skips the phase.
    con
        A DuckDB session already holding :data:`DATASET_INPUTS` (the extract phase then only
        counts them); a fresh one, loaded from the store, if None.

    Raises
    ------
    DataError
        If the build fails validation (the phases so far are recorded, the build is kept as
        :data:`FAILED_TABLE` and the live table is untouched).
    """
    result = RebuildResult(run_id or str(uuid.uuid4()), as_of, test_mode)
    phases = _Phases(store, result, triggered_by)
    owned = con is None
    session = con if con is not None else compute_session()
    try:
        with phases.run("extract") as out:
            if owned:
                load_inputs(session, store, DATASET_INPUTS)
            if test_mode:
                _take_sample(session, as_of, sample_races)
            out.rows = _count(session, "runners")
        with map_errors("building the racing dataset"):
            with phases.run("base") as out:
                build_base(session, as_of, params)
                out.rows = _count(session, "cards")
            with phases.run("career_and_form") as out:
                build_career_and_form(session, params)
                out.rows = _count(session, "runs")
            with phases.run("advanced") as out:
                build_advanced(session, params)
                frame = assemble_dataset(session, as_of, params)
                out.rows = result.rows = len(frame)
        if test_mode:
            _validate_sample(session, frame, phases, result, params)
        else:
            _publish(store, frame, phases, result, params, min_row_ratio)
    finally:
        if owned:
            session.close()
    if result.published and refresh_views is not None:
        with phases.run("refresh_views") as out:
            out.rows = refresh_views(store)
    else:
        phases.skip("refresh_views", _no_refresh_reason(result, refresh_views))
    if result.problems:
        kept = "a test run" if test_mode else f"kept as {FAILED_TABLE}"
        raise DataError(
            f"the racing dataset failed validation ({kept}; the live table is unchanged): "
            f"{'; '.join(result.problems)}"
        )
    return result


def _no_refresh_reason(result: RebuildResult, refresh: RefreshViews | None) -> str:
    if result.test_mode:
        return "test mode: nothing published"
    if not result.published:
        return "nothing published"
    return "no view refresh configured"


def _validate_sample(
    con: duckdb.DuckDBPyConnection,
    frame: pd.DataFrame,
    phases: _Phases,
    result: RebuildResult,
    params: RaceFeatureParams | None,
) -> None:
    phases.skip("shadow", "test mode: the sample stays in DuckDB")
    with phases.run("validate") as out, map_errors("checking the sample"):
        con.register("_dataset", frame)
        con.execute("CREATE OR REPLACE TEMP TABLE dataset AS SELECT * FROM _dataset")
        con.unregister("_dataset")
        columns = [str(c) for c in frame.columns]

        def count(queries: object) -> list[int | None]:
            return [con.execute(q).fetchall()[0][0] for q in queries]  # type: ignore[attr-defined]

        out.rows, result.problems = check_dataset(
            count,
            table="dataset",
            dialect="duckdb",
            as_of=result.as_of,
            columns=columns,
            features=race_feature_set(params).names,
            previous_rows=None,
        )
        out.detail = _verdict(result.problems, "a sample of the latest races")
        if result.problems:
            out.status = "failed"
    phases.skip("publish", "test mode")


def _verdict(problems: list[str], what: str) -> str:
    if not problems:
        return f"{what}: every check passed"
    return f"{what}: {'; '.join(problems)}"


def _publish(
    store: Store,
    frame: pd.DataFrame,
    phases: _Phases,
    result: RebuildResult,
    params: RaceFeatureParams | None,
    min_row_ratio: float,
) -> None:
    kinds = dataset_kinds(frame, race_feature_set(params).names)
    with phases.run("shadow") as out:
        data = pa.Table.from_pandas(frame, preserve_index=False)
        out.rows = write_table(store, SHADOW_TABLE, data, kinds)
        del data
    with phases.run("validate") as out:
        previous = count_rows(store, LIVE_TABLE)
        out.rows, result.problems = check_dataset(
            lambda queries: scalar_queries(store, queries),
            table=SHADOW_TABLE,
            dialect=store.dialect,
            as_of=result.as_of,
            columns=table_columns(store, SHADOW_TABLE),
            features=race_feature_set(params).names,
            previous_rows=previous,
            min_row_ratio=min_row_ratio,
        )
        out.detail = _verdict(result.problems, f"against {previous or 0} live rows")
        if result.problems:
            out.status = "failed"
            rename_table(store, SHADOW_TABLE, FAILED_TABLE)
    if result.problems:
        phases.skip("publish", f"validation failed: the build is kept as {FAILED_TABLE}")
        return
    with phases.run("publish") as out:
        had_live = swap_in(store, shadow=SHADOW_TABLE, live=LIVE_TABLE, previous=PREVIOUS_TABLE)
        out.rows = result.rows
        out.detail = f"{LIVE_TABLE} swapped in" + (
            f", the previous build kept as {PREVIOUS_TABLE}" if had_live else " (the first build)"
        )
    result.published = True
