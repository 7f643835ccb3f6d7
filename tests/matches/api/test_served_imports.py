"""The matches domain's read API is served by API processes installed without the numerical
stack: its modules (and the domain modules they read through) import no ML library and no
worker code, only plain SQLAlchemy tables and views of the domain."""

from __future__ import annotations

from pathlib import Path

from served_imports import problems

MATCHES = Path(__file__).resolve().parents[3] / "src" / "formline" / "matches"

#: The domain modules the API serves with (plain SQLAlchemy Core and pydantic).
SERVED = (
    *sorted((MATCHES / "api").rglob("*.py")),
    MATCHES / "reads.py",
    MATCHES / "prediction_reads.py",
    MATCHES / "prediction_view.py",
    MATCHES / "tables.py",
)
#: What of the domain itself they may import.
DOMAIN_ALLOWED = (
    "formline.matches.api",
    "formline.matches.reads",
    "formline.matches.sports",  # pure data (which sports are served)
    "formline.matches.prediction_reads",
    "formline.matches.prediction_view",
    "formline.matches.tables",
)


def test_the_served_matches_modules_import_no_ml_library_and_no_worker_code() -> None:
    assert len(SERVED) >= 10 and all(path.exists() for path in SERVED)
    assert problems(SERVED, "formline.matches", DOMAIN_ALLOWED) == []


def test_the_check_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import pandas\nfrom formline.matches.models import make_model\n"
        "from formline.matches.tables import matches\n",
        encoding="utf-8",
    )
    assert problems((bad,), "formline.matches", DOMAIN_ALLOWED) == [
        "bad.py imports formline.matches.models",
        "bad.py imports pandas",
    ]
