"""The football-data.co.uk CSV adapter: small synthetic files, then the real shared files."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from formline.errors import SourceError
from formline.matches.frames import (
    MATCH_COLUMNS,
    ODDS_COLUMNS,
    REJECT_COLUMNS,
    SourceBatch,
    empty_frame,
)
from formline.matches.sources.football_data import (
    describe_reject,
    discover_files,
    read_football_data,
)

HEADER = "Div,Date,Time,HomeTeam,AwayTeam,FTHG,FTAG,FTR,HTHG,HTAG,HTR,HS,AS,B365H,B365D,B365A"
ROWS = [
    "E0,10/08/2019,15:00,Burnley,Southampton,3,0,H,0,0,D,10,11,2.4,3.3,3.0",
    "E0,10/08/2019,17:30,Chelsea,Arsenal,1,2,A,1,1,D,12,9,2.1,3.4,3.5",
    "E0,11/08/2019,14:00,Everton,Watford,0,0,D,0,0,D,8,7,1.9,3.5,4.2",
]


def write(tmp_path: Path, lines: list[str], name: str = "E0.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read(tmp_path: Path, lines: list[str], name: str = "E0.csv") -> SourceBatch:
    return read_football_data(write(tmp_path, lines, name))


def edit(row: str, **cells: str) -> str:
    """A copy of one of ROWS with some cells replaced."""
    values = dict(zip(HEADER.split(","), row.split(","), strict=True))
    return ",".join({**values, **cells}.values())


def kickoffs(batch: SourceBatch) -> list[str]:
    return [str(t) for t in batch.matches["kickoff_at"]]


# --- dates, times, encodings, layout -------------------------------------------------------


def test_frames_follow_the_contract(tmp_path: Path) -> None:
    batch = read(tmp_path, [HEADER, *ROWS])
    for frame, columns in (
        (batch.matches, MATCH_COLUMNS),
        (batch.odds, ODDS_COLUMNS),
        (batch.rejects, REJECT_COLUMNS),
    ):
        assert frame.dtypes.to_dict() == empty_frame(columns).dtypes.to_dict()
    m = batch.matches.iloc[1]
    assert (m["competition"], m["competition_name"], m["country"]) == (
        "E0",
        "Premier League",
        "England",
    )
    assert (m["home_team"], m["away_team"], m["status"]) == ("Chelsea", "Arsenal", "finished")
    assert (m["home_goals"], m["away_goals"], m["home_ht_goals"], m["home_shots"]) == (1, 2, 1, 12)
    assert (m["sport"], m["source"], m["source_line"]) == ("football", "football-data", 3)
    assert pd.isna(m["home_corners"]) and pd.isna(m["home_xg"])
    assert batch.rejects.empty


def test_two_and_four_digit_years(tmp_path: Path) -> None:
    rows = [edit(ROWS[0], Date="10/08/19"), edit(ROWS[1], Date="10/08/2019")]
    batch = read(tmp_path, [HEADER, *rows])
    assert kickoffs(batch) == ["2019-08-10 14:00:00", "2019-08-10 16:30:00"]


def test_uk_kickoff_time_becomes_utc(tmp_path: Path) -> None:
    summer = edit(ROWS[0], Date="10/08/2019", Time="15:00")  # BST, UTC+1
    winter = edit(ROWS[1], Date="10/12/2019", Time="15:00")  # GMT
    assert kickoffs(read(tmp_path, [HEADER, summer, winter])) == [
        "2019-08-10 14:00:00",
        "2019-12-10 15:00:00",
    ]


def test_missing_time_is_three_pm_uk(tmp_path: Path) -> None:
    no_time = [",".join(c for i, c in enumerate(r.split(",")) if i != 2) for r in [HEADER, *ROWS]]
    batch = read(tmp_path, no_time)
    assert kickoffs(batch)[0] == "2019-08-10 14:00:00"
    empty_cell = read(tmp_path, [HEADER, edit(ROWS[0], Date="10/12/2019", Time="")])
    assert kickoffs(empty_cell) == ["2019-12-10 15:00:00"]


def test_utf8_bom_and_latin1(tmp_path: Path) -> None:
    text = "\n".join([HEADER, edit(ROWS[0], HomeTeam="Bayern München", Div="D1")]) + "\n"
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    latin = tmp_path / "latin.csv"
    latin.write_bytes(text.encode("latin-1"))
    for path in (bom, latin):
        batch = read_football_data(path)
        assert batch.matches["home_team"].tolist() == ["Bayern München"]
        assert batch.matches["competition_name"].tolist() == ["Bundesliga"]


def test_blank_rows_and_trailing_columns_are_padding(tmp_path: Path) -> None:
    lines = [HEADER + ",,", ROWS[0] + ",,", "", ROWS[1] + ",,", ",,,,,,,,,,,,,,,,,,", "", " , ,"]
    batch = read(tmp_path, lines)
    assert batch.rejects.empty
    assert batch.matches["source_line"].tolist() == [2, 4]  # physical lines, blank ones counted


def test_gzipped_file(tmp_path: Path) -> None:
    path = tmp_path / "E0.csv.gz"
    path.write_bytes(gzip.compress(("\n".join([HEADER, *ROWS]) + "\n").encode()))
    assert len(read_football_data(path).matches) == 3


def test_old_ht_at_headers(tmp_path: Path) -> None:
    old = HEADER.replace("HomeTeam,AwayTeam", "HT,AT")
    batch = read(tmp_path, [old, *ROWS])
    assert batch.matches["home_team"].tolist() == ["Burnley", "Chelsea", "Everton"]
    missing = read(tmp_path, [old, edit(ROWS[0], HomeTeam=""), ROWS[1]])
    assert missing.rejects["column"].tolist() == ["HomeTeam"]


def test_unknown_division_keeps_its_code(tmp_path: Path) -> None:
    batch = read(tmp_path, [HEADER, edit(ROWS[0], Div="X9")])
    assert batch.matches["competition_name"].tolist() == ["X9"]
    assert batch.matches["country"].isna().all()


def test_team_names_kept_as_spelled(tmp_path: Path) -> None:
    batch = read(
        tmp_path, [HEADER, edit(ROWS[0], HomeTeam="  Nott'm Forest ", AwayTeam="Man United")]
    )
    assert batch.matches[["home_team", "away_team"]].values.tolist() == [
        ["Nott'm Forest", "Man United"]
    ]


# --- season --------------------------------------------------------------------------------


def test_one_season_per_file_from_its_first_date(tmp_path: Path) -> None:
    # 2019-20 ran into July 2020: a per-row month rule would call the last match 2020-21.
    rows = [edit(ROWS[0], Date="09/08/2019"), edit(ROWS[1], Date="26/07/2020")]
    assert read(tmp_path, [HEADER, *rows]).matches["season"].tolist() == ["2019-20", "2019-20"]
    late_start = [edit(ROWS[0], Date="16/01/2021"), edit(ROWS[1], Date="23/05/2021")]
    assert set(read(tmp_path, [HEADER, *late_start]).matches["season"]) == {"2020-21"}


def test_a_bad_date_does_not_change_the_season(tmp_path: Path) -> None:
    rows = [edit(ROWS[0], Date="xx/08/2019"), edit(ROWS[1], Date="26/07/2020"), ROWS[2]]
    batch = read(tmp_path, [HEADER, *rows])
    assert batch.matches["season"].tolist() == ["2019-20", "2019-20"]


def test_header_only_file_is_empty(tmp_path: Path) -> None:
    batch = read(tmp_path, [HEADER])
    assert batch.matches.empty and batch.odds.empty and batch.rejects.empty


def test_season_column_is_used_per_row(tmp_path: Path) -> None:
    rows = [
        "2019-20," + edit(ROWS[0], Date="26/07/2020"),
        "2020-21," + edit(ROWS[1], Date="12/09/2020"),
    ]
    batch = read(tmp_path, ["Season," + HEADER, *rows])
    assert batch.matches["season"].tolist() == ["2019-20", "2020-21"]
    bad = read(tmp_path, ["Season," + HEADER, "20x9," + ROWS[0], "2019-20," + ROWS[1]])
    assert bad.rejects["column"].tolist() == ["Season"]
    assert len(bad.matches) == 1


def test_fixtures_are_scheduled(tmp_path: Path) -> None:
    fixture = edit(ROWS[0], FTHG="", FTAG="", FTR="", HTHG="", HTAG="", HTR="", HS="", AS="")
    batch = read(tmp_path, [HEADER, fixture, ROWS[1]])
    assert batch.matches["status"].tolist() == ["scheduled", "finished"]
    assert batch.matches["home_goals"].isna().tolist() == [True, False]
    assert batch.matches["observed_at"].isna().tolist() == [True, False]
    assert str(batch.matches["observed_at"].iloc[1]) == "2019-08-10 18:30:00"  # kick-off + 2 h
    assert batch.rejects.empty


# --- rejects -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "column", "reason"),
    [
        ({"Date": "31/02/22"}, "Date", "unparseable date '31/02/22'"),
        ({"Date": ""}, "Date", "missing date"),
        ({"Time": "25:00"}, "Time", "unparseable time '25:00'"),
        ({"HomeTeam": ""}, "HomeTeam", "missing home team"),
        ({"AwayTeam": " "}, "AwayTeam", "missing away team"),
        ({"FTHG": "-1"}, "FTHG", "negative goals '-1'"),
        ({"FTAG": "x"}, "FTAG", "non-integer goals 'x'"),
        ({"FTAG": "1.5"}, "FTAG", "non-integer goals '1.5'"),
        ({"FTR": "H", "FTHG": "1", "FTAG": "2"}, "FTR", "FTR is 'H' but the score is 1-2"),
        ({"FTAG": ""}, "FTAG", "FTHG is '1' but FTAG is empty"),
        ({"FTHG": "", "FTAG": "", "FTR": "A"}, "FTR", "FTR is 'A' but there is no score"),
    ],
)
def test_row_rejects_skip_the_row(
    tmp_path: Path, cells: dict[str, str], column: str, reason: str
) -> None:
    batch = read(tmp_path, [HEADER, ROWS[0], edit(ROWS[1], **cells), ROWS[2]])
    assert batch.matches["home_team"].tolist() == ["Burnley", "Everton"]
    assert len(batch.rejects) == 1
    reject = batch.rejects.iloc[0]
    assert (reject["column"], reject["reason"], reject["source_line"]) == (column, reason, 3)
    assert (reject["source"], reject["source_file"]) == ("football-data", str(tmp_path / "E0.csv"))
    raw = json.loads(reject["raw"])
    assert raw["Div"] == "E0" and all(value.strip() for value in raw.values())
    assert set(batch.odds["home_team"]) == {"Burnley", "Everton"}


@pytest.mark.parametrize(
    ("price", "reason"),
    [
        ("0", "non-positive price '0'"),
        ("-1.5", "non-positive price '-1.5'"),
        ("abc", "unparseable price 'abc'"),
        ("1.0", "price '1.0' is not above 1"),
    ],
)
def test_bad_price_drops_only_that_price(tmp_path: Path, price: str, reason: str) -> None:
    batch = read(tmp_path, [HEADER, edit(ROWS[0], B365D=price), ROWS[1]])
    assert len(batch.matches) == 2
    burnley = batch.odds[batch.odds["home_team"] == "Burnley"]
    assert burnley["selection"].tolist() == ["home", "away"]
    assert batch.rejects[["column", "reason", "source_line"]].values.tolist() == [
        ["B365D", reason, 2]
    ]


def test_empty_price_is_simply_absent(tmp_path: Path) -> None:
    batch = read(tmp_path, [HEADER, edit(ROWS[0], B365H="", B365D="", B365A="")])
    assert batch.odds.empty and batch.rejects.empty and len(batch.matches) == 1


def test_bad_stat_keeps_the_match_without_it(tmp_path: Path) -> None:
    batch = read(tmp_path, [HEADER, edit(ROWS[0], HS="x", AS="-3"), ROWS[1]])
    assert len(batch.matches) == 2
    first = batch.matches.iloc[0]
    assert pd.isna(first["home_shots"]) and pd.isna(first["away_shots"])
    assert batch.rejects[["column", "reason"]].values.tolist() == [
        ["HS", "non-integer count 'x'"],
        ["AS", "negative count '-3'"],
    ]


@pytest.mark.parametrize(
    ("cells", "column", "reason"),
    [
        ({"HTR": "H"}, "HTR", "HTR is 'H' but the half-time score is 0-0"),
        ({"HTHG": "4", "HTR": "H"}, "HTHG", "half-time goals 4 exceed full-time goals 3 (FTHG)"),
        ({"HTAG": "-1"}, "HTAG", "negative goals '-1'"),
        ({"HTAG": ""}, "HTAG", "HTHG is '0' but HTAG is empty"),
    ],
)
def test_bad_half_time_score_keeps_the_match(
    tmp_path: Path, cells: dict[str, str], column: str, reason: str
) -> None:
    batch = read(tmp_path, [HEADER, edit(ROWS[0], **cells)])
    match = batch.matches.iloc[0]
    assert (match["home_goals"], match["away_goals"]) == (3, 0)
    assert pd.isna(match["home_ht_goals"]) and pd.isna(match["away_ht_goals"])
    assert batch.rejects[["column", "reason"]].values.tolist() == [[column, reason]]


def test_same_match_twice_rejects_the_later_row(tmp_path: Path) -> None:
    batch = read(tmp_path, [HEADER, ROWS[0], ROWS[1], edit(ROWS[0], Date="12/08/2019")])
    assert len(batch.matches) == 2
    assert batch.rejects[["source_line", "column", "reason"]].values.tolist() == [
        [4, "", "same match as line 2"]
    ]


def test_row_with_extra_fields_is_rejected(tmp_path: Path) -> None:
    batch = read(tmp_path, [HEADER, ROWS[0] + ",surprise", ROWS[1]])
    assert batch.rejects[["source_line", "column"]].values.tolist() == [[2, ""]]
    assert len(batch.matches) == 1


def test_describe_reject(tmp_path: Path) -> None:
    path = write(tmp_path, [HEADER, edit(ROWS[0], FTR="H", FTHG="1", FTAG="2")])
    rows = read_football_data(path).rejects.to_dict("records")
    assert [describe_reject(r) for r in rows] == [f"{path}:2: FTR: FTR is 'H' but the score is 1-2"]
    whole_row = {"source_file": "a.csv", "source_line": 7, "column": "", "reason": "oops"}
    assert describe_reject(whole_row) == "a.csv:7: oops"


# --- not football-data at all --------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        (b"", "missing columns: Div, Date, HomeTeam, AwayTeam"),
        (b"name,age\nann,3\n", "missing columns: Div, Date, HomeTeam, AwayTeam"),
        (b"Div,Date,HomeTeam,FTHG\nE0,10/08/19,Burnley,1\n", "missing columns: AwayTeam"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01", "binary data"),
    ],
)
def test_not_a_football_data_file(tmp_path: Path, content: bytes, detail: str) -> None:
    path = tmp_path / "junk.csv"
    path.write_bytes(content)
    with pytest.raises(SourceError) as caught:
        read_football_data(path)
    assert str(caught.value) == f"{path}: not a football-data.co.uk CSV ({detail})"


def test_discover_files(tmp_path: Path) -> None:
    (tmp_path / "b" / "deep").mkdir(parents=True)
    for name in ("b/deep/SP1.csv", "b/E0.csv", "a.csv", "notes.txt", "x.csv.gz"):
        (tmp_path / name).write_text("")
    single = tmp_path / "x.csv.gz"
    found = discover_files([tmp_path, single, tmp_path / "a.csv"])
    relative = [p.relative_to(tmp_path).as_posix() for p in found]
    assert relative == ["a.csv", "b/E0.csv", "b/deep/SP1.csv", "x.csv.gz"]
    with pytest.raises(SourceError, match=r"nowhere: no such file or folder$"):
        discover_files([tmp_path / "nowhere"])


# --- odds ----------------------------------------------------------------------------------


def odds_table(batch: SourceBatch) -> set[tuple[object, ...]]:
    columns = ["bookmaker", "market", "selection", "line", "price", "kind"]
    return {tuple(r) for r in batch.odds[columns].itertuples(index=False)}


def test_opening_and_closing_prices_and_their_timestamps(tmp_path: Path) -> None:
    header = "Div,Date,Time,HomeTeam,AwayTeam,FTHG,FTAG,B365H,PSCH,MaxCA,AvgD,BbMxH,BbAvA"
    batch = read(
        tmp_path, [header, "E0,10/08/2019,15:00,Burnley,Southampton,3,0,2.4,2.5,3.2,3.1,2.6,2.9"]
    )
    assert odds_table(batch) == {
        ("bet365", "1x2", "home", 0.0, 2.4, "opening"),
        ("pinnacle", "1x2", "home", 0.0, 2.5, "closing"),
        ("market_max", "1x2", "away", 0.0, 3.2, "closing"),
        ("market_avg", "1x2", "draw", 0.0, 3.1, "opening"),
        ("market_max", "1x2", "home", 0.0, 2.6, "opening"),
        ("market_avg", "1x2", "away", 0.0, 2.9, "opening"),
    }
    kickoff = pd.Timestamp("2019-08-10 14:00")
    for kind, captured in (("opening", kickoff - pd.Timedelta(days=1)), ("closing", kickoff)):
        rows = batch.odds[batch.odds["kind"] == kind]
        assert (rows["captured_at"] == captured).all() and (rows["observed_at"] == captured).all()
    assert batch.odds[["competition", "season"]].drop_duplicates().values.tolist() == [
        ["E0", "2019-20"]
    ]


def test_over_under_and_asian_handicap(tmp_path: Path) -> None:
    header = (
        "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,B365>2.5,P<2.5,PC>2.5,AvgC<2.5,"
        "AHh,B365AHH,PAHA,AHCh,PCAHH,MaxCAHA,BbAH,BbAv>2.5"
    )
    row = (
        "E0,10/08/19,Burnley,Southampton,3,0,1.9,2.0,1.8,2.1,-0.25,1.95,1.97,-0.5,2.02,1.9,30,1.85"
    )
    assert odds_table(read(tmp_path, [header, row])) == {
        ("bet365", "over_under", "over", 2.5, 1.9, "opening"),
        ("pinnacle", "over_under", "under", 2.5, 2.0, "opening"),
        ("pinnacle", "over_under", "over", 2.5, 1.8, "closing"),
        ("market_avg", "over_under", "under", 2.5, 2.1, "closing"),
        ("bet365", "asian_handicap", "home", -0.25, 1.95, "opening"),
        ("pinnacle", "asian_handicap", "away", -0.25, 1.97, "opening"),
        ("pinnacle", "asian_handicap", "home", -0.5, 2.02, "closing"),
        ("market_max", "asian_handicap", "away", -0.5, 1.9, "closing"),
        ("market_avg", "over_under", "over", 2.5, 1.85, "opening"),
    }


def test_old_asian_handicap_lines(tmp_path: Path) -> None:
    betbrain = "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,BbAH,BbAHh,BbMxAHH,BbAvAHA"
    batch = read(tmp_path, [betbrain, "E0,10/08/09,Burnley,Stoke,1,0,22,0.25,2.1,1.8"])
    assert odds_table(batch) == {
        ("market_max", "asian_handicap", "home", 0.25, 2.1, "opening"),
        ("market_avg", "asian_handicap", "away", 0.25, 1.8, "opening"),
    }
    per_book = "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,GBAHH,GBAH,B365AHH,B365AHA,B365AH"
    batch = read(tmp_path, [per_book, "E0,16/08/03,Arsenal,Everton,2,1,1.9,-1,1.975,1.925,-1.25"])
    assert odds_table(batch) == {  # each book's prices on its own line
        ("gamebookers", "asian_handicap", "home", -1.0, 1.9, "opening"),
        ("bet365", "asian_handicap", "home", -1.25, 1.975, "opening"),
        ("bet365", "asian_handicap", "away", -1.25, 1.925, "opening"),
    }


def test_missing_handicap_line_drops_those_prices(tmp_path: Path) -> None:
    header = "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,B365H,AHh,B365AHH"
    batch = read(tmp_path, [header, "E0,10/08/19,Burnley,Stoke,1,0,2.0,,1.9"])
    assert odds_table(batch) == {("bet365", "1x2", "home", 0.0, 2.0, "opening")}
    assert batch.rejects[["column", "reason"]].values.tolist() == [["AHh", "missing handicap line"]]
    header = "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,AHh,BbAHh,B365AH,B365AHH,BbMxAHH"
    batch = read(tmp_path, [header, "E0,10/08/19,Burnley,Stoke,1,0,,,x,1.9,2.0"])
    assert batch.odds.empty and len(batch.matches) == 1
    assert batch.rejects[["column", "reason"]].values.tolist() == [
        ["B365AH", "unparseable handicap line 'x'"],  # Bet365's line falls back to B365AH
        ["AHh", "missing handicap line"],  # Betbrain's has nothing to fall back to
    ]


def test_stacked_file_keeps_one_price_per_book(tmp_path: Path) -> None:
    header = "Season,Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,MaxH,BbMxH,AHh,BbAHh,BbAvAHH"
    rows = [
        "2019-20,E0,10/08/2019,Burnley,Stoke,1,0,2.6,2.5,,,",
        "2009-10,E0,15/08/09,Stoke,Burnley,0,0,,2.4,,0.25,1.9",
    ]
    assert odds_table(read(tmp_path, [header, *rows], name="matches_all.csv")) == {
        ("market_max", "1x2", "home", 0.0, 2.6, "opening"),  # MaxH wins over BbMxH
        ("market_max", "1x2", "home", 0.0, 2.4, "opening"),
        ("market_avg", "asian_handicap", "home", 0.25, 1.9, "opening"),  # AHh empty: BbAHh
    }


# --- the real files ------------------------------------------------------------------------


def _repo_root() -> Path:
    here = Path(__file__).resolve()
    return next((p for p in here.parents if (p / "pyproject.toml").is_file()), here.parents[3])


REAL = _repo_root().parent / "shared" / "data" / "football_odds"
SEASON_FILES = sorted((REAL / "seasons").glob("*.csv"))
KNOWN_REJECTS = [  # genuinely bad prices in the source files: the match is kept without them
    ("D1_1920.csv", 261, "AvgC>2.5", "price '0.42' is not above 1"),
    # Gamebookers' 2003-04 Asian handicap cells are shifted in the source: a price without its
    # line, or the line in the price's column
    *(("E0_0304.csv", line, "GBAH", "missing handicap line") for line in range(103, 112)),
    ("E0_2122.csv", 168, "B365C>2.5", "non-positive price '0.0'"),
    ("E0_2122.csv", 168, "B365C<2.5", "non-positive price '0.0'"),
    ("I1_0304.csv", 142, "GBAH", "missing handicap line"),
    ("I1_0304.csv", 142, "GBAHA", "non-positive price '-0.5'"),
    ("SP1_0304.csv", 357, "GBAHH", "price '0.9' is not above 1"),
]
needs_real_data = pytest.mark.skipif(not SEASON_FILES, reason=f"real data not found at {REAL}")


@pytest.fixture(scope="module")
def real_batches() -> dict[str, SourceBatch]:
    return {path.name: read_football_data(path) for path in discover_files([REAL / "seasons"])}


@pytest.mark.realdata
@pytest.mark.slow
@needs_real_data
def test_every_real_file_loads(real_batches: dict[str, SourceBatch]) -> None:
    assert len(real_batches) == 100
    batch = SourceBatch.concat(list(real_batches.values()))
    assert len(batch.matches) == 35_682
    assert (batch.matches["status"] == "finished").all()
    assert batch.matches["kickoff_at"].notna().all()
    for line in batch.rejects.to_dict("records"):
        print(describe_reject(line))
    found = [
        (Path(r["source_file"]).name, r["source_line"], r["column"], r["reason"])
        for r in batch.rejects.to_dict("records")
    ]
    assert found == KNOWN_REJECTS
    key = ["competition", "season", "home_team", "away_team"]
    assert not batch.matches.duplicated(key).any()
    assert not batch.odds.duplicated(
        [*key, "bookmaker", "market", "selection", "line", "kind"]
    ).any()
    assert (batch.odds["price"] > 1).all()


@pytest.mark.realdata
@pytest.mark.slow
@needs_real_data
def test_real_seasons_follow_the_file_names(real_batches: dict[str, SourceBatch]) -> None:
    for name, batch in real_batches.items():
        years = re.fullmatch(r"[A-Z0-9]+_(\d\d)(\d\d)\.csv", name)
        assert years, name
        start, end = years.groups()
        assert set(batch.matches["season"]) == {f"20{start}-{end}"}, name


@pytest.mark.realdata
@pytest.mark.slow
@needs_real_data
def test_real_pinnacle_odds_from_2012_13(real_batches: dict[str, SourceBatch]) -> None:
    odds = SourceBatch.concat(list(real_batches.values())).odds
    pinnacle = odds[(odds["bookmaker"] == "pinnacle") & (odds["market"] == "1x2")]
    key = ["competition", "season", "home_team", "away_team"]
    for kind, matches in (("closing", 19_981), ("opening", 19_958)):  # data/README.md figures
        prices = pinnacle[pinnacle["kind"] == kind]
        assert prices["season"].min() == "2012-13"
        assert (prices.groupby(key)["selection"].nunique() == 3).sum() == matches
    seasons = set(odds.loc[odds["kind"] == "closing", "season"])
    assert {"2012-13", "2022-23"} <= seasons and "2011-12" not in seasons


# --- input edges, date forms, bookmakers, bounded reading ------------------------------------


def test_a_count_too_large_for_the_store_is_a_reject_not_int64_min(tmp_path: Path) -> None:
    huge = "1" * 40
    batch = read(tmp_path, [HEADER, edit(ROWS[0], HS=huge), edit(ROWS[1], FTHG=huge), ROWS[2]])
    assert batch.matches["home_team"].tolist() == ["Burnley", "Everton"]
    assert pd.isna(batch.matches["home_shots"].iloc[0])
    assert (batch.matches[["home_shots", "away_shots"]].dropna() >= 0).all().all()
    assert [describe_reject(r) for r in batch.rejects.to_dict("records")] == [
        f"{tmp_path / 'E0.csv'}:2: HS: count '{huge}' is out of range (more than 2147483647)",
        f"{tmp_path / 'E0.csv'}:3: FTHG: goals '{huge}' is out of range (more than 2147483647)",
    ]


def test_a_truncated_row_is_a_reject_not_a_fixture(tmp_path: Path) -> None:
    cut = ",".join(ROWS[2].split(",")[:6])  # the file ends in the middle of the last row
    batch = read(tmp_path, [HEADER, ROWS[0], ROWS[1], cut])
    assert len(batch.matches) == 2 and (batch.matches["status"] == "finished").all()
    assert batch.rejects[["source_line", "column", "reason"]].values.tolist() == [
        [4, "", "truncated row: 6 fields, the header 16"]
    ]


def test_a_blank_score_before_the_last_played_match_is_a_reject(tmp_path: Path) -> None:
    blank = edit(ROWS[0], FTHG="", FTAG="", FTR="", HTHG="", HTAG="", HTR="")
    later = edit(ROWS[2], Date="20/08/2019", FTHG="", FTAG="", FTR="", HTHG="", HTAG="", HTR="")
    batch = read(tmp_path, [HEADER, blank, edit(ROWS[1], Date="12/08/2019"), later])
    assert batch.matches["home_team"].tolist() == ["Chelsea", "Everton"]
    assert batch.matches["status"].tolist() == ["finished", "scheduled"]  # a real fixture
    reject = batch.rejects.iloc[0]
    assert len(batch.rejects) == 1 and reject["source_line"] == 2
    assert reject["reason"] == "no score but dated before the file's last played match (2019-08-12)"
    assert json.loads(reject["raw"])["HomeTeam"] == "Burnley"
    assert set(batch.odds["home_team"]) == {"Chelsea", "Everton"}  # its prices go with it


def test_iso_dates_and_the_date_forms_read(tmp_path: Path) -> None:
    from formline.matches.sources.football_data import read_football_data_file

    rows = [edit(ROWS[0], Date="2019-08-10"), edit(ROWS[1], Date="10/08/19"), ROWS[2]]
    read = read_football_data_file(write(tmp_path, [HEADER, *rows]))
    assert kickoffs(read.batch)[:2] == ["2019-08-10 14:00:00", "2019-08-10 16:30:00"]
    assert read.date_forms == {"dd/mm/yy": 1, "dd/mm/yyyy": 1, "yyyy-mm-dd": 1}
    assert "yyyy-mm-dd (1 rows)" in read.describe()
    bad = read_football_data(write(tmp_path, [HEADER, edit(ROWS[0], Date="2019-02-30")]))
    assert bad.rejects["reason"].tolist() == ["unparseable date '2019-02-30'"]


def test_every_bookmaker_is_stored_and_the_columns_read_are_listed(tmp_path: Path) -> None:
    from formline.matches.sources.football_data import read_football_data_file

    header = "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,Referee,WHH,BWCA,IWD,VCH,1XBH,Bb1X2,GBAHH,GBAH"
    row = "E0,10/08/19,Burnley,Stoke,1,0,M Dean,2.1,3.6,3.3,2.2,2.15,40,1.9,-0.5"
    read = read_football_data_file(write(tmp_path, [header, row]))
    assert odds_table(read.batch) == {
        ("william_hill", "1x2", "home", 0.0, 2.1, "opening"),
        ("bet_and_win", "1x2", "away", 0.0, 3.6, "closing"),
        ("interwetten", "1x2", "draw", 0.0, 3.3, "opening"),
        ("vc_bet", "1x2", "home", 0.0, 2.2, "opening"),
        ("1xbet", "1x2", "home", 0.0, 2.15, "opening"),
        ("gamebookers", "asian_handicap", "home", -0.5, 1.9, "opening"),
    }
    assert read.odds_columns == ["WHH", "BWCA", "IWD", "VCH", "1XBH", "GBAHH", "GBAH"]
    assert read.ignored_columns == ["Referee", "Bb1X2"]


def test_reading_in_chunks_gives_the_same_batch(tmp_path: Path) -> None:
    from formline.matches.sources.text_table import ReadLimits

    fixture = edit(ROWS[2], Date="20/08/2019", FTHG="", FTAG="", FTR="", HTHG="", HTAG="", HTR="")
    rows = [ROWS[0], "E0,bad,,x,y", ROWS[1], edit(ROWS[0], Date="12/08/2019"), fixture]
    path = write(tmp_path, [HEADER, *rows])
    whole = read_football_data(path)
    for size in (1, 2):
        chunked = read_football_data(path, ReadLimits(chunk_rows=size))
        for got, want in zip(
            (chunked.matches, chunked.odds, chunked.rejects),
            (whole.matches, whole.odds, whole.rejects),
            strict=True,
        ):
            pd.testing.assert_frame_equal(got, want)
    assert "same match as line 2" in whole.rejects["reason"].tolist()  # across chunks too
    assert set(whole.matches["season"]) == {"2019-20"}


def test_a_file_with_too_many_rejects_is_refused_naming_it(tmp_path: Path) -> None:
    from formline.matches.sources.text_table import ReadLimits

    bad = [edit(ROWS[0], HomeTeam=f"T{i}", Date="32/13/19") for i in range(12)]
    path = write(tmp_path, [HEADER, *bad])
    assert len(read_football_data(path, ReadLimits(max_rejects=12)).rejects) == 12
    with pytest.raises(SourceError) as caught:
        read_football_data(path, ReadLimits(max_rejects=11, chunk_rows=5))
    assert str(caught.value).startswith(f"{path}: more than 11 rejects (INGEST_MAX_REJECTS)")
    assert f"{path}:2: Date: unparseable date '32/13/19'" in str(caught.value)


@pytest.mark.realdata
@pytest.mark.slow
@needs_real_data
def test_the_stacked_real_file_matches_the_season_files(
    real_batches: dict[str, SourceBatch],
) -> None:
    from formline.matches.sources.football_data import read_football_data_file

    read = read_football_data_file(REAL / "matches_all.csv.gz")
    seasons = SourceBatch.concat(list(real_batches.values()))
    key = ["competition", "season", "home_team", "away_team"]
    stacked = read.batch
    assert len(stacked.matches) == len(seasons.matches) == 35_682
    pd.testing.assert_frame_equal(
        stacked.matches[key].sort_values(key, ignore_index=True),
        seasons.matches[key].sort_values(key, ignore_index=True),
    )
    assert len(stacked.odds) == len(seasons.odds)
    assert sorted(stacked.rejects["reason"]) == sorted(reason for *_, reason in KNOWN_REJECTS)
    assert set(read.date_forms) == {"dd/mm/yy", "dd/mm/yyyy"}
    assert "DateISO" in read.ignored_columns and "B365H" in read.odds_columns
    assert {"bet365", "william_hill", "interwetten", "pinnacle"} <= set(stacked.odds["bookmaker"])
