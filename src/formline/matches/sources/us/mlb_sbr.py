"""Read the SBR MLB file (``mlb_odds_2010_2019.csv``): one row per game with opening and
closing moneylines and totals, and the run line.

Conventions
-----------
* The file is a parse of SBR's yearly spreadsheets, whose rows come in visitor/home pairs
  dated MMDD without a year; the parser has already joined each pair into one row (``v_*``
  the visitor, ``h_*`` home) and written ``date`` as yyyy-mm-dd in the calendar year ``seas``
  (an MLB season, postseason included, lies inside one year). A ``date`` whose year is not
  ``seas`` is a reject.
* Teams are SBR's three-letter codes (``CUB``, ``SFO``, ``TAM``), kept as spelled.
* ``neutral`` is 0/1. Two games of the same teams on one day (a doubleheader) are game 1 and
  2 in the file's order (SBR's rotation numbers ``v_rot``/``h_rot`` are not kept).
* Moneylines: ``*_ml_open`` and ``*_ml_close`` (American). Totals: ``ou_open``/``ou_close``
  with the over's and the under's price (``*_ovr``, ``*_und``). Run line (2014 on): each
  side's ``*_rl`` and ``*_rl_odds``, taken as closing (SBR's sheets give one run line). All
  from bookmaker ``sbr``, captured at times the file does not give.
* A tied final is a reject (MLB games have no draws; the file's few ties are SBR data errors
  or suspended games).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from formline.matches.sources.text_table import ReadLimits
from formline.matches.sources.us.common import Cells, LineSpec, UsFileRead, games_frame, lines_frame
from formline.matches.sources.us.frames import UsBatch

SOURCE = "sbr_mlb"
LAYOUT = "mlb_odds_sbr"
COLUMNS = (
    "seas",
    "date",
    "v_team",
    "v_final",
    "h_team",
    "h_final",
    "v_ml_open",
    "v_ml_close",
    "h_ml_open",
    "h_ml_close",
    "ou_open",
    "ou_close",
)


def read_mlb_sbr(path: Path, limits: ReadLimits | None = None) -> UsFileRead:
    """Read the SBR MLB odds file (see the module for its conventions).

    Raises
    ------
    SourceError
        If the file cannot be read, lacks a column of :data:`COLUMNS`, or passes ``limits``.
    """
    cells = Cells(path, "an SBR MLB odds file", COLUMNS, SOURCE, limits or ReadLimits())
    season = cells.numbers("seas", "season", fatal=True)
    cells.log.add(cells.text("seas") == "", "seas", "missing season", fatal=True)
    date = cells.dates("date", "%Y-%m-%d")
    year = np.array([float(d[:4]) if d else np.nan for d in date])
    other = np.isfinite(season) & np.isfinite(year) & (season != year)
    cells.log.add(other, "date", "date '{}' is not in season {:.0f}", date, season, fatal=True)
    home = cells.required("h_team", "home team")
    away = cells.required("v_team", "visiting team")
    home_score, away_score = cells.scores("h_final", "v_final", "mlb")
    neutral = cells.flags("neutral", ("1",), ("0",))
    prices = {
        name: cells.american(name)
        for name in (
            "h_ml_open",
            "v_ml_open",
            "h_ml_close",
            "v_ml_close",
            "h_rl_odds",
            "v_rl_odds",
            "ou_open_ovr",
            "ou_open_und",
            "ou_close_ovr",
            "ou_close_und",
        )
    }
    run_lines = {name: cells.line(name, "run line", -10.0, 10.0) for name in ("h_rl", "v_rl")}
    totals = {name: cells.line(name, "total", 1.0, 40.0) for name in ("ou_open", "ou_close")}
    cells.check_rejects()
    keep = ~cells.log.dropped
    labels = np.array(["" if not np.isfinite(s) else f"{s:.0f}" for s in season], dtype=object)
    games = games_frame(
        cells,
        "mlb",
        {
            "season": labels,
            "game_date": date,
            "home_team": home,
            "away_team": away,
            "home_score": home_score,
            "away_score": away_score,
            "neutral": neutral,
        },
    )
    p = {name: values[keep] for name, values in prices.items()}
    specs = [
        LineSpec("moneyline", "home", kind, american=p[f"h_ml_{short}"])
        for kind, short in (("opening", "open"), ("closing", "close"))
    ]
    specs += [
        LineSpec("moneyline", "away", kind, american=p[f"v_ml_{short}"])
        for kind, short in (("opening", "open"), ("closing", "close"))
    ]
    specs += [
        LineSpec("spread", "home", "closing", run_lines["h_rl"][keep], p["h_rl_odds"]),
        LineSpec("spread", "away", "closing", run_lines["v_rl"][keep], p["v_rl_odds"]),
    ]
    for kind, short in (("opening", "open"), ("closing", "close")):
        total = totals[f"ou_{short}"][keep]
        specs += [
            LineSpec("total", "over", kind, total, p[f"ou_{short}_ovr"]),
            LineSpec("total", "under", kind, total, p[f"ou_{short}_und"]),
        ]
    batch = UsBatch(games, lines_frame(games, "sbr", specs), rejects=cells.log.frame())
    return UsFileRead(path, LAYOUT, cells.n, int(cells.log.dropped.sum()), batch.conformed())
