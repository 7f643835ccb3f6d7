"""Model bundle files: atomic writes, checksums, feature-version checks."""

from __future__ import annotations

import sys
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


def test_bundles_are_read_only_once_written(tmp_path: Path) -> None:
    path, _ = save_bundle(tmp_path, "logistic", 1, _bundle())
    assert path.stat().st_mode & 0o777 == 0o444


def test_the_returned_checksum_is_of_the_bytes_written(tmp_path: Path) -> None:
    path, sha = save_bundle(tmp_path, "logistic", 1, _bundle())
    assert sha == file_sha256(path)
    # A copy written again from the same bundle hashes the same: the checksum is of content.
    again, second = save_bundle(tmp_path / "again", "logistic", 1, _bundle())
    assert second == sha == file_sha256(again)


def test_a_fifo_in_place_of_the_bundle_is_refused_without_blocking(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "logistic-v1.joblib"
    os.mkfifo(fifo)
    with pytest.raises(ModelNotFoundError, match="not a regular file"):
        load_bundle(fifo, expected_sha256="0" * 64, expected_feature_version="abc123")


class _Payload:
    """Unpickling this creates the marker file: the stand-in for a malicious bundle."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (str(self.marker), "w"))


def _evil_and_good(tmp_path: Path) -> tuple[Path, str, Path, Path, Path]:
    import joblib

    path, sha = save_bundle(tmp_path / "models", "logistic", 1, _bundle())
    good = tmp_path / "good.joblib"
    good.write_bytes(path.read_bytes())
    marker = tmp_path / "payload-ran"
    evil = tmp_path / "evil.joblib"
    joblib.dump(_Payload(marker), evil)
    return path, sha, good, evil, marker


def test_a_file_swapped_right_after_its_checksum_is_never_unpickled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The attacker's best moment, made certain: the file is swapped for a malicious pickle the
    instant its checksum has been computed. What is unpickled must be what was hashed."""
    import hashlib

    import formline.store.artifacts as artifacts

    path, sha, _, evil, marker = _evil_and_good(tmp_path)
    sha256 = hashlib.sha256

    class SwapAfterDigest:
        def __init__(self, *args: Any) -> None:
            self._digest = sha256(*args)

        def update(self, data: bytes) -> None:
            self._digest.update(data)

        def hexdigest(self) -> str:
            evil.replace(path)  # the checksum is taken; now the swap
            return self._digest.hexdigest()

    monkeypatch.setattr(artifacts.hashlib, "sha256", SwapAfterDigest)
    bundle = load_bundle(path, expected_sha256=sha, expected_feature_version="abc123")
    assert bundle == _bundle()
    assert not marker.exists(), "the payload ran"


def test_a_file_swapped_during_loads_never_runs_its_payload() -> None:
    """The probe of issue 10 §1, bounded (2.5 s, one temporary folder): another process swaps a
    malicious pickle in and the good bundle back as fast as it can while this one loads. Every
    load returns the good bundle or refuses the file; the payload never runs.
    benchmarks/bundle_swap_race.py runs the same probe longer, beside a hash-then-reopen
    loader (which does run the payload)."""
    import importlib.util

    from support import REPO_ROOT

    path = REPO_ROOT / "benchmarks" / "bundle_swap_race.py"
    spec = importlib.util.spec_from_file_location("bundle_swap_race", path)
    assert spec is not None and spec.loader is not None
    race = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))  # for its _common
    try:
        spec.loader.exec_module(race)
    finally:
        sys.path.remove(str(path.parent))
    counts = race.probe("load_bundle", race.load_with_checksum, 2.5)
    assert counts["payload ran"] == 0, counts
    assert counts["good bundle"] > 0 and counts["refused"] > 0, counts
