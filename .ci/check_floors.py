"""Check that every floor pyproject.toml declares is the version the lowest resolution installed.

Run with the interpreter of the environment made by ``make test-lowest`` (``uv pip install
--resolution lowest-direct``). A declared ``name>=X`` whose installed version is not ``X`` is a
floor that is not real: ``X`` cannot be installed beside the other floors (another dependency
needs more), so the suite never ran against it. Exits 1 and names each such floor, else prints
one line per dependency.
"""

from __future__ import annotations

import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def declared(pyproject: Path) -> list[Requirement]:
    """Every requirement of the project and its extras, without the self-references."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    lines = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        lines += extra
    requirements = [Requirement(line) for line in lines]
    return [r for r in requirements if r.name != project["name"]]


def floor(requirement: Requirement) -> Version | None:
    for spec in requirement.specifier:
        if spec.operator in (">=", "=="):
            return Version(spec.version)
    return None


def main() -> int:
    problems = []
    for requirement in declared(PYPROJECT):
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        lowest = floor(requirement)
        try:
            installed = Version(metadata.version(requirement.name))
        except metadata.PackageNotFoundError:
            problems.append(f"{requirement}: not installed")
            continue
        status = "ok" if lowest is None or installed == lowest else "NOT THE FLOOR"
        print(f"{requirement.name:28} declared {lowest!s:12} installed {installed!s:12} {status}")
        if status != "ok":
            problems.append(f"{requirement}: the lowest resolution installed {installed}")
    if problems:
        print("floors that are not real (raise them to what installs):", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
