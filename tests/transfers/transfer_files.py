"""Small hand-made files in the two transfer layouts, and the shared real data's location."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import SHARED_DATA

EWENME = SHARED_DATA / "transfers_ewenme"
EMORDONEZ = SHARED_DATA / "transfers_emordonez"

EWENME_HEADER = (
    "club_name,player_name,age,position,club_involved_name,fee,transfer_movement,"
    "transfer_period,fee_cleaned,league_name,year,season,country"
)
EMORDONEZ_HEADER = (
    "club,name,age,nationality,position,short_pos,market_value,dealing_club,dealing_country,fee,"
    "movement,window,league,season,is_loan,loan_status,source_file"
)


def require_transfer_data() -> tuple[Path, Path]:
    """The shared ewenme and emordonez folders, or skip."""
    if not EWENME.is_dir() or not (EMORDONEZ / "transfers_all.csv.gz").is_file():
        pytest.skip(f"shared transfer data not found at {SHARED_DATA}")
    return EWENME, EMORDONEZ


def ewenme_row(
    club: str,
    player: str,
    age: str,
    counter: str,
    movement: str,
    *,
    fee: str = "€1.50m",
    cleaned: str = "1.5",
    window: str = "Summer",
    year: str = "2015",
    league: str = "Premier League",
    position: str = "Centre-Forward",
) -> str:
    """An ewenme row (England)."""
    return (
        f'{club},{player},{age},{position},{counter},"{fee}",{movement},{window},{cleaned},'
        f"{league},{year},{year}/{int(year) + 1 if year.isdigit() else ''},England"
    )


def emordonez_row(
    club: str,
    player: str,
    age: str,
    counter: str,
    movement: str,
    *,
    fee: str = "1500000.0",
    value: str = "2000000.0",
    window: str = "summer",
    season: str = "2015",
    league: str = "Premier League",
    loan: str = "",
) -> str:
    """An emordonez row (an English player, counter-club in England)."""
    is_loan = "True" if loan else "False"
    return (
        f"{club},{player},{age},England,Centre-Forward,CF,{value},{counter},England,{fee},"
        f"{movement},{window},{league},{season},{is_loan},{loan},data/{season}/x.csv"
    )


def write(path: Path, header: str, rows: list[str]) -> Path:
    """A CSV file with ``rows`` under ``header``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path
