"""US-sports games as the store holds them: which stored match a source's game is, when it
started and when its result and lines were known, and the frames the staged writer takes.

Pure: the readers' :class:`~formline.matches.sources.us.UsFileRead` and the stored US games
(``anchors``) in, a :class:`UsPlan` out; :mod:`formline.matches.us_ingest` writes it.

The match key
-------------
A US game is stored under the football natural key plus a ``fixture_key``,
``(competition, season, home team, away team, fixture_key)``, because US teams meet at the same
home several times a season. Teams are franchises
(:func:`formline.matches.team_aliases.canonical_team`: a moved or renamed franchise is one
team). A game of a file is the stored (or earlier-read) match of the same competition, season
and teams that is, in this order of preference:

1. on the same day with the same game number (a rerun; the doubleheader's second game);
2. on the same day (another source, whatever its score says);
3. a day apart with the same final score (OddsPortal dates an evening game by its own time
   zone, sometimes the next day);
4. on the same day with home and away the other way round (see below).

Each stored match takes at most one game of a file. A game that is none of them is a new match
with ``fixture_key`` ``YYYY-MM-DD#n``: its day and game number as first stored (later sources
do not move the key). Files are matched in the order of :data:`SOURCE_PRIORITY`, so keys are
those of the preferred source. A neutral-site game that two sources list with home and away
the other way round (a neutral site: the Super Bowl, London, the 2020 bubbles) is the same
match too, when it is on the same day with the same score (or none yet): its sides, lines
(home and away selections) and forecasts are turned to the match's orientation.

The match row (date, score, ``source``) is the preferred source's among those that list the
game (:data:`SOURCE_PRIORITY`: the sources dating games by the US day first), whatever the
order of the loads; every source's lines are stored on it.

Times (UTC)
-----------
No shared file gives a start time. ``kickoff_at`` is the game's day at the sport's nominal
start in New York time (:data:`SCHEDULE`: NFL and MLB 13:00, NBA and NHL 19:00; early on
purpose, since features may use only what was known before it), and a finished game's result
is known (``observed_at``) at kickoff plus the sport's result delay, which covers the latest
usual start of that day plus the game with overtime (NFL 11 h, NBA and NHL 7 h, MLB 14 h: all
results are in by 00:00-03:00 New York time the next day). As in the football adapter, closing
lines are captured and known at kickoff, opening lines a day before it (``captured_at`` is that
same assumption: the files do not say); a reference forecast is known at kickoff. A line's and
a forecast's kickoff is the nominal kickoff of the day its own file dates the game (OddsPortal's
at times a day from the match's), so their times do not depend on
which source's row the match keeps or on the order of the loads.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from formline.matches.frames import REJECT_COLUMNS, SourceBatch, conform
from formline.matches.sources.us import UsBatch, UsFileRead

__all__ = [
    "COMPETITIONS",
    "SCHEDULE",
    "SOURCE_PRIORITY",
    "US_SPORTS",
    "UsPlan",
    "nominal_kickoffs",
    "plan_us_load",
]

US_SPORTS = ("nfl", "nba", "mlb", "nhl")
#: sport -> (competition name, country) of its league (the code is the sport's competition).
COMPETITIONS = {
    "nfl": ("National Football League", "USA"),
    "nba": ("National Basketball Association", "USA and Canada"),
    "mlb": ("Major League Baseball", "USA and Canada"),
    "nhl": ("National Hockey League", "USA and Canada"),
}
#: sport -> (nominal start hour in New York time, hours until the result is known).
SCHEDULE = {"nfl": (13, 11), "nba": (19, 7), "nhl": (19, 7), "mlb": (13, 14)}
#: The sources whose match row is kept, best first (a source not named comes last).
SOURCE_PRIORITY = ("sbr_nba", "sbr_nhl", "sbr_mlb", "spreadspoke", "fivethirtyeight", "oddsportal")
#: The columns that must agree for two games to be one match (besides the day).
TEAMS = ["sport", "competition", "season", "home", "away"]
_ZONE = "America/New_York"

#: What :func:`plan_us_load` needs of every stored US match.
ANCHOR_COLUMNS = [*TEAMS, "fixture_key", "kickoff_at", "home_score", "away_score", "source"]


def nominal_kickoffs(sports: pd.Series, days: pd.Series) -> pd.Series:
    """The nominal kickoff (naive UTC) of games on ``days`` (``YYYY-MM-DD``) of ``sports``."""
    hours = sports.map({s: h for s, (h, _) in SCHEDULE.items()}).astype("int64")
    local = pd.to_datetime(days) + pd.to_timedelta(hours, unit="h")
    utc = local.dt.tz_localize(_ZONE, nonexistent="shift_forward", ambiguous=False)
    return utc.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]")


def result_delays(sports: pd.Series) -> pd.Series:
    """How long after the nominal kickoff a game's result is known (see the module)."""
    delays = sports.map({s: d for s, (_, d) in SCHEDULE.items()}).astype("int64")
    return pd.to_timedelta(delays, unit="h")


