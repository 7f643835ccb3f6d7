"""The layering holds: the pure core imports no adapter; shared machinery knows no sport."""

from __future__ import annotations

import ast
import re
from importlib.metadata import entry_points
from pathlib import Path

from formline.domain import ENTRY_POINT_GROUP

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


#: Names of the football domain that shared code must not use: columns, probabilities, the word.
FOOTBALL_NAMES = (
    "home_goals",
    "away_goals",
    "home_team",
    "away_team",
    "home_team_id",
    "away_team_id",
    "p_home",
    "p_draw",
    "p_away",
    "p_over_2_5",
    "kickoff_at",
    "match_id",
    "football",
)
_FOOTBALL = re.compile(r"\b(" + "|".join(FOOTBALL_NAMES) + r")\b")

#: Shared modules that still name the matches domain, each with why; the list only shrinks (a
#: module that no longer offends must leave it, see the test below).
ALLOWED_DOMAIN_REFERENCES = {
    # Two-sided ratings take home/away columns; the US-sports issue makes them parameters.
    "core/ratings/elo.py": "two-sided ratings read home/away columns",
    "core/ratings/home_advantage.py": "two-sided ratings read home/away columns",
    "core/ratings/margin.py": "two-sided ratings read home/away columns",
    "core/ratings/pi.py": "two-sided ratings read home/away columns",
}
#: Shared modules exempt from the rule: migrations are the store's frozen history.
EXEMPT = ("store/migrations/versions/",)


def _domain_packages() -> tuple[str, ...]:
    points = entry_points(group=ENTRY_POINT_GROUP)
    packages = tuple(sorted({p.value.split(":")[0].rsplit(".", 1)[0] for p in points}))
    assert packages, "no domain is registered (is formline installed?)"
    return packages


def _domain_references(path: Path, packages: tuple[str, ...]) -> set[str]:
    """What ``path`` names of a domain: imports of a domain package, football names in code
    and in string literals (docstrings excepted)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(statement.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        for statement in node.body
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        text = None
        if isinstance(node, ast.Name):
            text = node.id
        elif isinstance(node, ast.Attribute):
            text = node.attr
        elif isinstance(node, ast.arg | ast.keyword):
            text = node.arg
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = None if id(node) in docstrings else node.value
        elif isinstance(node, ast.Import | ast.ImportFrom):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                modules.append(node.module)
            found.update(
                f"import {m}"
                for m in modules
                if any(m == p or m.startswith(p + ".") for p in packages)
            )
        if text:
            found.update(_FOOTBALL.findall(text))
    return found


def _shared_modules(packages: tuple[str, ...]) -> list[Path]:
    domain_dirs = [SRC.joinpath(*p.split(".")[1:]) for p in packages]
    return [
        path
        for path in sorted(SRC.rglob("*.py"))
        if not any(path.is_relative_to(d) for d in domain_dirs)
        and not str(path.relative_to(SRC)).startswith(EXEMPT)
    ]


def test_the_shared_machinery_knows_no_sport() -> None:
    """No shared module imports a domain package or names a football column, except those on
    the allow-list (each with its reason); and every module on the list still needs to be."""
    packages = _domain_packages()
    shared = _shared_modules(packages)
    assert len(shared) > 50
    offending = {
        str(path.relative_to(SRC)): sorted(found)
        for path in shared
        if (found := _domain_references(path, packages))
    }
    unexpected = {k: v for k, v in offending.items() if k not in ALLOWED_DOMAIN_REFERENCES}
    assert unexpected == {}, "shared modules name a domain; move that code into the domain"
    cleaned = sorted(set(ALLOWED_DOMAIN_REFERENCES) - set(offending))
    assert cleaned == [], "these modules are clean now: take them off the allow-list"


def test_the_domain_rule_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        '"""A docstring may say home_goals."""\n'
        "from formline.matches.tables import matches\n"
        "def f(frame):\n"
        '    return frame["p_draw"] + frame.kickoff_at\n',
        encoding="utf-8",
    )
    found = _domain_references(bad, ("formline.matches",))
    assert found == {"import formline.matches.tables", "p_draw", "kickoff_at"}


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
    # The shared served modules name no domain at all: a domain's served reads are its own
    # (formline.matches.prediction_reads, checked by tests/matches/api/test_served_imports.py).
    assert _offending(served, banned) == []


def test_the_layering_test_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import duckdb\nfrom formline.store.db import Store\n", encoding="utf-8")
    global SRC
    saved, SRC = SRC, tmp_path
    try:
        assert len(_offending([bad], ADAPTER_MODULES)) == 2
    finally:
        SRC = saved
