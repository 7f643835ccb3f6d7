"""read_us_sports: each file's layout recognised by its header, folders searched, an unknown
file refused by name, and the read bounds apply."""

from __future__ import annotations

from pathlib import Path

import pytest
import us_rows as rows
from us_files import write

from formline.errors import SourceError
from formline.matches.sources.text_table import ReadLimits
from formline.matches.sources.us import UsBatch, layout_of, read_us_sports


def _world(root: Path) -> Path:
    write(root / "nfl" / "spreadspoke_scores.csv", rows.SPREADSPOKE_HEADER, rows.SPREADSPOKE_ROWS)
    write(root / "nfl" / "nfl_teams.csv", "team_name,team_name_short,team_id", ["A,B,C"])
    (root / "nfl" / "PROVENANCE.md").write_text("# not data\n", encoding="utf-8")
    write(root / "op" / "oddsportal_nba.csv", rows.ODDSPORTAL_HEADER, rows.ODDSPORTAL_ROWS)
    write(root / "nba_2008-2024.csv", rows.NBA_ODDS_HEADER, rows.NBA_ODDS_ROWS)
    write(root / "mlb_odds.csv", rows.MLB_SBR_HEADER, rows.MLB_SBR_ROWS)
    write(root / "nhl_odds_rows.csv.gz", rows.NHL_SBR_HEADER, rows.NHL_SBR_GAME, gz=True)
    write(
        root / "538" / "nfl_elo.csv",
        rows.ELO_NFL,
        ["2019-09-05,2019,False,CHI,GB,1,2,0.6,0.4,,,3,10"],
    )
    return root


def test_every_layout_is_recognised_in_a_folder(tmp_path: Path) -> None:
    reads = read_us_sports([_world(tmp_path / "data")])
    found = {p.path.name: (p.layout, len(p.batch.games)) for p in reads}
    assert found == {
        "nfl_elo.csv": ("fivethirtyeight_elo", 1),
        "mlb_odds.csv": ("mlb_odds_sbr", 2),
        "nba_2008-2024.csv": ("nba_odds", 3),
        "nfl_teams.csv": ("spreadspoke_teams", 0),
        "spreadspoke_scores.csv": ("spreadspoke_scores", 4),
        "nhl_odds_rows.csv.gz": ("nhl_odds_sbr", 1),
        "oddsportal_nba.csv": ("oddsportal", 3),
    }
    batch = UsBatch.concat([r.batch for r in reads])
    assert set(batch.games["sport"]) == {"nfl", "nba", "mlb", "nhl"}
    assert len(batch.forecasts) == 1


def test_an_unknown_file_is_refused_by_name(tmp_path: Path) -> None:
    root = _world(tmp_path / "data")
    stray = write(root / "op" / "E0.csv", "Div,Date,HomeTeam,AwayTeam", ["E0,1/1/20,A,B"])
    with pytest.raises(SourceError, match=rf"{stray}: not a known US-sports file .*Div"):
        read_us_sports([root])
    with pytest.raises(SourceError, match="no such file or folder"):
        read_us_sports([tmp_path / "missing"])
    assert layout_of(root / "mlb_odds.csv") == "mlb_odds_sbr"


def test_a_binary_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"PK\x03\x04\x00\x00")
    with pytest.raises(SourceError, match="binary data"):
        read_us_sports([path])


def test_the_read_bounds_apply(tmp_path: Path) -> None:
    path = write(
        tmp_path / "nba.csv",
        rows.NBA_ODDS_HEADER,
        [rows.NBA_ODDS_ROWS[0].replace(",97,106,", ",95,95,")] * 3,
    )
    with pytest.raises(SourceError, match=r"more than 2 rejects \(INGEST_MAX_REJECTS\)"):
        read_us_sports([path], ReadLimits(max_rejects=2))
    with pytest.raises(SourceError, match="INGEST_MAX_FILE_MB"):
        read_us_sports([path], ReadLimits(max_file_mb=0.0001))


def test_the_readers_touch_no_store_and_no_network() -> None:
    import ast

    import formline.matches.sources.us as package

    banned = ("sqlalchemy", "duckdb", "formline.store", "formline.engine", "httpx", "requests")
    found = []
    modules = sorted(Path(package.__file__).parent.glob("*.py"))
    assert len(modules) == 9
    for path in modules:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names.append(node.module)
            found += [f"{path.name}: {n}" for n in names if n.startswith(banned)]
    assert found == []