def _priority(sources: pd.Series) -> pd.Series:
    rank = {s: i for i, s in enumerate(SOURCE_PRIORITY)}
    return sources.map(rank).fillna(len(rank)).astype("int64")


def _local_days(kickoffs: pd.Series) -> pd.Series:
    """The New York calendar day of naive-UTC kickoffs, as datetime64[D]-like timestamps."""
    utc = pd.to_datetime(kickoffs).dt.tz_localize("UTC").dt.tz_convert(_ZONE)
    return utc.dt.tz_localize(None).dt.normalize()


@dataclass
class UsPlan:
    """What a load of US files writes: the staged writer's batch (matches, odds, rejects),
    the source spellings to alias, the reference forecasts, and notes on the merge."""

    batch: SourceBatch
    aliases: pd.DataFrame
    forecasts: pd.DataFrame
    games: int = 0
    notes: list[str] = field(default_factory=list)


def _games(reads: Sequence[UsFileRead]) -> tuple[pd.DataFrame, UsBatch]:
    """Every file's games with its file number, and the stacked batch."""
    batches = []
    for number, read in enumerate(reads):
        batch = read.batch
        games = batch.games.copy()
        games["_file"] = number
        batches.append(UsBatch(games, batch.lines, batch.forecasts, batch.rejects))
    stacked = UsBatch.concat(batches)
    g = stacked.games
    g["home"], g["away"] = g["home_team_canonical"], g["away_team_canonical"]
    g["day"] = pd.to_datetime(g["game_date"]).astype("datetime64[ns]")
    g["priority"] = _priority(g["source"])
    return g, stacked


