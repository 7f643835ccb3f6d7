"""Model bundle files: atomic writes, checksums, feature-version checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from formline.errors import DataError, ModelNotFoundError, SchemaMismatchError
from formline.store.artifacts import file_sha256, load_bundle, save_bundle


def _bundle(**extra: Any) -> dict[str, Any]:
    return {
        "format_version": 1,
        "feature_version": "abc123",
        "feature_names": ["elo_diff", "form_home"],
        "coef": [0.1, -0.2],
        **extra,
    }


def test_round_trip(tmp_path: Path) -> None:
    path, sha = save_bundle(tmp_path / "models", "logistic", 3, _bundle())
    assert path == tmp_path / "models" / "logistic-v3.joblib"
    assert sha == file_sha256(path) and len(sha) == 64
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind
    loaded = load_bundle(path, expected_sha256=sha, expected_feature_version="abc123")
    assert loaded == _bundle()


def test_overwriting_replaces_the_file(tmp_path: Path) -> None:
    _, first = save_bundle(tmp_path, "logistic", 1, _bundle())
    path, second = save_bundle(tmp_path, "logistic", 1, _bundle(coef=[0.3]))
    assert first != second
    assert load_bundle(path, expected_sha256=second, expected_feature_version="abc123")["coef"] == [
        0.3
    ]


def test_a_missing_file_is_model_not_found(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        load_bundle(
            tmp_path / "nope.joblib", expected_sha256="0" * 64, expected_feature_version="x"
        )


def test_a_changed_file_fails_its_checksum(tmp_path: Path) -> None:
    path, sha = save_bundle(tmp_path, "logistic", 1, _bundle())
    path.write_bytes(path.read_bytes() + b"tampered")
    with pytest.raises(SchemaMismatchError, match=f"checksum mismatch: expected {sha}, file has"):
        load_bundle(path, expected_sha256=sha, expected_feature_version="abc123")


def test_another_feature_version_is_refused(tmp_path: Path) -> None:
    path, sha = save_bundle(tmp_path, "logistic", 1, _bundle())
    with pytest.raises(SchemaMismatchError, match=r"feature version abc123.*version def456"):
        load_bundle(path, expected_sha256=sha, expected_feature_version="def456")


@pytest.mark.parametrize(
    ("bundle", "message"),
    [
        ({"format_version": 1, "feature_version": "abc123"}, "lacks feature_names"),
        (_bundle(format_version=2), "format 2 is not supported"),
        (_bundle(feature_names="elo_diff"), "list of str"),
    ],
)
def test_malformed_bundles_are_refused(
    bundle: dict[str, Any], message: str, tmp_path: Path
) -> None:
    with pytest.raises(SchemaMismatchError, match=message):
        save_bundle(tmp_path, "logistic", 1, bundle)
    assert list(tmp_path.iterdir()) == []


def test_unsafe_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="file name"):
        save_bundle(tmp_path, "../escape", 1, _bundle())
