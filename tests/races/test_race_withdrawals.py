"""Withdrawals known only from results (the HKJC results layout), through the store on SQLite
and PostgreSQL: the scratched runner is stored as withdrawn, observed at the off; from then on
it is out of its race's frame (not predicted, not in the field, no loss), before then it is on
the card; and a withdrawal a source reports earlier takes it out of predictions made after."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
from hk_files import results_row, write_results
from sqlalchemy import select

from formline.races.calibration import places_paid
from formline.races.dataset import load_race_frame
from formline.races.ingest import ingest_hkjc
from formline.races.sources.hkjc_results import read_hkjc_results
from formline.races.store import upsert_races
from formline.races.tables import runner_results, runners
from formline.store.db import Store

#: Sha Tin race 1 of 2016-01-03 starts at 04:30 UTC; race 1 of 2016-01-10 a week later.
START = datetime(2016, 1, 3, 4, 30)
LATER = datetime(2016, 1, 10, 4, 30)
SCRATCHED = "LATE SCRATCH(P100)"


def _results(tmp_path: Path) -> Path:
    """Six starters and one scratched horse, which runs (and wins) a week later."""
    first = [
        results_row(str(i), f"{i}.0", f"H{i}(A00{i})", lbw="-" if i == 1 else "1", odds=f"{i + 2}")
        for i in range(1, 7)
    ]
    scratched = results_row("WV", "7.0", SCRATCHED, lbw="", finish="---", positions="", odds="")
    second = [
        results_row("1", "1.0", SCRATCHED, lbw="-", date="2016-01-10", odds="4.0"),
        results_row("2", "2.0", "H1(A001)", date="2016-01-10", odds="2.0"),
    ]
    return write_results(tmp_path / "results.csv", [*first, scratched, *second])


def _race(frame: pd.DataFrame, start: datetime) -> pd.DataFrame:
    return frame[frame["start_at"] == pd.Timestamp(start)]


def test_a_scratched_runner_is_stored_withdrawn_at_the_off(store: Store, tmp_path: Path) -> None:
    ingest_hkjc(store, [_results(tmp_path)])
    with store.connect("reading the withdrawal") as conn:
        rows = conn.execute(
            select(runner_results.c.status, runner_results.c.observed_at, runners.c.observed_at)
            .join(runners, runners.c.id == runner_results.c.runner_id)
            .where(runner_results.c.finish_position.is_(None))
        ).all()
    utc = [(r[0], r[1].replace(tzinfo=UTC), r[2].replace(tzinfo=UTC)) for r in rows]
    card_at = START - timedelta(days=1)
    assert utc == [("withdrawn", START.replace(tzinfo=UTC), card_at.replace(tzinfo=UTC))]

    at_off = _race(load_race_frame(store, START + timedelta(minutes=5)).frame, START)
    assert len(at_off) == 6 and SCRATCHED.split("(")[0] not in set(at_off["horse_name"])
    assert (at_off["field_size"] == 6).all()
    assert (at_off["information"] == "market").all()  # every starter has its final odds
    assert list(places_paid(at_off["race_id"], at_off["field_size"])) == [2] * 6
    assert abs(at_off["public_win_probability"].sum() - 1.0) < 1e-9

    # The evening before, the card had seven runners (the withdrawal was not known yet).
    evening = _race(load_race_frame(store, START - timedelta(hours=12)).frame, START)
    assert len(evening) == 7 and (evening["field_size"] == 7).all()
    assert (evening["information"] == "card").all()

    # Trained on later: six runners, one winner; the next week the scratched horse has no run.
    later = load_race_frame(store, datetime(2016, 2, 1)).frame
    trained = _race(later, START)
    assert len(trained) == 6 and trained["won"].sum() == 1 and trained["finished"].all()
    nxt = _race(later, LATER).set_index("horse")
    assert nxt.loc["P100", "horse_runs"] == 0 and nxt.loc["A001", "horse_runs"] == 1


def test_a_withdrawal_reported_before_the_off_leaves_later_predictions(
    store: Store, tmp_path: Path
) -> None:
    batch = read_hkjc_results(_results(tmp_path)).batch
    runners_ = batch.runners
    scratched = runners_["status"] == "withdrawn"
    runners_.loc[scratched, "result_observed_at"] = pd.Timestamp(START - timedelta(hours=3))
    upsert_races(store, batch)
    before = _race(load_race_frame(store, START - timedelta(hours=4)).frame, START)
    after = _race(load_race_frame(store, START - timedelta(hours=2)).frame, START)
    assert (len(before), len(after)) == (7, 6)
    assert (after["field_size"] == 6).all() and "P100" not in set(after["horse"])
