"""The transfer sources and identity rules are pure: they import no store, engine or database
driver, and no other domain."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "formline" / "transfers"
BANNED = (
    "sqlalchemy",
    "duckdb",
    "psycopg",
    "sqlite3",
    "formline.store",
    "formline.engine",
    "formline.pipeline",
    "formline.matches",
    "formline.races",
)


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def _offending(paths: list[Path]) -> list[str]:
    return [
        f"{path.name} imports {name}"
        for path in paths
        for name in sorted(_imports(path))
        if any(name == b or name.startswith(b + ".") for b in BANNED)
    ]


def test_sources_frames_and_identity_touch_no_store() -> None:
    pure = [*sorted((SRC / "sources").glob("*.py")), SRC / "frames.py", SRC / "identity.py"]
    assert len(pure) >= 10  # the demo world's three modules among them
    assert _offending(pure) == []


def test_the_signal_computations_touch_no_store() -> None:
    # DuckDB is their engine; the store, SQLAlchemy and the drivers are the adapter's.
    pure = [SRC / "attention.py", SRC / "signals_as_of.py", SRC / "records.py"]
    banned = tuple(b for b in BANNED if b != "duckdb")
    found = [
        f"{path.name} imports {name}"
        for path in pure
        for name in sorted(_imports(path))
        if any(name == b or name.startswith(b + ".") for b in banned)
    ]
    assert found == []


def test_no_transfer_module_imports_another_domain() -> None:
    everything = sorted(SRC.rglob("*.py"))
    problems = [p for p in _offending(everything) if "formline.matches" in p or "races" in p]
    assert problems == []


def test_the_check_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from formline.store.db import Store\nimport formline.races.tables\n")
    assert len(_offending([bad])) == 2