def _same_franchise(games: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The games whose two sides are one franchise (rejects), and the others."""
    same = (games["home"] == games["away"]).to_numpy()
    bad = games[same]
    rejects = pd.DataFrame(
        {
            "source": bad["source"],
            "source_file": bad["source_file"],
            "source_line": bad["source_line"],
            "column": "away_team",
            "reason": [
                f"'{h}' and '{a}' are the same franchise ({c})"
                for h, a, c in zip(bad["home_team"], bad["away_team"], bad["home"], strict=True)
            ],
            "raw": pd.NA,
        }
    )
    return games[~same], rejects


def _claim(part: pd.DataFrame, anchors: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The stored (or earlier-read) match each game of one file is (see the module): its
    ``fixture_key`` (NA for a new match), and whether the match has the game's sides the other
    way round."""
    out = pd.Series(pd.NA, index=part.index, dtype=object)
    swapped = pd.Series(False, index=part.index)
    if anchors.empty or part.empty:
        return out, swapped
    cand = part[[*TEAMS, "day", "game_number", "home_score", "away_score"]].reset_index()
    turned = cand.rename(
        columns={
            "home": "away",
            "away": "home",
            "home_score": "away_score",
            "away_score": "home_score",
        }
    )
    cand = pd.concat(
        [
            cand.merge(anchors, on=TEAMS, suffixes=("", "_a")).assign(swapped=False),
            turned.merge(anchors, on=TEAMS, suffixes=("", "_a")).assign(swapped=True),
        ],
        ignore_index=True,
    )
    if cand.empty:
        return out, swapped
    dd = np.minimum(
        (cand["day"] - cand["key_day"]).abs().dt.days,
        (cand["day"] - cand["kick_day"]).abs().dt.days,
    )
    scored = cand["home_score"].notna() & cand["home_score_a"].notna()
    same_score = (
        scored
        & (cand["home_score"] == cand["home_score_a"]).fillna(False)
        & (cand["away_score"] == cand["away_score_a"]).fillna(False)
    )
    straight = ~cand["swapped"]
    exact = straight & (dd == 0) & (cand["game_number"] == cand["key_number"])
    # Sides the other way round: only on the same day, with the same score (or none yet).
    turned_ok = cand["swapped"] & (dd == 0) & (same_score | ~scored)
    rank = np.select(
        [exact, straight & (dd == 0), straight & (dd == 1) & same_score, turned_ok],
        [0, 1, 2, 3],
        9,
    )
    cand = cand.assign(rank=rank, dd=dd)[rank < 9]
    cand = cand.sort_values(["rank", "dd", "index"], kind="stable")
    cand = cand.drop_duplicates("index").drop_duplicates("anchor")
    out.loc[cand["index"].to_numpy()] = cand["fixture_key"].to_numpy()
    swapped.loc[cand["index"].to_numpy()] = cand["swapped"].to_numpy()
    return out, swapped


def _anchor_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Anchors (candidate matches) from rows with ``fixture_key``, ``day``/``kickoff_at``."""
    out = frame[[*TEAMS, "fixture_key", "home_score", "away_score"]].copy()
    keys = out["fixture_key"].astype(str)
    out["key_day"] = pd.to_datetime(keys.str.slice(0, 10)).astype("datetime64[ns]")
    out["key_number"] = pd.to_numeric(keys.str.split("#").str[1]).astype("int64")
    kick = frame["day"] if "day" in frame else _local_days(frame["kickoff_at"])
    out["kick_day"] = pd.to_datetime(kick).astype("datetime64[ns]")
    for side in ("home_score", "away_score"):
        out[side] = out[side].astype("Int64")
    return out


def _resolve(games: pd.DataFrame, stored: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Every game's ``fixture_key`` (see the module), files in source priority order, and
    whether its match has its sides the other way round."""
    keys = pd.Series(pd.NA, index=games.index, dtype=object)
    turned = pd.Series(False, index=games.index)
    anchors = _anchor_rows(stored)
    taken: dict[tuple[object, ...], set[str]] = defaultdict(set)
    for row in anchors[[*TEAMS, "fixture_key"]].itertuples(index=False):
        taken[tuple(row[:-1])].add(row[-1])
    order = games[["priority", "_file"]].drop_duplicates().sort_values(["priority", "_file"])
    for file in order["_file"]:
        part = games[games["_file"] == file]
        anchors = anchors.reset_index(drop=True).assign(anchor=lambda a: a.index)
        found, swapped = _claim(part, anchors)
        turned.loc[part.index] = swapped
        new = part[found.isna()]
        made = []
        for team_key, day, number in zip(
            new[TEAMS].itertuples(index=False, name=None),
            new["game_date"],
            new["game_number"],
            strict=True,
        ):
            n = int(number)
            while f"{day}#{n}" in taken[team_key]:  # a key another game holds: the next one
                n += 1
            made.append(f"{day}#{n}")
            taken[team_key].add(made[-1])
        found.loc[new.index] = made
        keys.loc[part.index] = found
        if len(new):
            added = new.assign(fixture_key=found.loc[new.index])
            anchors = pd.concat([anchors.drop(columns="anchor"), _anchor_rows(added)])
    return keys, turned


def plan_us_load(reads: Sequence[UsFileRead], stored: pd.DataFrame) -> UsPlan:
    """The load of ``reads`` into a store holding the US games ``stored`` (columns
    :data:`ANCHOR_COLUMNS`, teams by franchise name, ``kickoff_at`` naive UTC).

    Returns
    -------
    UsPlan
        The staged writer's batch (one match row per game the load should write, every
        file's lines on their matches, the readers' rejects and the same-franchise ones), the
        source spellings to alias, the reference forecasts and notes.
    """
    games, stacked = _games(reads)
    games, same = _same_franchise(games)
    rejects = pd.concat([stacked.rejects, conform(same, REJECT_COLUMNS)], ignore_index=True)
    aliases = _aliases(games)
    keys, turned = _resolve(games, stored)
    games = games.assign(fixture_key=keys, _swapped=turned.to_numpy())
    flip = games["_swapped"].to_numpy()
    for a, b in (("home", "away"), ("home_score", "away_score")):
        games.loc[flip, [a, b]] = games.loc[flip, [b, a]].to_numpy()
    fixture = [*TEAMS, "fixture_key"]
    best = games.sort_values(["priority", "_file", "source_line"], kind="stable")
    best = best.drop_duplicates(fixture)
    known = stored.assign(stored_priority=_priority(stored["source"]))
    best = best.merge(
        known[[*fixture, "stored_priority", "kickoff_at"]].rename(
            columns={"kickoff_at": "stored_kickoff"}
        ),
        on=fixture,
        how="left",
    )
    kickoff = nominal_kickoffs(best["sport"], best["game_date"])
    keep = best["stored_priority"].isna() | (best["priority"] <= best["stored_priority"])
    best["kickoff_at"] = kickoff.where(keep, best["stored_kickoff"]).astype("datetime64[us]")
    matches = best[keep.to_numpy()]
    finished = matches["status"] == "finished"
    batch = SourceBatch(
        matches=pd.DataFrame(
            {
                "sport": matches["sport"],
                "competition": matches["competition"],
                "competition_name": matches["sport"].map(lambda s: COMPETITIONS[s][0]),
                "country": matches["sport"].map(lambda s: COMPETITIONS[s][1]),
                "season": matches["season"],
                "fixture_key": matches["fixture_key"],
                "kickoff_at": matches["kickoff_at"],
                "home_team": matches["home"],
                "away_team": matches["away"],
                "status": matches["status"],
                "home_goals": matches["home_score"],
                "away_goals": matches["away_score"],
                "observed_at": (matches["kickoff_at"] + result_delays(matches["sport"])).where(
                    finished
                ),
                "source": matches["source"],
                "source_file": matches["source_file"],
                "source_line": matches["source_line"],
            }
        ),
        odds=_odds(stacked.lines, games),
        rejects=rejects,
    )
    return UsPlan(
        batch,
        aliases,
        _forecasts(stacked.forecasts, games),
        len(games),
        _notes(games, stored, fixture),
    )


_GAME_OF = ["sport", "competition", "season", "game_date", "home_team", "away_team"]


def _of_games(rows: pd.DataFrame, games: pd.DataFrame) -> pd.DataFrame:
    """``rows`` (lines or forecasts) with their game's teams and fixture, and the nominal
    kickoff of the day their own source dates the game (so a line's times do not depend on
    which source's row the match keeps, nor on the order of the loads)."""
    on = [*_GAME_OF, "game_number", "source_file"]
    mine = games[[*on, "home", "away", "fixture_key", "_swapped"]]
    out = rows.merge(mine, on=on, how="inner")
    return out.assign(kickoff_at=nominal_kickoffs(out["sport"], out["game_date"]))


def _odds(lines: pd.DataFrame, games: pd.DataFrame) -> pd.DataFrame:
    if lines.empty:
        return pd.DataFrame()
    o = _of_games(lines, games)
    known = o["kickoff_at"].where(o["kind"] == "closing", o["kickoff_at"] - pd.Timedelta(days=1))
    captured = o["captured_at"].fillna(known).astype("datetime64[us]")
    sides = {"home": "away", "away": "home"}  # a game stored with its sides the other way round
    selection = o["selection"].where(
        ~o["_swapped"], o["selection"].map(sides).fillna(o["selection"])
    )
    return pd.DataFrame(
        {
            "sport": o["sport"],
            "competition": o["competition"],
            "season": o["season"],
            "fixture_key": o["fixture_key"],
            "home_team": o["home"],
            "away_team": o["away"],
            "bookmaker": o["bookmaker"],
            "market": o["market"],
            "selection": selection,
            "line": o["line"].fillna(0.0).astype("float64"),
            "price": o["price"].astype("float64"),
            "kind": o["kind"],
            "captured_at": captured,
            "observed_at": captured,
            "source": o["source"],
        }
    )


#: The reference forecasts' columns, as :func:`formline.matches.us_ingest` stages them.
FORECAST_STAGE = {
    "sport": "text",
    "competition": "text",
    "season": "text",
    "fixture_key": "text",
    "home_team": "text",
    "away_team": "text",
    "forecaster": "text",
    "p_home": "float",
    "p_away": "float",
    "p_draw": "float",
    "rating_home_pre": "float",
    "rating_away_pre": "float",
    "rating_home_post": "float",
    "rating_away_post": "float",
    "observed_at": "timestamp",
    "source": "text",
    "source_file": "text",
    "source_line": "int",
}


def _forecasts(forecasts: pd.DataFrame, games: pd.DataFrame) -> pd.DataFrame:
    if forecasts.empty:
        return pd.DataFrame(columns=list(FORECAST_STAGE))
    f = _of_games(forecasts, games)
    p = f["p_home_win"].astype("float64")
    turned = f["_swapped"].to_numpy(dtype=bool)
    p = p.where(~turned, 1.0 - p)
    ratings = {}
    for when in ("pre", "post"):
        home, away = (f[f"elo_{side}_{when}"].astype("float64") for side in ("home", "away"))
        ratings[f"rating_home_{when}"] = home.where(~turned, away)
        ratings[f"rating_away_{when}"] = away.where(~turned, home)
    return pd.DataFrame(
        {
            "sport": f["sport"],
            "competition": f["competition"],
            "season": f["season"],
            "fixture_key": f["fixture_key"],
            "home_team": f["home"],
            "away_team": f["away"],
            "forecaster": f["forecaster"],
            "p_home": p,
            "p_away": 1.0 - p,  # 538's two probabilities add up to 1 (checked by the reader)
            "p_draw": np.nan,  # 538's Elo gives no draw probability (NFL ties are rare)
            **ratings,
            "observed_at": f["kickoff_at"],
            "source": f["source"],
            "source_file": f["source_file"],
            "source_line": f["source_line"],
        }
    )


def _aliases(games: pd.DataFrame) -> pd.DataFrame:
    """Every source spelling that is not its franchise's name: (sport, alias, team, source)."""
    sides = [
        games[["sport", f"{side}_team", side, "source"]].set_axis(
            ["sport", "alias", "team", "source"], axis=1
        )
        for side in ("home", "away")
    ]
    out = pd.concat(sides, ignore_index=True).drop_duplicates(["sport", "alias"])
    return out[out["alias"] != out["team"]].sort_values(["sport", "alias"]).reset_index(drop=True)


def _notes(games: pd.DataFrame, stored: pd.DataFrame, fixture: list[str]) -> list[str]:
    """How the files' games fell into matches: merged across sources, scores that differ."""
    n_sources = games.groupby(fixture)["source"].nunique()
    scores = games.dropna(subset=["home_score"]).groupby(fixture)
    differ = (scores["home_score"].nunique() > 1) | (scores["away_score"].nunique() > 1)
    return [
        f"{len(n_sources)} matches from {len(games)} games "
        f"({int((n_sources > 1).sum())} listed by two or more sources, "
        f"{len(stored)} US games stored before)",
        f"{int(differ.sum())} matches whose sources give different final scores "
        f"(the preferred source's score is stored: {', '.join(SOURCE_PRIORITY)})",
        f"{int(games['_swapped'].sum())} games matched to a match that has their home and "
        "away the other way round (neutral sites; their lines and forecasts are turned)",
    ]
