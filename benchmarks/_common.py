"""Helpers shared by the benchmark scripts: machine description, temporary stores, input frames,
feature comparison and the ``docs/benchmarks.md`` section writer."""

from __future__ import annotations

import os
import platform
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from formline.engine import compute_session, fetch_arrow
from formline.matches.features import FeatureParams
from formline.matches.features.compute import MATCH_FEATURE_INPUTS
from formline.store import Store, open_store

REPO_ROOT = Path(__file__).resolve().parents[1]
FOOTBALL_ODDS = REPO_ROOT.parent / "shared" / "data" / "football_odds"
DOCS = REPO_ROOT / "docs" / "benchmarks.md"
POSTGRES_URL = os.environ.get(
    "FORMLINE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
DOCS_HEADER = (
    "# Benchmarks\n\n"
    "Figures written by the scripts in `benchmarks/`; each script owns the section between its "
    "markers and rewrites only that. Speed is measured here, never asserted in tests.\n"
)


class StepTimer:
    """A pipeline :class:`~formline.pipeline.progress.Progress` that records seconds per step."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._started: dict[str, float] = {}

    def start(self, step: str, total: int | None = None) -> None:
        self._started[step] = time.perf_counter()

    def advance(self, step: str, amount: int = 1) -> None:
        return None

    def finish(self, step: str) -> None:
        elapsed = time.perf_counter() - self._started.pop(step)
        self.seconds[step] = self.seconds.get(step, 0.0) + elapsed


def machine() -> dict[str, str]:
    """CPU model, cores, RAM, Python and library versions, and the date."""
    import duckdb
    import numba

    cpu = platform.processor() or "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.MULTILINE)
        cpu = found.group(1).strip() if found else cpu
    ram = "unknown"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        found = re.search(r"^MemTotal:\s*(\d+) kB", meminfo.read_text(), re.MULTILINE)
        ram = f"{int(found.group(1)) / 1024**2:.1f} GiB" if found else ram
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "CPU": cpu,
        "cores available": str(affinity),
        "RAM": ram,
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "DuckDB": duckdb.__version__,
        "pandas": pd.__version__,
        "NumPy": np.__version__,
        "numba": numba.__version__,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def football_store(store_url: str | None, folder: Path) -> tuple[Store, float | None]:
    """The store at ``store_url``, or a new SQLite store in ``folder`` loaded with the shared
    football-data files; and the seconds the load took (None when reused)."""
    from formline.matches.ingest import ingest_football_data

    store = open_store(store_url or f"sqlite:///{(folder / 'football.db').as_posix()}")
    if store_url:
        return store, None
    started = time.perf_counter()
    ingest_football_data(store, [FOOTBALL_ODDS / "seasons"])
    return store, time.perf_counter() - started


@contextmanager
def sqlite_store(folder: Path) -> Iterator[Store]:
    """A fresh embedded (SQLite) store in ``folder``, migrated."""
    store = open_store(f"sqlite:///{(folder / 'formline.db').as_posix()}")
    try:
        yield store
    finally:
        store.dispose()


def postgres_problem() -> str | None:
    """None if the PostgreSQL benchmark server answers, else why not."""
    try:
        import psycopg

        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return None
    except Exception as exc:  # any failure means: no server to benchmark here
        return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc) else ''}"


@contextmanager
def postgres_store() -> Iterator[Store]:
    """A store in a fresh PostgreSQL schema, migrated, dropped afterwards."""
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    store = open_store(f"{POSTGRES_URL}?options=-csearch_path%3D{schema}", migrate=False)
    try:
        store.migrate()
        yield store
    finally:
        store.dispose()
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def input_frames(
    store: Store, seconds: dict[str, float] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The feature builder's input frames (matches, odds), read from ``store`` exactly as
    ``features:build`` reads them; ``seconds`` receives the fetch time per table."""
    seconds = seconds if seconds is not None else {}
    frames = []
    for name, query in MATCH_FEATURE_INPUTS.items():
        started = time.perf_counter()
        frames.append(fetch_arrow(store, query).to_pandas())
        seconds[name] = time.perf_counter() - started
    return frames[0], frames[1]


def duckdb_steps(matches: pd.DataFrame, odds: pd.DataFrame, as_of: datetime) -> dict[str, float]:
    """Seconds per step of the DuckDB builder, replaying ``build_match_features`` step by step
    (private helpers of ``formline.matches.features``; empty if they have changed)."""
    from formline.matches.features import build, create_input_tables, league_table, team_state

    params = FeatureParams()
    con = compute_session()
    try:
        steps: dict[str, Callable[[], object]] = {
            "input tables": lambda: create_input_tables(con, matches, odds),
            "params": lambda: con.execute(
                "CREATE TEMP TABLE build_params AS SELECT CAST(? AS TIMESTAMP) AS as_of", [as_of]
            ),
            "results": lambda: team_state.create_results(con),
            "queries": lambda: build._create_queries(con, explicit=False),
            "ratings (numba)": lambda: team_state.create_team_ratings(con, params),
            "team and venue state (running sums)": lambda: team_state.create_team_state(
                con, params
            ),
            "side features (ASOF joins)": lambda: build._create_side_features(con, params),
            "head to head": lambda: build._create_head_to_head(con, params),
            "league table": lambda: league_table.create_league_table(con),
            "market (fetch + de-margin)": lambda: build._market_features(con),
        }
        seconds = {}
        for name, step in steps.items():
            started = time.perf_counter()
            step()
            seconds[name] = time.perf_counter() - started
        return seconds
    except (AttributeError, TypeError) as exc:
        print(f"DuckDB step timing skipped: {exc}")
        return {}
    finally:
        con.close()


def compare_features(
    reference: pd.DataFrame, built: pd.DataFrame, names: list[str], tol: float = 1e-6
) -> pd.DataFrame:
    """Per feature: rows where the two frames disagree (NaN equals NaN; ``tol`` absolute, or
    relative for large values), and the first disagreeing ``match_id`` with both values."""
    a = reference.set_index("match_id").sort_index()
    b = built.set_index("match_id").sort_index()
    if not a.index.equals(b.index):
        raise ValueError("the frames cover different matches")
    rows = []
    for name in names:
        x = a[name].to_numpy(dtype=np.float64, na_value=np.nan)
        y = b[name].to_numpy(dtype=np.float64, na_value=np.nan)
        same = np.isclose(x, y, rtol=tol, atol=tol, equal_nan=True)
        bad = np.flatnonzero(~same)
        first = (int(a.index[bad[0]]), x[bad[0]], y[bad[0]]) if bad.size else (None, None, None)
        rows.append((name, len(x), int(bad.size), *first))
    frame = pd.DataFrame(
        rows, columns=["feature", "rows", "mismatches", "match_id", "reference", "duckdb"]
    )
    return frame.astype({"match_id": "Int64"})


def group_summary(comparison: pd.DataFrame) -> pd.DataFrame:
    """Agreement per registry group: features, features in full agreement, mismatching cells."""
    from formline.matches.features import match_feature_set

    groups = {spec.name: spec.group for spec in match_feature_set()}
    frame = comparison.assign(group=comparison["feature"].map(groups))
    return (
        frame.groupby("group", sort=False)
        .agg(
            features=("feature", "size"),
            agreeing=("mismatches", lambda s: int((s == 0).sum())),
            mismatching_cells=("mismatches", "sum"),
        )
        .reset_index()
    )


def write_section(name: str, body: str, path: Path = DOCS) -> None:
    """Replace the section between ``<!-- name:start -->`` and ``<!-- name:end -->`` in
    ``path`` with ``body`` (appending it if absent; creating the file with a header if missing)."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{body.strip()}\n{end}"
    text = path.read_text() if path.exists() else DOCS_HEADER
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def publish(section: str, blocks: list[str], write_docs: bool = True) -> str:
    """Join ``blocks`` and a table of :func:`machine` into one markdown section, print it and
    (unless ``write_docs`` is false) write it as ``section`` of ``docs/benchmarks.md``."""
    env = pd.DataFrame(list(machine().items()), columns=["", "value"])
    text = "\n\n".join([*blocks, "### Machine", markdown_table(env)])
    print(text)
    if write_docs:
        write_section(section, text)
        print(f"wrote the {section} section of {DOCS.relative_to(REPO_ROOT)}")
    return text


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured markdown table of ``frame`` (no index)."""

    def cell(value: object) -> str:
        if isinstance(value, float):
            return "" if np.isnan(value) else f"{value:.6g}"
        return "" if value is None else str(value)

    lines = ["| " + " | ".join(map(str, frame.columns)) + " |"]
    lines.append("|" + "---|" * len(frame.columns))
    for row in frame.itertuples(index=False, name=None):
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    return "\n".join(lines)
