"""Who is who in the transfer sightings: clubs, players and moves across rows and sources.

Pure: sightings in (:data:`~formline.transfers.frames.SIGHTING_COLUMNS`, any mix of sources),
a :class:`~formline.transfers.frames.TransferBatch` and counts out.

Names
-----
A name is *normalised* by stripping accents (NFKD), casefolding, turning every run of
non-alphanumeric characters (letters and digits of any script stay) into one space and
trimming: "Atlético  Madrid" and "atletico-madrid" are both ``atletico madrid``.

Clubs
-----
* A covered club (the club whose file lists the row) is its normalised name; covered names of
  one country that are equal without club-form words (:data:`CLUB_FORM_WORDS`: "AC Milan" and
  "Milan AC", "Empoli FC" and "FC Empoli") are one club, keyed by its most frequent name
  (alias rule ``form``).
* The other side ("counter-club") is, in this order: a *status*, not a club
  (:data:`STATUSES`: "Retired", "Without Club", "Unknown", "Career break", "Ban"); a covered
  club with the same normalised name (rule ``name``); a covered club learnt by *pairing*
  (rule ``paired``); else a club of its own, its normalised name.
* Pairing: a row at covered club A with counter-club spelling ``c`` and a row at covered club
  B != A for the same normalised player name, season and window, in the opposite direction and
  with ages within one, may be the two sides of one move, and vote ``c`` -> B. ``c`` is an
  alias of B when B has more than half of ``c``'s votes and ``c`` abbreviates B: its letters,
  in order, within B from the start of one of B's words ("Man Utd" -> "Manchester United",
  "Nottm Forest" -> "Nottingham Forest"; "Walsall" is never "Middlesbrough FC", however
  often a loan chain pairs them).

Players
-------
* A player is a normalised name plus a *birth year*, ``season - age``: ages move by one a year,
  so one player's rows give birth years one apart at most. Per name, the distinct birth years
  are clustered greedily from the smallest: a cluster takes every year up to its first + 1.
  The player's key is ``"<name>|<first year>"``.
* A row without an age joins the name's only cluster; a name with no aged row at all is one
  player (``"<name>|?"``). A row without an age whose name has several clusters cannot be
  placed: it goes to the player ``"<name>|?"`` with identity ``unresolved`` (counted in
  ``unresolved_rows``).
* Club path: the same player with two moves in one window that share no club (A -> B and
  C -> D) is two people of one name and birth year; the player is kept, marked ``ambiguous``,
  and the rows of such windows are counted in ``ambiguous_rows``.

Moves
-----
A move is (player, season, window, from, to) with ``from``/``to`` a club key or a status; the
rows of both clubs and of every source listing it are one transfer (``sightings`` counts them).
Its values come from the rows in source order (:data:`SOURCE_PRIORITY`: the one with market
values first), the first given value of each. ``observed_at`` is the day of the move where a
row gives one, capped at the close of its window: the summer window closes on 1 September of
the season's first year, the winter one on 1 February of the next. A row whose counter-club
resolves to its own club is rejected (column ``counter_club``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from formline.transfers.frames import (
    CLUB_ALIAS_COLUMNS,
    REJECT_COLUMNS,
    SIGHTING_COLUMNS,
    TransferBatch,
    conform,
)
from formline.transfers.sources.leagues import LEAGUES

#: Counter-club spellings that are a player's status, not a club (normalised -> status).
STATUSES = {
    "retired": "retired",
    "without club": "without club",
    "unknown": "unknown",
    "career break": "career break",
    "ban": "ban",
}
#: Sources whose rows give a move's values first (the rest follow, by name).
SOURCE_PRIORITY = ("transfermarkt-emordonez", "transfermarkt-ewenme")
_NON_ALNUM = re.compile(r"[\W_]+")


#: Words that say what form a club takes, not which club it is ("FC", "Calcio" ...).
CLUB_FORM_WORDS = frozenset(
    ("fc", "afc", "cf", "sc", "ac", "ssc", "fk", "cd", "ud", "sd", "rcd", "sv", "calcio", "club")
)


def club_form(name: str) -> str:
    """A club's name normalised and without :data:`CLUB_FORM_WORDS` ("AC Milan" -> "milan")."""
    return " ".join(w for w in normalise(name).split() if w not in CLUB_FORM_WORDS)


def _covered_keys(rows: pd.DataFrame) -> dict[str, str]:
    """Covered clubs' normalised names -> their club key: names of one form
    (:func:`club_form`) in one country are one club, keyed by its most frequent name."""
    names = rows.groupby(["club_norm", "club_country"], dropna=False).size().reset_index(name="n")
    names["form"] = names["club_norm"].map(club_form)
    names["group"] = names["form"] + "|" + names["club_country"].fillna("")
    best = names.sort_values("n", ascending=False, kind="stable").drop_duplicates("group")
    key_of = dict(zip(best["group"], best["club_norm"], strict=True))
    return dict(zip(names["club_norm"], names["group"].map(key_of), strict=True))


