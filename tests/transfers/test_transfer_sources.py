"""The transfer sources read both layouts into sightings, with every bad cell or row a
``file:line: column: reason`` reject, and refuse files past the ingest bounds."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from transfer_files import (
    EMORDONEZ_HEADER,
    EWENME_HEADER,
    emordonez_row,
    ewenme_row,
    write,
)

from formline.errors import SourceError
from formline.sources.cells import ReadLimits
from formline.transfers.frames import describe_reject
from formline.transfers.ingest import read_transfer_files
from formline.transfers.sources.emordonez import read_emordonez_file
from formline.transfers.sources.ewenme import read_ewenme_file


def test_ewenme_fees_loans_and_the_end_of_loan_date(tmp_path: Path) -> None:
    path = write(
        tmp_path / "premier-league.csv",
        EWENME_HEADER,
        [
            ewenme_row("Chelsea FC", "A One", "24", "Man City", "in"),
            ewenme_row(
                "Chelsea FC", "B Two", "NA", "Reading", "out", fee="loan transfer", cleaned="NA"
            ),
            ewenme_row(
                "Chelsea FC",
                "C Three",
                "21",
                "Reading",
                "in",
                fee="End of loanJun 30, 2016",
                cleaned="NA",
            ),
            ewenme_row(
                "Chelsea FC",
                "D Four",
                "30",
                "Without Club",
                "out",
                fee="free transfer",
                cleaned="0",
            ),
            ewenme_row(
                "Chelsea FC",
                "E Five",
                "19",
                "Ajax",
                "in",
                fee="Loan fee:€500Th.",
                cleaned="NA",
                window="Winter",
            ),
        ],
    )
    read = read_ewenme_file(path)
    rows = read.sightings.set_index("player_name")
    assert read.rows == {str(path): 5} and read.rejects.empty
    assert rows.loc["A One", "fee_eur"] == 1.5e6 and rows.loc["A One", "league"] == "GB1"
    assert pd.isna(rows.loc["B Two", "age"]) and bool(rows.loc["B Two", "is_loan"])
    assert pd.isna(rows.loc["B Two", "fee_eur"])
    assert bool(rows.loc["C Three", "loan_return"])
    assert rows.loc["C Three", "moved_on"] == pd.Timestamp("2016-06-30")
    assert rows.loc["D Four", "fee_eur"] == 0.0
    assert rows.loc["E Five", "fee_eur"] == 5e5 and bool(rows.loc["E Five", "is_loan"])
    assert rows.loc["E Five", "transfer_window"] == "winter"
    assert list(rows["source_line"]) == [2, 3, 4, 5, 6]


def test_ewenme_rejects_name_the_file_line_and_column(tmp_path: Path) -> None:
    path = write(
        tmp_path / "serie-a.csv",
        EWENME_HEADER,
        [
            ewenme_row("Inter", "A One", "24", "Milan", "sideways"),
            ewenme_row("Inter", "B Two", "7", "Milan", "in"),
            ewenme_row("Inter", "C Three", "22", "Milan", "in", league="Serie Z"),
            ewenme_row("Inter", "", "22", "Milan", "in"),
            ewenme_row("Inter", "D Four", "22", "Milan", "in", cleaned="lots"),
            ewenme_row("Inter", "E Five", "22", "Milan", "in", year="later"),
        ],
    )
    read = read_ewenme_file(path)
    lines = sorted(describe_reject(r) for r in read.rejects.to_dict("records"))
    assert lines == [
        f"{path}:2: transfer_movement: 'sideways' is not one of in, out",
        f"{path}:3: age: '7' is out of range (12 to 60)",
        f"{path}:4: league_name: 'Serie Z' is not one of " + _league_names(),
        f"{path}:5: player_name: missing",
        f"{path}:6: fee_cleaned: not a number: 'lots'",
        f"{path}:7: year: not a whole number: 'later'",
    ]
    # Row-level rejects drop the row; a bad cell leaves the row with the cell empty.
    assert sorted(read.sightings["player_name"]) == ["B Two", "D Four"]
    assert len(read.sightings) + 4 == read.rows[str(path)]


def _league_names() -> str:
    from formline.transfers.sources.leagues import LEAGUE_CODES

    return ", ".join(sorted(LEAGUE_CODES))


def test_emordonez_market_values_loans_and_returns(tmp_path: Path) -> None:
    path = write(
        tmp_path / "all.csv",
        EMORDONEZ_HEADER,
        [
            emordonez_row("Chelsea FC", "A One", "24.0", "Man City", "in"),
            emordonez_row(
                "Chelsea FC", "B Two", "", "Reading", "out", fee="0.0", value="", loan="free loan"
            ),
            emordonez_row(
                "Chelsea FC", "C Three", "21.0", "Reading", "in", fee="", loan="end of loan"
            ),
            emordonez_row("Chelsea FC", "D Four", "22.0", "Reading", "in", value="-5"),
        ],
    )
    read = read_emordonez_file(path)
    rows = read.sightings.set_index("player_name")
    assert rows.loc["A One", "market_value_eur"] == 2e6 and rows.loc["A One", "age"] == 24
    assert bool(rows.loc["B Two", "is_loan"]) and not bool(rows.loc["B Two", "loan_return"])
    assert pd.isna(rows.loc["B Two", "age"]) and rows.loc["B Two", "fee_eur"] == 0.0
    assert bool(rows.loc["C Three", "loan_return"]) and not bool(rows.loc["C Three", "is_loan"])
    assert pd.isna(rows.loc["D Four", "market_value_eur"])
    assert [describe_reject(r) for r in read.rejects.to_dict("records")] == [
        f"{path}:5: market_value: '-5' is below 0"
    ]


def test_layouts_are_told_by_their_headers_and_unknown_ones_refused(tmp_path: Path) -> None:
    write(tmp_path / "a" / "ligue-1.csv", EWENME_HEADER, [ewenme_row("X", "P", "20", "Y", "in")])
    write(tmp_path / "a" / "league-meta.csv", "league_name,league_id,country", ["ligue-1,FR1,F"])
    write(tmp_path / "b.csv", EMORDONEZ_HEADER, [emordonez_row("X", "P", "20.0", "Y", "in")])
    read = read_transfer_files([tmp_path / "a", tmp_path / "b.csv"])
    assert sorted(read.sightings["source"]) == [
        "transfermarkt-emordonez",
        "transfermarkt-ewenme",
    ]
    assert len(read.rows) == 2  # league-meta.csv is not a data file
    write(tmp_path / "c.csv", "a,b", ["1,2"])
    with pytest.raises(SourceError, match="not a transfers file of a known layout"):
        read_transfer_files([tmp_path / "c.csv"])
    with pytest.raises(SourceError, match="no such file or folder"):
        read_transfer_files([tmp_path / "missing"])


def test_files_past_the_bounds_are_refused_whole(tmp_path: Path) -> None:
    rows = [ewenme_row("X", f"P{i}", "7", "Y", "in") for i in range(5)]
    path = write(tmp_path / "eredivisie.csv", EWENME_HEADER, rows)
    with pytest.raises(SourceError, match=r"more than 3 rejects \(INGEST_MAX_REJECTS\)"):
        read_ewenme_file(path, ReadLimits(max_rejects=3))
    with pytest.raises(SourceError, match=r"INGEST_MAX_FILE_MB"):
        read_ewenme_file(path, ReadLimits(max_file_mb=0.0001))
    with pytest.raises(SourceError, match=r"INGEST_MAX_LINE_KB"):
        read_ewenme_file(path, ReadLimits(max_line_kb=0.01))
    assert len(read_ewenme_file(path, ReadLimits(max_rejects=5)).sightings) == 5
