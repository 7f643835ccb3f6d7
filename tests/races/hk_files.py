"""Small hand-made files in the two Hong Kong layouts, for the racing source and store tests."""

from __future__ import annotations

from pathlib import Path

from support import SHARED_DATA

GDALEY = SHARED_DATA / "horse_racing_hk_gdaley"
HK_RESULTS = SHARED_DATA / "horse_racing_hk" / "results.csv"

RACES_HEADER = (
    "race_id,date,venue,race_no,config,surface,distance,going,horse_ratings,prize,race_class,"
    + ",".join(f"sec_time{i}" for i in range(1, 8))
    + ","
    + ",".join(f"time{i}" for i in range(1, 8))
    + ",place_combination1,place_combination2,place_combination3,place_combination4,"
    "place_dividend1,place_dividend2,place_dividend3,place_dividend4,"
    "win_combination1,win_dividend1,win_combination2,win_dividend2"
)
RUNS_HEADER = (
    "race_id,horse_no,horse_id,result,won,lengths_behind,horse_age,horse_country,horse_type,"
    "horse_rating,horse_gear,declared_weight,actual_weight,draw,"
    + ",".join(f"position_sec{i}" for i in range(1, 7))
    + ","
    + ",".join(f"behind_sec{i}" for i in range(1, 7))
    + ","
    + ",".join(f"time{i}" for i in range(1, 7))
    + ",finish_time,win_odds,place_odds,trainer_id,jockey_id"
)


def race_row(race_id: str, date: str, venue: str, number: str, distance: str = "1200") -> str:
    """A races.csv row: three sections, a winner (saddle 1) and three placed horses."""
    sections = "23.1,22.5,23.7,,,,,23.1,45.6,69.3,,,,"
    return (
        f"{race_id},{date},{venue},{number},A,0,{distance},GOOD,60-40,800000.0,4,{sections},"
        "1,2,3,,15.5,20.0,30.5,,1,42.0,,"
    )


def run_row(race_id: str, saddle: str, horse: str, result: str, **cells: str) -> str:
    """A runs.csv row (``cells`` override columns by name)."""
    values = {
        "race_id": race_id,
        "horse_no": saddle,
        "horse_id": horse,
        "result": result,
        "won": "1.0" if result == "1" else "0.0",
        "lengths_behind": "0.0" if result == "1" else "1.5",
        "horse_age": "3",
        "horse_country": "AUS",
        "horse_type": "Gelding",
        "horse_rating": "60",
        "horse_gear": "--",
        "declared_weight": "1100.0",
        "actual_weight": "125",
        "draw": saddle,
        "position_sec1": saddle,
        "position_sec2": saddle,
        "position_sec3": saddle,
        "behind_sec1": "1.0",
        "behind_sec2": "1.0",
        "behind_sec3": "1.5",
        "time1": "23.2",
        "time2": "22.6",
        "time3": "23.8",
        "finish_time": "69.6",
        "win_odds": "4.2",
        "place_odds": "1.8",
        "trainer_id": "7",
        "jockey_id": "11",
    }
    values |= cells
    return ",".join(values.get(name, "") for name in RUNS_HEADER.split(","))


def write_gdaley(folder: Path, races: list[str], runs: list[str]) -> Path:
    """A gdaley folder with ``races`` and ``runs`` rows under the real headers."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "races.csv").write_text("\n".join([RACES_HEADER, *races]) + "\n", encoding="utf-8")
    (folder / "runs.csv").write_text("\n".join([RUNS_HEADER, *runs]) + "\n", encoding="utf-8")
    return folder


RESULTS_HEADER = (
    ",row,plc,horseno,horse,jockey,trainer,actualwt,declarwt,draw,lbw,runningpos,finishtime,"
    "winodds,date,raceno,class,distance,going,handicap,course,stake,venue"
)


def results_row(
    place: str,
    saddle: str,
    horse: str,
    *,
    lbw: str = "1-1/4",
    date: str = "2016-01-03",
    number: str = "1",
    finish: str = "1.10.19",
    positions: str = "4 3 1",
    odds: str = "3.5",
    jockey: str = "C Y Ho",
) -> str:
    """A results.csv row at Sha Tin, 1200 m on the C+3 course."""
    return (
        f"0,0,{place},{saddle},{horse},{jockey},C Fownes,119.0,1037.0,{saddle},{lbw},{positions},"
        f"{finish},{odds},{date},{number},4,1200,GOOD,A HANDICAP,TURF - C+3 COURSE,800000,Sha Tin"
    )


def write_results(path: Path, rows: list[str]) -> Path:
    """A results.csv with ``rows`` under the real header."""
    path.write_text("\n".join([RESULTS_HEADER, *rows]) + "\n", encoding="utf-8")
    return path
