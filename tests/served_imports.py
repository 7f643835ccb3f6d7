"""What a domain's read-API modules may import: no ML library, no worker code, and of the
domain itself only the modules listed as served (an API install has no numerical stack)."""

from __future__ import annotations

import ast
from pathlib import Path

ML = ("numpy", "pandas", "sklearn", "scipy", "lightgbm", "duckdb", "pyarrow", "numba", "joblib")
BANNED = (
    *ML,
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


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports (``import x``, ``from x import y``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    """Whether module ``name`` is one of ``prefixes`` or inside one."""
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def problems(paths: tuple[Path, ...], package: str, allowed: tuple[str, ...]) -> list[str]:
    """``file imports module`` for each banned import of ``paths``, and each import of the
    domain ``package`` outside its ``allowed`` modules."""
    return [
        f"{path.name} imports {name}"
        for path in paths
        for name in sorted(imports(path))
        if within(name, BANNED) or (within(name, (package,)) and not within(name, allowed))
    ]
