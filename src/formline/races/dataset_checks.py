"""The checks a racing training dataset passes before it is published.

Each check is one SQL count over the dataset table, the same text on SQLite, PostgreSQL and
DuckDB (timestamps compared with :func:`~formline.store.table_swap.timestamp_literal`), so the
shadow table in the store and the sample of a test run are checked alike.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from formline.store.table_swap import timestamp_literal

#: Columns that name a runner and may never be NULL.
REQUIRED_COLUMNS = (
    "race_id",
    "runner_id",
    "horse_id",
    "start_at",
    "cutoff_at",
    "source_race_id",
    "venue",
    "horse",
    "card_observed_at",
)
#: Result facts of the runner's own race: targets, never features.
RESULT_COLUMNS = (
    "status",
    "finished",
    "finish_position",
    "won",
    "placed",
    "result_observed_at",
)
#: The least share of the previous build's rows a new build may have.
MIN_ROW_RATIO = 0.5


@dataclass(frozen=True)
class Check:
    """One check: its name, what a failure means, and the SQL counting the offending rows."""

    name: str
    problem: str
    sql: str


def row_checks(table: str, dialect: str, as_of: datetime) -> list[Check]:
    """The per-row checks of ``table`` built as of ``as_of``: each SQL counts the rows that
    break the rule (0: passed)."""
    as_of_sql = timestamp_literal(dialect, as_of)
    nulls = " OR ".join(f"{c} IS NULL" for c in REQUIRED_COLUMNS)
    return [
        Check(
            "unique_runner",
            "runners appear more than once",
            f"SELECT count(*) FROM (SELECT runner_id FROM {table} "
            "GROUP BY runner_id HAVING count(*) > 1) d",
        ),
        Check(
            "required_not_null",
            f"rows lack one of {', '.join(REQUIRED_COLUMNS)}",
            f"SELECT count(*) FROM {table} WHERE {nulls}",
        ),
        Check(
            "cutoff_before_start",
            "rows have a cutoff after the race's start or after as_of",
            f"SELECT count(*) FROM {table} WHERE cutoff_at > start_at OR cutoff_at > {as_of_sql}",
        ),
        Check(
            "card_before_cutoff",
            "rows have a race card observed at or after their cutoff",
            f"SELECT count(*) FROM {table} WHERE card_observed_at >= cutoff_at",
        ),
        Check(
            "own_result_after_cutoff",
            "rows have their own result observed before their cutoff (it would be a feature)",
            f"SELECT count(*) FROM {table} WHERE result_observed_at < cutoff_at",
        ),
        Check(
            "results_known_at_as_of",
            "rows carry a result not observed before as_of",
            f"SELECT count(*) FROM {table} WHERE finish_position IS NOT NULL "
            f"AND (result_observed_at IS NULL OR result_observed_at >= {as_of_sql})",
        ),
    ]


def check_dataset(
    count: Callable[[Sequence[str]], list[int | None]],
    *,
    table: str,
    dialect: str,
    as_of: datetime,
    columns: Sequence[str],
    features: Sequence[str],
    previous_rows: int | None,
    min_row_ratio: float = MIN_ROW_RATIO,
) -> tuple[int, list[str]]:
    """Check the dataset ``table``; returns its rows and the problems found (none: passed).

    Parameters
    ----------
    count
        Runs SQL counts on the database holding ``table`` and returns their values.
    table, dialect
        The table and the SQL dialect of ``count`` (``sqlite``, ``postgresql`` or ``duckdb``).
    as_of
        The build's as_of (naive UTC).
    columns
        The table's columns.
    features
        Every feature the registry names: each must be a column, none a result column.
    previous_rows
        The live table's rows (None: no previous build, or not compared, as on a sample).
    min_row_ratio
        The least share of ``previous_rows`` the table must have.
    """
    problems = []
    missing = [f for f in features if f not in columns]
    if missing:
        problems.append(f"features of the registry missing: {', '.join(missing)}")
    leaking = sorted(set(features) & set(RESULT_COLUMNS))
    if leaking:
        problems.append(f"result columns registered as features: {', '.join(leaking)}")
    absent = [c for c in (*REQUIRED_COLUMNS, *RESULT_COLUMNS) if c not in columns]
    if absent:
        problems.append(f"columns missing: {', '.join(absent)}")
        rows = count([f"SELECT count(*) FROM {table}"])[0] or 0
        return int(rows), problems
    checks = row_checks(table, dialect, as_of)
    found = count([f"SELECT count(*) FROM {table}", *(c.sql for c in checks)])
    rows = int(found[0] or 0)
    if rows == 0:
        problems.append("the build has no runners")
    if previous_rows and rows < min_row_ratio * previous_rows:
        problems.append(
            f"{rows} rows against {previous_rows} in the live table: fewer than "
            f"{min_row_ratio:.0%} of the previous build"
        )
    for check, bad in zip(checks, found[1:], strict=True):
        if bad:
            problems.append(f"{check.name}: {bad} {check.problem}")
    return rows, problems