def normalise(name: str) -> str:
    """A name folded for matching: no accents, casefolded, words separated by one space."""
    folded = unicodedata.normalize("NFKD", name)
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).casefold()
    return _NON_ALNUM.sub(" ", folded).strip()


def _normalised(values: pd.Series) -> pd.Series:
    """``normalise`` over a column, once per distinct value."""
    codes, uniques = pd.factorize(values.fillna(""))
    return pd.Series(np.array([normalise(u) for u in uniques], dtype=object)[codes], values.index)


def window_close(season: pd.Series, window: pd.Series) -> pd.Series:
    """When each window closes: 1 September of ``season`` (summer), 1 February of the next
    year (winter)."""
    year = season.astype("int64") + (window == "winter").astype("int64")
    month = np.where(window == "winter", 2, 9)
    return pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": 1}))


@dataclass
class Resolved:
    """The batch identity made, and what it could not settle."""

    batch: TransferBatch
    counts: dict[str, int] = field(default_factory=dict)


def _most_frequent(frame: pd.DataFrame, key: str, value: str) -> pd.Series:
    """Per ``key``, its most frequent non-null ``value`` (ties: the first seen)."""
    given = frame.loc[frame[value].notna(), [key, value]]
    counted = given.groupby([key, value], sort=False).size().reset_index(name="n")
    best = counted.sort_values("n", ascending=False, kind="stable").drop_duplicates(key)
    return best.set_index(key)[value]


def abbreviates(short: str, full: str) -> bool:
    """Whether ``short`` can be ``full`` shortened: its letters (spaces dropped), in order,
    within ``full`` from the start of one of ``full``'s words that begins with its first letter
    ("man utd" -> "manchester united", "nottm forest" -> "nottingham forest")."""
    letters = short.replace(" ", "")
    if not letters:
        return False
    starts = [i for i, ch in enumerate(full) if ch == letters[0] and (i == 0 or full[i - 1] == " ")]
    for start in starts:
        rest = iter(full[start:])
        if all(ch in rest for ch in letters):
            return True
    return False


def _learn_aliases(rows: pd.DataFrame, covered: set[str]) -> dict[str, str]:
    """Counter-club spellings (normalised) -> covered club, from the two sides of moves."""
    cols = ["pn", "season", "transfer_window", "movement", "club_key", "counter_norm", "age"]
    open_ = rows.loc[~rows["counter_norm"].isin(covered) & rows["status"].isna(), cols]
    other = rows[cols].rename(columns={"club_key": "b", "movement": "b_move", "age": "b_age"})
    pairs = open_.merge(other.drop(columns="counter_norm"), on=["pn", "season", "transfer_window"])
    age_gap = (pairs["age"] - pairs["b_age"]).abs()
    pairs = pairs.loc[
        (pairs["movement"] != pairs["b_move"])
        & (pairs["club_key"] != pairs["b"])
        & ~(age_gap > 1).fillna(False)
    ]
    votes = pairs.groupby(["counter_norm", "b"]).size().reset_index(name="n")
    votes["total"] = votes.groupby("counter_norm")["n"].transform("sum")
    best = votes.sort_values("n", ascending=False, kind="stable").drop_duplicates("counter_norm")
    alike = np.array(
        [abbreviates(c, b) for c, b in zip(best["counter_norm"], best["b"], strict=True)],
        dtype=bool,
    )
    chosen = best.loc[alike & (best["n"] * 2 > best["total"])]
    return dict(zip(chosen["counter_norm"], chosen["b"], strict=True))


def _players(rows: pd.DataFrame) -> pd.Series:
    """Each row's player key (see the module docstring) and, in ``rows["identity"]``, how."""
    birth = rows["season"] - rows["age"]
    aged = pd.DataFrame({"pn": rows["pn"], "birth": birth}).dropna().drop_duplicates()
    aged = aged.sort_values(["pn", "birth"])
    starts: list[int] = []
    last_name, start = None, 0
    for name, year in zip(aged["pn"], aged["birth"].astype(int), strict=True):
        if name != last_name or year > start + 1:
            last_name, start = name, year
        starts.append(start)
    aged["start"] = starts
    clusters = aged.groupby("pn")["start"].nunique()
    joined = pd.DataFrame({"pn": rows["pn"], "birth": birth}).merge(
        aged, on=["pn", "birth"], how="left"
    )
    start_of = joined["start"].to_numpy()
    n_clusters = rows["pn"].map(clusters).fillna(0).to_numpy()
    only = rows["pn"].map(aged.drop_duplicates("pn").set_index("pn")["start"])
    no_age = birth.isna().to_numpy()
    start_of = np.where(no_age & (n_clusters == 1), only.to_numpy(), start_of)
    unresolved = no_age & (n_clusters > 1)
    years = pd.Series(start_of, index=rows.index).astype("Int64").astype("string")
    key = rows["pn"] + "|" + years.fillna("?")
    rows["identity"] = np.where(unresolved, "unresolved", "resolved")
    rows["birth_year"] = pd.Series(np.where(unresolved, np.nan, start_of), index=rows.index)
    return key


