"""Point-in-time game features for the US sports (NFL, NBA, MLB, NHL): one row per game, every
value computed from results observed before the game's kickoff.

Pure: frames in, a frame out (pandas and numpy; no store). :mod:`formline.matches.us_reads`
reads the frames from the matches tables.

The inputs
----------
``games``: one row per match, ``match_id``, ``season``, ``kickoff_at``, ``observed_at`` (when
the result was known; NaT for a game not played), ``home_team``, ``away_team``, ``home_score``,
``away_score`` and optionally ``neutral`` (no home edge in the Elo at a neutral site; the
matches table does not keep it, so stored games are all treated as home games). ``odds``
(optional): ``match_id``, ``bookmaker``, ``market``, ``selection``,
``line``, ``price``, ``kind`` and ``observed_at``.

The rule
--------
A result is a fact from its ``observed_at`` on; a game's features use only facts observed
strictly before its kickoff (queries sort before facts at the same time), so a game's own result
and the results of games that finish after it starts (a doubleheader's first game) are never
in it. The Elo recurrence runs once over the results in the order they became known; a game reads
each side's rating after its last result observed before kickoff (regressed to the mean if that
result was in an earlier season) with an as-of join.

Market features are flagged (:data:`MARKET_FEATURES`) so that a no-market model leaves them out.
An opening line is known a day before kickoff (the ingest's assumption); a closing line is known
at kickoff, not before: the ``market_close_*`` columns are for a forecast made at kickoff (and
for the market reference), and are the one exception to the strict rule; every other feature,
the opening line included, is known strictly before kickoff.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import norm

from formline.core.ratings import elo_kernel

__all__ = [
    "BASE_FEATURES",
    "CLOSING_FEATURES",
    "FEATURE_SPECS",
    "MARKET_FEATURES",
    "OPENING_FEATURES",
    "TOTAL_FEATURES",
    "FeatureSpec",
    "build_us_features",
    "demargined_moneyline",
    "elo_history",
]

#: Features from results only (no odds).
BASE_FEATURES = (
    "elo_logit",
    "rest_home",
    "rest_away",
    "b2b_home",
    "b2b_away",
    "margin_last_home",
    "margin_last_away",
    "margin_ewm_home",
    "margin_ewm_away",
    "margin_venue_home",
    "margin_venue_away",
)
#: Scoring levels, for totals models (not used by the win models): the mean total points of
#: each side's last ``window`` games.
TOTAL_FEATURES = ("total_last_home", "total_last_away")
#: Known a day before kickoff.
OPENING_FEATURES = ("market_open_logit",)
#: Known at kickoff (see the module).
CLOSING_FEATURES = ("market_close_logit", "spread_logit")
#: Every feature that comes from a betting market.
MARKET_FEATURES = OPENING_FEATURES + CLOSING_FEATURES


@dataclass(frozen=True)
class FeatureSpec:
    """How one sport's features are built.

    Attributes
    ----------
    elo
        Keyword arguments of :func:`formline.core.ratings.elo_kernel` (``k``,
        ``home_advantage``, ``season_regression``, ``mean_rating``, ``use_mov``, ``mov``) and
        ``initial_rating`` (a team's first rating).
    rest_cap
        Rest days are capped at this (a season's first game has the cap).
    b2b_days
        A side is on a back-to-back (short rest) when its rest is at most this many days
        (0: no flag, as in MLB, which plays most days).
    window
        Games in the rolling margin (all venues, and per venue).
    halflife
        Half-life in games of the exponentially weighted margin.
    spread_sigma
        Standard deviation (points) of the margin about the closing spread, for the
        spread-implied probability ``Phi(-line / sigma)``; None where the spread is a fixed
        run or puck line and says little (MLB, NHL).
    bookmakers
        Moneyline sources in order of preference (the first with both prices is used).
    """

    elo: dict[str, float | bool | str]
    rest_cap: int
    b2b_days: int
    window: int
    halflife: float
    spread_sigma: float | None
    bookmakers: tuple[str, ...] = field(default=("sbr", "market_avg"))


_538 = {"k": 20.0, "mean_rating": 1505.0, "initial_rating": 1300.0, "use_mov": True}

#: Per sport. NFL and NBA Elo: FiveThirtyEight's published parameters (as
#: :data:`formline.matches.sports.SPORTS`), which reproduce 538's probabilities. MLB and NHL
#: have no published set in the project: a small K without a margin multiplier (the guide's MLB
#: K 4 and home edge 24; the NHL's K 8 and home edge 30 are round values, not tuned), every
#: team starting at the mean, since their files start in the middle of their history.
FEATURE_SPECS: dict[str, FeatureSpec] = {
    "nfl": FeatureSpec(
        elo={**_538, "home_advantage": 65.0, "season_regression": 1 / 3, "mov": "log-points"},
        rest_cap=14,
        b2b_days=5,  # a Thursday game after a Sunday one
        window=8,
        halflife=6.0,
        spread_sigma=13.5,
        bookmakers=("market_avg",),
    ),
    "nba": FeatureSpec(
        elo={**_538, "home_advantage": 100.0, "season_regression": 0.25, "mov": "power-points"},
        rest_cap=5,
        b2b_days=1,
        window=10,
        halflife=10.0,
        spread_sigma=12.0,
        bookmakers=("market_avg", "sbr"),
    ),
    "mlb": FeatureSpec(
        elo={
            "k": 4.0,
            "home_advantage": 24.0,
            "season_regression": 1 / 3,
            "mean_rating": 1500.0,
            "initial_rating": 1500.0,
            "use_mov": False,
            "mov": "log-goals",
        },
        rest_cap=4,
        b2b_days=0,
        window=20,
        halflife=20.0,
        spread_sigma=None,
        bookmakers=("sbr",),
    ),
    "nhl": FeatureSpec(
        elo={
            "k": 8.0,
            "home_advantage": 30.0,
            "season_regression": 1 / 3,
            "mean_rating": 1500.0,
            "initial_rating": 1500.0,
            "use_mov": False,
            "mov": "log-goals",
        },
        rest_cap=5,
        b2b_days=1,
        window=15,
        halflife=15.0,
        spread_sigma=None,
        bookmakers=("sbr", "market_avg"),
    ),
}


def _logit(p: pd.Series | np.ndarray) -> np.ndarray:
    q = np.clip(np.asarray(p, dtype=np.float64), 1e-6, 1 - 1e-6)
    out: np.ndarray = np.log(q / (1.0 - q))
    return out


def _finished(games: pd.DataFrame) -> pd.DataFrame:
    done = games[games["observed_at"].notna() & games["home_score"].notna()]
    done = done[done["away_score"].notna()]
    return done.sort_values(["observed_at", "match_id"], kind="stable").reset_index(drop=True)


def _neutral(games: pd.DataFrame) -> np.ndarray:
    if "neutral" not in games.columns:
        return np.zeros(len(games), dtype=bool)
    flags: np.ndarray = games["neutral"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    return flags


def elo_history(games: pd.DataFrame, spec: FeatureSpec) -> pd.DataFrame:
    """The Elo recurrence over the finished games in the order their results became known:
    one row per (team, result), ``team``, ``observed_at``, ``season``, ``rating_after``."""
    done = _finished(games)
    if done.empty:
        return pd.DataFrame(
            {
                "team": pd.Series(dtype=object),
                "observed_at": pd.Series(dtype="datetime64[us]"),
                "season": pd.Series(dtype=object),
                "rating_after": pd.Series(dtype="float64"),
            }
        )
    codes, _teams = pd.factorize(pd.concat([done["home_team"], done["away_team"]]))
    n = len(done)
    seasons = pd.factorize(done["season"])[0]
    elo = dict(spec.elo)
    start = float(elo.pop("initial_rating"))
    initial = np.full(n, start)
    neutral = _neutral(done)
    _, _, home_after, away_after = elo_kernel(
        codes[:n],
        codes[n:],
        done["home_score"].to_numpy(dtype=np.float64),
        done["away_score"].to_numpy(dtype=np.float64),
        seasons,
        initial,
        initial,
        float(elo["k"]),
        float(elo["home_advantage"]),
        float(elo["season_regression"]),
        float(elo["mean_rating"]),
        bool(elo["use_mov"]),
        mov=str(elo["mov"]),
        neutral=neutral,
    )
    return pd.DataFrame(
        {
            "team": pd.concat([done["home_team"], done["away_team"]], ignore_index=True),
            "observed_at": pd.concat([done["observed_at"]] * 2, ignore_index=True),
            "season": pd.concat([done["season"]] * 2, ignore_index=True),
            "rating_after": np.concatenate([home_after, away_after]),
        }
    )


def _asof(queries: pd.DataFrame, facts: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """For each query (``team``, ``at``), the values of the team's latest fact observed
    strictly before ``at`` (NaN where there is none); aligned with ``queries``."""
    q = queries[["team", "at"]].assign(_row=np.arange(len(queries)))
    q["at"] = q["at"].astype("datetime64[ns]")
    f = facts[["team", "observed_at", *columns]].copy()
    f["observed_at"] = f["observed_at"].astype("datetime64[ns]")
    q = q.sort_values("at", kind="stable")
    f = f.sort_values("observed_at", kind="stable")
    joined = pd.merge_asof(
        q,
        f,
        left_on="at",
        right_on="observed_at",
        by="team",
        direction="backward",
        allow_exact_matches=False,
    )
    return joined.sort_values("_row").reset_index(drop=True)[columns]


def _sides(games: pd.DataFrame) -> pd.DataFrame:
    """Two query rows per game: the home side, then the away side."""
    n = len(games)
    return pd.DataFrame(
        {
            "team": pd.concat([games["home_team"], games["away_team"]], ignore_index=True),
            "at": pd.concat([games["kickoff_at"]] * 2, ignore_index=True),
            "season": pd.concat([games["season"]] * 2, ignore_index=True),
            "home": np.r_[np.ones(n, bool), np.zeros(n, bool)],
        }
    )


def _team_results(games: pd.DataFrame) -> pd.DataFrame:
    """One fact per (team, finished game): its margin, venue, kickoff and ``observed_at``,
    with per-team running counts and sums (overall and per venue) and the weighted margin."""
    done = _finished(games)
    margin = (done["home_score"] - done["away_score"]).to_numpy(dtype=np.float64)
    total = (done["home_score"] + done["away_score"]).to_numpy(dtype=np.float64)
    facts = pd.DataFrame(
        {
            "team": pd.concat([done["home_team"], done["away_team"]], ignore_index=True),
            "observed_at": pd.concat([done["observed_at"]] * 2, ignore_index=True),
            "kickoff_at": pd.concat([done["kickoff_at"]] * 2, ignore_index=True),
            "order": np.r_[np.arange(len(done)), np.arange(len(done))],
            "margin": np.r_[margin, -margin],
            "total": np.r_[total, total],
            "home": np.r_[np.ones(len(done), bool), np.zeros(len(done), bool)],
        }
    )
    return facts.sort_values(["team", "order"], kind="stable").reset_index(drop=True)


def _rolling(
    facts: pd.DataFrame, queries: pd.DataFrame, window: int, value: str = "margin"
) -> np.ndarray:
    """Mean ``value`` of each query team's last ``window`` facts before the query (NaN: none)."""
    if facts.empty:
        return np.full(len(queries), np.nan)
    f = facts.copy()
    f["n"] = f.groupby("team").cumcount() + 1
    f["_cum"] = f.groupby("team")[value].cumsum()
    last = _asof(queries, f, ["n", "_cum"])
    back = f[["team", "n", "_cum"]].rename(columns={"n": "n_back", "_cum": "cum_back"})
    back["n_back"] = back["n_back"].astype("float64")
    probe = pd.DataFrame({"team": queries["team"].to_numpy(), "n_back": last["n"] - window})
    earlier = probe.merge(back, on=["team", "n_back"], how="left")["cum_back"].fillna(0.0)
    count = np.minimum(last["n"].to_numpy(dtype=np.float64), window)
    out: np.ndarray = (last["_cum"].to_numpy() - earlier.to_numpy()) / count
    return out


def _ewm(facts: pd.DataFrame, queries: pd.DataFrame, halflife: float) -> np.ndarray:
    if facts.empty:
        return np.full(len(queries), np.nan)
    f = facts.copy()
    # facts are sorted by team, then order: the grouped result lines up with them.
    weighted = f.groupby("team", sort=True)["margin"].ewm(halflife=halflife).mean()
    f["ewm"] = weighted.to_numpy()
    out: np.ndarray = _asof(queries, f, ["ewm"])["ewm"].to_numpy(dtype=np.float64)
    return out


def demargined_moneyline(odds: pd.DataFrame, kind: str, bookmakers: tuple[str, ...]) -> pd.Series:
    """The home side's moneyline probability with the margin removed by normalising, from
    the first of ``bookmakers`` with both prices of ``kind`` (``opening``/``closing``), by
    ``match_id``."""
    ml = odds[(odds["market"] == "moneyline") & (odds["kind"] == kind)]
    ml = ml[ml["bookmaker"].isin(bookmakers) & ml["price"].notna()]
    wide = ml.pivot_table(
        index=["match_id", "bookmaker"], columns="selection", values="price", aggfunc="first"
    )
    if wide.empty or not {"home", "away"} <= set(wide.columns):
        return pd.Series(dtype="float64")
    wide = wide.dropna(subset=["home", "away"]).reset_index()
    rank = {b: i for i, b in enumerate(bookmakers)}
    wide = wide.assign(_rank=wide["bookmaker"].map(rank)).sort_values(["match_id", "_rank"])
    wide = wide.drop_duplicates("match_id")
    inverse_home, inverse_away = 1.0 / wide["home"], 1.0 / wide["away"]
    p = (inverse_home / (inverse_home + inverse_away)).to_numpy()
    return pd.Series(p, index=wide["match_id"].to_numpy(), dtype="float64")


def _spread_probability(odds: pd.DataFrame, sigma: float) -> pd.Series:
    lines = odds[
        (odds["market"] == "spread") & (odds["kind"] == "closing") & (odds["selection"] == "home")
    ]
    home_line = lines.groupby("match_id")["line"].first()
    return pd.Series(norm.cdf(-home_line.to_numpy() / sigma), index=home_line.index)


def _market(games: pd.DataFrame, odds: pd.DataFrame | None, spec: FeatureSpec) -> pd.DataFrame:
    out = pd.DataFrame(index=games.index, columns=list(MARKET_FEATURES), dtype="float64")
    if odds is None or odds.empty:
        return out
    kickoff = games.set_index("match_id")["kickoff_at"]
    at = odds["match_id"].map(kickoff).astype("datetime64[ns]")
    seen = odds["observed_at"].astype("datetime64[ns]")
    # Opening lines strictly before kickoff; closing lines at kickoff (see the module).
    usable = ((odds["kind"] == "opening") & (seen < at)) | (
        (odds["kind"] == "closing") & (seen <= at)
    )
    odds = odds[usable.to_numpy()]
    ids = games["match_id"]
    for column, kind in (("market_close_logit", "closing"), ("market_open_logit", "opening")):
        p = demargined_moneyline(odds, kind, spec.bookmakers)
        out[column] = _logit(ids.map(p)) if len(p) else np.nan
        out.loc[ids.map(p).isna().to_numpy(), column] = np.nan
    if spec.spread_sigma is not None:
        p = ids.map(_spread_probability(odds, spec.spread_sigma))
        out["spread_logit"] = np.where(p.isna(), np.nan, _logit(p.fillna(0.5)))
    return out


def build_us_features(
    games: pd.DataFrame, odds: pd.DataFrame | None = None, *, spec: FeatureSpec
) -> pd.DataFrame:
    """Every game's point-in-time features (see the module).

    Parameters
    ----------
    games : pandas.DataFrame
        One row per match (columns in the module's docstring), finished or not.
    odds : pandas.DataFrame, optional
        Lines of those matches; without it the market columns are NaN.
    spec : FeatureSpec
        The sport's parameters (:data:`FEATURE_SPECS`).

    Returns
    -------
    pandas.DataFrame
        Aligned with ``games`` (same index): ``match_id``, ``season``, ``kickoff_at``,
        ``elo_home``, ``elo_away`` (pre-game ratings), ``elo_diff`` (home minus away, home edge
        excluded), ``elo_prob`` (the Elo home-win probability, home edge included), the
        :data:`BASE_FEATURES`, :data:`TOTAL_FEATURES` and :data:`MARKET_FEATURES`. Rest is
        NaN for a team's first game in the data; margins are NaN before its first result.
    """
    games = games.reset_index(drop=False).rename(columns={"index": "_index"})
    n = len(games)
    queries = _sides(games)
    elo = spec.elo
    history = elo_history(games, spec)
    state = _asof(
        queries, history.rename(columns={"season": "last_season"}), ["rating_after", "last_season"]
    )
    mean = float(elo["mean_rating"])
    keep = 1.0 - float(elo["season_regression"])
    rating = state["rating_after"].to_numpy(dtype=np.float64)
    moved = state["last_season"].notna().to_numpy() & (
        state["last_season"].to_numpy() != queries["season"].to_numpy()
    )
    rating = np.where(moved, mean + (rating - mean) * keep, rating)
    rating = np.where(np.isnan(rating), float(elo["initial_rating"]), rating)
    home_rating, away_rating = rating[:n], rating[n:]
    diff = home_rating - away_rating
    edge = np.where(_neutral(games), 0.0, float(elo["home_advantage"]))
    prob = 1.0 / (1.0 + 10.0 ** (-(diff + edge) / 400.0))

    facts = _team_results(games)
    previous = _asof(queries, facts, ["kickoff_at"])["kickoff_at"]
    gap = (
        queries["at"].astype("datetime64[ns]").dt.normalize()
        - previous.astype("datetime64[ns]").dt.normalize()
    )
    rest = np.minimum(gap.dt.days.to_numpy(dtype=np.float64), spec.rest_cap)
    short = (rest <= spec.b2b_days).astype(np.float64) if spec.b2b_days else np.zeros(2 * n)
    short = np.where(np.isnan(rest), np.nan, short)
    last = _rolling(facts, queries, spec.window)
    scoring = _rolling(facts, queries, spec.window, "total")
    ewm = _ewm(facts, queries, spec.halflife)
    home_q, away_q = (
        queries.iloc[:n].reset_index(drop=True),
        queries.iloc[n:].reset_index(drop=True),
    )
    venue_home = _rolling(facts[facts["home"]].reset_index(drop=True), home_q, spec.window)
    venue_away = _rolling(facts[~facts["home"]].reset_index(drop=True), away_q, spec.window)

    out = pd.DataFrame(
        {
            "match_id": games["match_id"].to_numpy(),
            "season": games["season"].to_numpy(),
            "kickoff_at": games["kickoff_at"].to_numpy(),
            "elo_home": home_rating,
            "elo_away": away_rating,
            "elo_diff": diff,
            "elo_prob": prob,
            "elo_logit": _logit(prob),
            "rest_home": rest[:n],
            "rest_away": rest[n:],
            "b2b_home": short[:n],
            "b2b_away": short[n:],
            "margin_last_home": last[:n],
            "margin_last_away": last[n:],
            "margin_ewm_home": ewm[:n],
            "margin_ewm_away": ewm[n:],
            "margin_venue_home": venue_home,
            "margin_venue_away": venue_away,
            "total_last_home": scoring[:n],
            "total_last_away": scoring[n:],
        }
    )
    market = _market(games, odds, spec)
    out = pd.concat([out, market.reset_index(drop=True)], axis=1)
    out.index = pd.Index(games["_index"].to_numpy())
    return out
