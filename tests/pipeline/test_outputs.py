"""Result files: output paths checked before the work, atomic writes, timestamps with their zone."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from formline.errors import ConfigError
from formline.pipeline.outputs import check_output, csv_timestamps, write_atomically


def test_check_output_accepts_a_new_file_in_folders_still_to_create(tmp_path: Path) -> None:
    out = tmp_path / "new" / "deeper" / "features.csv"
    assert check_output(out, suffixes=(".csv",)) == out
    assert not (tmp_path / "new").exists()  # checking creates nothing


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("report.json", "use a .csv or .parquet file"),
        ("a-folder", "is a folder, not a file"),
        ("a-file/x.csv", "a-file is not a folder"),
        ("a-file/deeper/x.csv", "a-file is not a folder"),
    ],
)
def test_check_output_refuses_what_cannot_be_written_naming_the_path(
    tmp_path: Path, name: str, reason: str
) -> None:
    (tmp_path / "a-folder").mkdir()
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    out = tmp_path / name
    with pytest.raises(ConfigError) as raised:
        check_output(out, "--out", suffixes=(".csv", ".parquet") if "json" in name else ())
    message = str(raised.value)
    assert message.startswith(f"--out {out}: ") and reason in message
    assert "\n" not in message


def test_write_atomically_leaves_nothing_behind_when_the_write_fails(tmp_path: Path) -> None:
    out = tmp_path / "result.csv"
    out.write_text("the previous result", encoding="utf-8")

    def fails(tmp: Path) -> None:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("the computation broke while writing")

    with pytest.raises(RuntimeError):
        write_atomically(out, fails)
    assert out.read_text(encoding="utf-8") == "the previous result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.csv"]

    written = write_atomically(out, lambda tmp: tmp.write_text("new", encoding="utf-8"))
    assert written == out and out.read_text(encoding="utf-8") == "new"
    assert out.stat().st_mode & 0o644 == 0o644


def test_write_atomically_reports_an_os_error_in_one_line_naming_the_path(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    out = tmp_path / "a-file" / "x.csv"
    with pytest.raises(ConfigError, match=f"^--out {out}: cannot write there: "):
        write_atomically(out, lambda tmp: tmp.write_text("x", encoding="utf-8"))


def test_csv_timestamps_are_iso_8601_with_the_utc_offset() -> None:
    frame = pd.DataFrame(
        {"kickoff_at": pd.to_datetime(["2023-05-20 14:00", None]), "n": [1, 2]},
    )
    text = csv_timestamps(frame, ["kickoff_at"])
    assert text["kickoff_at"].iloc[0] == "2023-05-20T14:00:00+00:00"
    assert pd.isna(text["kickoff_at"].iloc[1])
    assert frame["kickoff_at"].dtype.kind == "M"  # the input is left as it was
    back = pd.to_datetime(text["kickoff_at"].iloc[0])
    assert back == pd.Timestamp("2023-05-20 14:00", tz="UTC")