def _ambiguous(moves: pd.DataFrame) -> list[tuple[object, ...]]:
    """The (player, season, window) whose moves share no club (see the module docstring)."""
    group = ["player_key", "season", "transfer_window"]
    several = moves.loc[moves.duplicated(group, keep=False)]
    flagged: list[tuple[object, ...]] = []
    for key, part in several.groupby(group, sort=False):
        ends = [
            {e for e in (f, t) if isinstance(e, str)}
            for f, t in zip(part["from_club_key"], part["to_club_key"], strict=True)
        ]
        seen = set(ends[0])
        grew = True
        remaining = ends[1:]
        while grew and remaining:
            grew = False
            for e in list(remaining):
                if e & seen:
                    seen |= e
                    remaining.remove(e)
                    grew = True
        if remaining:
            flagged.append(key)
    return flagged


def resolve(sightings: pd.DataFrame) -> Resolved:
    """Clubs, players and moves of ``sightings`` (see the module docstring)."""
    rows = conform(sightings, SIGHTING_COLUMNS)
    rows["club_norm"] = _normalised(rows["club"])
    covered = _covered_keys(rows)
    rows["club_key"] = rows["club_norm"].map(covered).astype("string")
    rows["counter_norm"] = _normalised(rows["counter_club"])
    rows["status"] = rows["counter_norm"].map(STATUSES).astype("string")
    rows["pn"] = _normalised(rows["player_name"])
    aliases = _learn_aliases(rows, set(covered))
    counter_key = rows["counter_norm"].map(lambda c: covered.get(c) or aliases.get(c, c))
    rows["counter_key"] = counter_key.where(rows["status"].isna()).astype("string")
    self_move = (rows["counter_key"] == rows["club_key"]).fillna(False).astype(bool)
    rejects = rows.loc[self_move, ["source", "source_file", "source_line", "counter_club"]]
    rejects = rejects.assign(
        column="counter_club",
        reason="'" + rejects["counter_club"] + "' is the club itself",
        raw=None,
    )
    rows = rows.loc[~self_move].reset_index(drop=True)
    rows["player_key"] = _players(rows)
    incoming = rows["movement"] == "in"
    rows["from_club_key"] = rows["counter_key"].where(incoming, rows["club_key"])
    rows["to_club_key"] = rows["club_key"].where(incoming, rows["counter_key"])
    rows["from_status"] = rows["status"].where(incoming)
    rows["to_status"] = rows["status"].where(~incoming)
    ends = [
        rows["from_club_key"].fillna(rows["from_status"]),
        rows["to_club_key"].fillna(rows["to_status"]),
    ]
    season = rows["season"].astype("string")
    rows["key"] = (
        rows["player_key"] + "|" + season + "|" + rows["transfer_window"] + "|" + ends[0] + "|"
    ) + ends[1]
    rank = {s: i for i, s in enumerate(SOURCE_PRIORITY)}
    rows["_rank"] = rows["source"].map(rank).fillna(len(rank))
    rows = rows.sort_values(["_rank", "source", "source_file", "source_line"], kind="stable")
    transfers = _transfers(rows)
    flagged = _ambiguous(transfers)
    window_of = pd.MultiIndex.from_frame(rows[["player_key", "season", "transfer_window"]])
    in_flagged = window_of.isin(flagged) if flagged else np.zeros(len(rows), dtype=bool)
    ambiguous_players = set(rows.loc[in_flagged, "player_key"])
    batch = TransferBatch(
        leagues=_leagues(rows),
        clubs=_clubs(rows),
        club_aliases=_club_aliases(rows, aliases),
        club_seasons=_club_seasons(rows),
        players=_player_frame(rows, ambiguous_players),
        transfers=transfers,
        rejects=conform(rejects, REJECT_COLUMNS),
    ).conformed()
    counts = {
        "sightings": len(rows),
        "transfers": len(transfers),
        "listed_twice_or_more": int((transfers["sightings"] > 1).sum()),
        "players": len(batch.players),
        "ambiguous_players": len(ambiguous_players),
        "unresolved_rows": int((rows["identity"] == "unresolved").sum()),
        "ambiguous_rows": int(in_flagged.sum()),
        "paired_aliases": len(aliases),
        "self_moves": int(self_move.sum()),
    }
    return Resolved(batch, counts)


