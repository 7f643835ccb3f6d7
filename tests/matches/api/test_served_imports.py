"""The matches domain's read API is served by API processes installed without the numerical
stack: its modules (and the domain modules they read through) import no ML library and no
worker code, only plain SQLAlchemy tables and views of the domain."""

from __future__ import annotations

import ast
from pathlib import Path

MATCHES = Path(__file__).resolve().parents[3] / "src" / "formline" / "matches"

#: The domain modules the API serves with (plain SQLAlchemy Core and pydantic).
SERVED = (
    *sorted((MATCHES / "api").rglob("*.py")),
    MATCHES / "reads.py",
    MATCHES / "prediction_reads.py",
    MATCHES / "prediction_view.py",
    MATCHES / "tables.py",
)
BANNED = (
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
    "formline.core",
    "formline.engine",
    "formline.pipeline",
    "formline.cli",
    *(
        f"formline.store.{name}"
        for name in ("predictions", "registry", "staging", "features", "artifacts", "jobs")
    ),
)
#: What of the domain itself they may import.
DOMAIN_ALLOWED = (
    "formline.matches.api",
    "formline.matches.reads",
    "formline.matches.prediction_reads",
    "formline.matches.prediction_view",
    "formline.matches.tables",
)


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _problems(paths: tuple[Path, ...]) -> list[str]:
    return [
        f"{path.name} imports {name}"
        for path in paths
        for name in sorted(_imports(path))
        if _within(name, BANNED)
        or (_within(name, ("formline.matches",)) and not _within(name, DOMAIN_ALLOWED))
    ]


def test_the_served_matches_modules_import_no_ml_library_and_no_worker_code() -> None:
    assert len(SERVED) >= 10 and all(path.exists() for path in SERVED)
    assert _problems(SERVED) == []


def test_the_check_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import pandas\nfrom formline.matches.models import make_model\n"
        "from formline.matches.tables import matches\n",
        encoding="utf-8",
    )
    assert _problems((bad,)) == [
        "bad.py imports formline.matches.models",
        "bad.py imports pandas",
    ]
