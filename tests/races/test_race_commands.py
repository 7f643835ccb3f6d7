"""The races domain through the command line, in process, as a user runs it: the demo world,
training with and without prices, a card champion's snapshot, ``predict:race``, the feature
export and the refusals."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from cli.in_process import error_line, invoke
from formline.races.features import RACE_FEATURES
from formline.store.db import open_store

AS_OF = "2025-06-01"
WORLD = ["--world", "n_days=90", "--world", "n_horses=150", "--world", "n_jockeys=10"]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with the small racing demo loaded."""
    path = tmp_path_factory.mktemp("races-home")
    loaded = invoke(path, "ingest:demo", "--domain", "races", "--now", AS_OF, "--seed", "5", *WORLD)
    assert loaded.exit_code == 0, loaded.output
    assert re.search(r"races\s+│\s+\d+", loaded.output)
    return path


def test_a_second_demo_load_is_kept_and_a_bad_world_is_a_usage_error(home: Path) -> None:
    again = invoke(home, "ingest:demo", "--domain", "races", "--now", AS_OF)
    assert again.exit_code == 0
    assert "demo races already loaded" in again.output
    bad = invoke(home, "ingest:demo", "--domain", "races", "--force", "--world", "n_teams=4")
    assert bad.exit_code == 2
    assert "--world: the racing demo has no 'n_teams'" in error_line(bad)
    malformed = invoke(home, "ingest:demo", "--domain", "races", "--world", "days")
    assert malformed.exit_code == 2
    assert "'days' is not NAME=N" in error_line(malformed)


def test_without_a_champion_nothing_is_predicted_or_written(home: Path) -> None:
    refused = invoke(home, "predict:run", "--domain", "races", "--as-of", AS_OF)
    assert refused.exit_code == 1
    assert "no deployed model of domain races" in error_line(refused)
    store = open_store(f"sqlite:///{home / 'formline.db'}", migrate=False)
    try:
        with store.connect("counting") as conn:
            count = conn.exec_driver_sql("SELECT count(*) FROM prediction_snapshots").scalar()
    finally:
        store.dispose()
    assert count == 0


def test_train_promote_predict_and_show_a_race(home: Path) -> None:
    trained = invoke(home, "model:train", "--domain", "races", "--as-of", AS_OF, "--no-market")
    assert trained.exit_code == 0, trained.output
    assert "conditional-logit-no-market" in trained.output
    assert "rating reference" in trained.output and "pseudo-R²" in trained.output
    model_id = re.search(r"model (\d+): conditional-logit-no-market", trained.output)
    assert model_id
    if "deployed" not in trained.output:
        promoted = invoke(home, "model:promote", model_id.group(1), "--reason", "test")
        assert promoted.exit_code == 0, promoted.output
    # The priced model is trained and validated at the off; a card ahead is not its input.
    priced = invoke(
        home, "model:train", "--domain", "races", "--as-of", AS_OF, "--model-type", "public"
    )
    assert priced.exit_code == 0, priced.output
    predicted = invoke(home, "predict:run", "--domain", "races", "--as-of", AS_OF, "--horizon", "7")
    assert predicted.exit_code == 0, predicted.output
    found = re.search(
        r"snapshot (\d+) published: (\d+) runners .*\(card\): (\d+)", predicted.output
    )
    assert found, predicted.output
    assert found.group(2) == found.group(3)  # every runner by the card champion
    store = open_store(f"sqlite:///{home / 'formline.db'}", migrate=False)
    try:
        with store.connect("reading") as conn:
            rows = pd.DataFrame(
                conn.exec_driver_sql(
                    "SELECT event_id, unit, market, probability, fair_odds FROM predictions"
                ).fetchall(),
                columns=["event_id", "unit", "market", "probability", "fair_odds"],
            )
            race_id = int(rows["event_id"].iloc[0])
    finally:
        store.dispose()
    assert set(rows["market"]) == {"win", "place"}
    wins = rows[rows["market"] == "win"].groupby("event_id")["probability"].sum()
    assert ((wins - 1.0).abs() < 1e-9).all()
    places = rows[rows["market"] == "place"].groupby("event_id")["probability"].sum()
    assert ((places > 1.5) & (places <= 3.0 + 1e-9)).all()
    shown = invoke(home, "predict:race", str(race_id))
    assert shown.exit_code == 0, shown.output
    assert f"race {race_id}:" in shown.output and "p win" in shown.output
    assert "drivers" in shown.output
    unknown = invoke(home, "predict:race", "999999")
    assert unknown.exit_code == 3
    assert "race 999999 does not exist" in error_line(unknown)


def test_the_feature_export_has_one_row_per_runner(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "runners.csv"
    exported = invoke(
        home, "features:export", "--domain", "races", "--as-of", AS_OF, "--out", str(out),
        "--with-targets",
    )  # fmt: skip
    assert exported.exit_code == 0, exported.output
    frame = pd.read_csv(out)
    assert f"{len(frame)} runners written" in exported.output
    assert not frame.duplicated(["race_id", "runner_id"]).any()
    assert {"horse", "saddle_number", "finish_position", "won"} <= set(frame.columns)
    assert set(RACE_FEATURES.names) <= set(frame.columns)
    ahead = pd.to_datetime(frame["start_at"], utc=True) > pd.Timestamp(AS_OF, tz="UTC")
    assert ahead.any() and frame.loc[ahead, "won"].isna().all()


def test_a_backtest_writes_one_row_per_runner_and_omits_what_a_lead_cannot_see(
    home: Path, tmp_path: Path
) -> None:
    out = tmp_path / "backtest.csv"
    ran = invoke(
        home, "model:backtest", "--domain", "races", "--start", "2025-04-01", "--end", AS_OF,
        "--refit", "month", "--lead-days", "0,2", "--out", str(out),
    )  # fmt: skip
    assert ran.exit_code == 0, ran.output
    assert "pseudo-R²" in ran.output and "public log loss" in ran.output
    frame = pd.read_csv(out)
    assert list(frame.columns) == [
        "race_id", "start_at", "venue", "horse", "saddle_number", "finish_position",
        "p_win", "p_place", "model", "lead_days",
    ]  # fmt: skip
    assert frame["race_id"].astype(str).str.contains("-").all()  # the source's race ids
    sums = frame.groupby(["race_id", "lead_days"])["p_win"].sum()
    assert ((sums - 1.0).abs() < 1e-6).all()
    # Two days out only opening odds are known: the priced default model predicts nothing.
    assert set(frame["lead_days"]) == {0}
