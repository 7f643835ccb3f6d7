"""The layering holds: the pure core imports no adapter; shared machinery knows no sport."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "formline"

ADAPTER_MODULES = (
    "sqlalchemy",
    "alembic",
    "duckdb",
    "psycopg",
    "sqlite3",
    "redis",
    "httpx",
    "requests",
    "fastapi",
    "starlette",
    "celery",
    "typer",
    "rich",
    "formline.store",
    "formline.engine",
    "formline.pipeline",
    "formline.cli",
    "formline.settings",
    "formline.api",
    "formline.cache",
    "formline.jobs",
)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def _offending(paths: list[Path], banned: tuple[str, ...]) -> list[str]:
    problems = []
    for path in paths:
        for name in sorted(_imports(path)):
            if any(name == b or name.startswith(b + ".") for b in banned):
                problems.append(f"{path.relative_to(SRC)} imports {name}")
    return problems


def test_the_pure_core_imports_no_adapter() -> None:
    core = sorted((SRC / "core").rglob("*.py"))
    assert core, "no core modules found"
    assert _offending(core, ADAPTER_MODULES) == []


def test_the_shared_machinery_knows_no_sport() -> None:
    shared = [
        *sorted((SRC / "core").rglob("*.py")),
        *sorted((SRC / "store").glob("db.py")),
        SRC / "store" / "staging.py",
        SRC / "engine.py",
    ]
    assert _offending(shared, ("formline.matches",)) == []


def test_sources_do_not_touch_the_store() -> None:
    sources = sorted((SRC / "matches" / "sources").glob("*.py"))
    assert _offending(sources, ("sqlalchemy", "duckdb", "formline.store", "formline.engine")) == []


ML_LIBRARIES = (
    "numpy",
    "pandas",
    "sklearn",
    "scipy",
    "lightgbm",
    "duckdb",
    "pyarrow",
    "numba",
    "joblib",
    "optuna",
)
#: Store modules that use pandas or NumPy (the worker's side of the store).
WORKER_STORE = tuple(
    f"formline.store.{name}"
    for name in ("predictions", "registry", "staging", "features", "artifacts", "jobs")
)


def test_the_api_and_the_cache_import_no_ml_library_and_no_worker_code() -> None:
    served = [
        *sorted((SRC / "api").rglob("*.py")),
        *sorted((SRC / "cache").rglob("*.py")),
        *(
            SRC / "store" / f"{name}.py"
            for name in ("reads", "prediction_reads", "readonly", "db", "tables", "types")
        ),
    ]
    assert len(served) > 10
    banned = (
        *ML_LIBRARIES,
        *WORKER_STORE,
        "formline.pipeline",
        "formline.matches",
        "formline.core",
        "formline.engine",
        "formline.cli",
    )
    # A domain's table definitions and its wide view of the predictions are plain SQLAlchemy;
    # the rest of the domain is worker code.
    plain = (" imports formline.matches.tables", " imports formline.matches.prediction_view")
    problems = _offending(served, banned)
    assert [p for p in problems if not p.endswith(plain)] == []


def test_the_layering_test_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import duckdb\nfrom formline.store.db import Store\n", encoding="utf-8")
    global SRC
    saved, SRC = SRC, tmp_path
    try:
        assert len(_offending([bad], ADAPTER_MODULES)) == 2
    finally:
        SRC = saved
