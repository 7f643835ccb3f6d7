"""The racing ingest: Hong Kong paths in either layout are found, read and written in one load;
the demo world loads through the same writer."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from hk_files import GDALEY, HK_RESULTS, race_row, results_row, run_row, write_gdaley, write_results

from formline.errors import SourceError
from formline.races.ingest import ingest_hkjc, ingest_race_demo
from formline.races.sources.hkjc import discover_hkjc
from formline.races.store import Counts
from formline.store.db import Store


def _both_layouts(root: Path) -> tuple[Path, Path]:
    folder = write_gdaley(
        root / "gdaley",
        [race_row("0", "1997-06-02", "ST", "1")],
        [run_row("0", "1", "17", "1"), run_row("0", "2", "18", "x")],
    )
    (root / "hk").mkdir()
    path = write_results(
        root / "hk" / "results.csv",
        [results_row("1", "1.0", "A(A001)", lbw="-"), results_row("2", "2.0", "B(A002)")],
    )
    (root / "hk" / "horse_info.csv").write_text(",horse\n0,A(A001)\n", encoding="utf-8")
    return folder, path


def test_both_layouts_load_in_one_ingest(store: Store, tmp_path: Path) -> None:
    folder, path = _both_layouts(tmp_path)
    assert discover_hkjc([tmp_path]) == ([folder], [path])
    assert discover_hkjc([folder / "runs.csv", path]) == ([folder], [path])
    result = ingest_hkjc(store, [tmp_path])
    assert result.rows == {str(folder / "races.csv"): 1, str(folder / "runs.csv"): 2, str(path): 2}
    assert result.loaded == {
        str(folder / "races.csv"): 1,
        str(folder / "runs.csv"): 1,
        str(path): 2,
    }
    assert result.rejects == [f"{folder / 'runs.csv'}:3: result: not a whole number: 'x'"]
    assert result.report.tables["races"] == Counts(inserted=2)
    assert result.report.tables["runners"] == Counts(inserted=3)
    assert not ingest_hkjc(store, [tmp_path]).report.changed


def test_paths_without_race_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file or folder"):
        discover_hkjc([tmp_path / "missing"])
    with pytest.raises(SourceError, match="no Hong Kong race files"):
        discover_hkjc([tmp_path])


@pytest.mark.realdata
def test_the_shared_folders_are_found() -> None:
    if not GDALEY.exists() or not HK_RESULTS.exists():
        pytest.skip("shared data not found")
    assert discover_hkjc([GDALEY.parent / "horse_racing_hk", GDALEY]) == ([GDALEY], [HK_RESULTS])


def test_the_demo_world_ingests(store: Store) -> None:
    result = ingest_race_demo(store, seed=2, now=datetime(2026, 1, 7, 12))
    assert result.report.tables["races"].inserted > 500
    assert result.rejects == []
    assert not ingest_race_demo(store, seed=2, now=datetime(2026, 1, 7, 12)).report.changed