def _transfers(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per move key, values from the rows in priority order (``rows`` sorted)."""
    firsts = ["player_key", "from_club_key", "to_club_key", "from_status", "to_status"]
    firsts += ["season", "transfer_window", "age", "position", "fee_eur", "market_value_eur"]
    firsts += ["moved_on"]
    grouped = rows.groupby("key", sort=False)
    out = grouped[firsts].first()
    out[["is_loan", "loan_return"]] = grouped[["is_loan", "loan_return"]].any()
    out["sightings"] = grouped.size()
    first_rows = rows.drop_duplicates("key").set_index("key")
    out = out.join(first_rows[["source", "source_file", "source_line"]])
    close = window_close(out["season"], out["transfer_window"]).to_numpy(dtype="datetime64[us]")
    moved = out["moved_on"].to_numpy(dtype="datetime64[us]")
    out["observed_at"] = np.where(np.isnat(moved) | (moved > close), close, moved)
    return out.reset_index()


def _leagues(rows: pd.DataFrame) -> pd.DataFrame:
    codes = sorted(set(rows["league"].dropna()))
    return pd.DataFrame(
        {
            "key": codes,
            "name": [LEAGUES[c][0] for c in codes],
            "country": [LEAGUES[c][1] for c in codes],
            "tier": [LEAGUES[c][2] for c in codes],
        }
    )


def _clubs(rows: pd.DataFrame) -> pd.DataFrame:
    covered = rows[["club_key", "club", "club_country", "league", "season"]]
    latest = covered.sort_values("season", kind="stable").drop_duplicates("club_key", keep="last")
    own = pd.DataFrame(
        {
            "key": latest["club_key"],
            "name": latest["club_key"].map(_most_frequent(covered, "club_key", "club")),
            "country": latest["club_key"].map(_most_frequent(covered, "club_key", "club_country")),
            "league_key": latest["league"],
        }
    )
    others = rows.loc[
        rows["counter_key"].notna() & ~rows["counter_key"].isin(own["key"]),
        ["counter_key", "counter_club", "counter_country"],
    ]
    keys = pd.Series(others["counter_key"].unique(), dtype="string")
    uncovered = pd.DataFrame(
        {
            "key": keys,
            "name": keys.map(_most_frequent(others, "counter_key", "counter_club")),
            "country": keys.map(_most_frequent(others, "counter_key", "counter_country")),
        }
    )
    return pd.concat([own, uncovered], ignore_index=True)


def _club_aliases(rows: pd.DataFrame, paired: dict[str, str]) -> pd.DataFrame:
    own = rows[["club_norm", "club", "club_key"]].set_axis(["alias", "name", "club_key"], axis=1)
    counters = rows.loc[rows["counter_key"].notna(), ["counter_norm", "counter_club"]]
    counters = counters.set_axis(["alias", "name"], axis=1)
    counters["club_key"] = counters["alias"].map(lambda a: paired.get(a, a))
    both = pd.concat([own, counters], ignore_index=True).drop_duplicates("alias")
    both["rule"] = np.where(both["alias"].isin(list(paired)), "paired", "name")
    both.loc[(both["rule"] == "name") & (both["alias"] != both["club_key"]), "rule"] = "form"
    return conform(both, CLUB_ALIAS_COLUMNS)


def _club_seasons(rows: pd.DataFrame) -> pd.DataFrame:
    """Each covered club's league per season (its most frequent one that season)."""
    seasons = rows.assign(club_season=rows["club_key"] + "|" + rows["season"].astype("string"))
    league = _most_frequent(seasons, "club_season", "league")
    firsts = seasons.drop_duplicates("club_season").set_index("club_season")
    return pd.DataFrame(
        {"club_key": firsts["club_key"], "season": firsts["season"], "league_key": league}
    ).reset_index(drop=True)


def _player_frame(rows: pd.DataFrame, ambiguous: set[str]) -> pd.DataFrame:
    by_season = rows.sort_values("season", kind="stable")
    grouped = by_season.groupby("player_key", sort=False)
    out = pd.DataFrame(
        {
            "name": _most_frequent(rows, "player_key", "player_name"),
            "birth_year": grouped["birth_year"].first(),
            "position": grouped["position"].last(),
            "nationality": grouped["nationality"].last(),
            "identity": grouped["identity"].first(),
        }
    )
    out.index.name = "key"
    out = out.reset_index()
    out.loc[out["key"].isin(ambiguous) & (out["identity"] == "resolved"), "identity"] = "ambiguous"
    return out
