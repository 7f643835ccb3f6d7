"""Every domain's load report is what the shared CLI prints: tables, changed, notes."""

from __future__ import annotations

import pytest

from formline.matches.store import MatchLoadReport
from formline.matches.us_ingest import UsLoadReport
from formline.races.store import RaceLoadReport
from formline.store.load_report import Counts, LoadReport
from formline.transfers.store import TransferLoadReport


def test_counts_add_field_by_field_and_say_whether_anything_changed() -> None:
    total = Counts(1, 2, 3) + Counts(deleted=4)
    assert total == Counts(inserted=1, updated=2, unchanged=3, deleted=4)
    assert not Counts(unchanged=9).changed
    assert Counts(deleted=1).changed


@pytest.mark.parametrize(
    ("report", "notes"),
    [
        (
            MatchLoadReport(odds=Counts(unchanged=3), odds_unmatched=2),
            ["2 odds rows name a match the store does not have (not stored)"],
        ),
        (
            RaceLoadReport({"races": Counts(inserted=1)}, {"runners": 5, "race_odds": 0}),
            ["5 runners rows name a race or runner the store does not have"],
        ),
        (TransferLoadReport({"players": Counts(unchanged=1)}, linked_teams=0), []),
        (
            UsLoadReport(MatchLoadReport(), reference_forecasts=Counts(1), forecasts_unmatched=2),
            ["2 forecasts name a game the store does not have (not stored)"],
        ),
    ],
)
def test_each_domain_report_is_a_load_report_with_its_own_notes(
    report: LoadReport, notes: list[str]
) -> None:
    assert isinstance(report, LoadReport)
    assert list(report.notes) == notes
    assert report.changed == any(c.changed for c in report.tables.values())


def test_a_reload_that_dropped_feature_snapshots_changed_something() -> None:
    report = MatchLoadReport(feature_snapshots_deleted=7)
    assert report.changed
    assert report.notes == ["7 feature snapshots of the reloaded data deleted: run features:build"]
