"""The seeded synthetic football world: leagues, fixtures, results and odds with no network.

Each team has latent attack and defence strengths that drift a little every round and more
between seasons. Goals come from a Dixon-Coles process (independent Poisson rates with the
low-score correction), shots, xG and the other statistics are drawn around those rates, and the
odds are priced from each match's *true* probabilities plus noise and a margin. Because the truth
is known, the world is a test bed: a model that learns it should approach the closing line.

All randomness flows from one ``numpy.random.default_rng(seed)`` in a fixed order, and no draw
depends on ``now``: moving ``now`` forward within a season reveals the same results and prices
that the fixtures were going to have. A result is known two hours after kick-off, so a match
kicked off less than two hours before ``now`` is still ``"scheduled"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from formline.matches.frames import SPORT_FOOTBALL, SourceBatch

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
Arrays = dict[str, npt.NDArray[Any]]

SOURCE = "demo"
COUNTRY = "Demoland"
BOOKMAKERS = ("demo_book", "demo_exchange")
N_RELEGATED = 3
HOME_ADVANTAGE = 0.25  # log-rate, before a small per-league perturbation
BASE_LOG_RATE = float(np.log(1.12))  # an average away side's goals per match
RHO = -0.1  # Dixon-Coles low-score correction
MAX_GOALS = 10  # the score grid is 0..MAX_GOALS for each side
RESULT_DELAY = np.timedelta64(2, "h")  # a result is known two hours after kick-off
OPENING_LEAD = np.timedelta64(3, "D")  # opening prices are taken three days before kick-off
MARGINS = ((0.03, 0.07), (0.01, 0.025))  # per bookmaker, uniform range of the overround

_PREFIXES = (
    "Ash", "North", "South", "East", "West", "Brook", "Elm", "Kings", "Queens", "Mill", "Oak",
    "Red", "Stone", "Black", "White", "Green", "Fair", "High", "Long", "New", "Old", "Bright",
    "Cold", "Hart", "Thorn", "Lang", "Marsh", "Cran", "Bram", "Wil",
)  # fmt: skip
_ROOTS = (
    "ford", "bridge", "field", "ham", "ton", "wood", "by", "stead", "mouth", "port", "well",
    "gate", "combe", "wich", "bury", "ley", "moor", "dale", "haven", "minster",
)  # fmt: skip
_SUFFIXES = (
    "Town", "Rovers", "United", "City", "Athletic", "Wanderers", "Albion", "Rangers",
    "Borough", "County", "Villa", "Harriers",
)  # fmt: skip
# Kick-off times in minutes after midnight UTC, and how often each is used.
_WEEKEND_MINUTES = np.array([11 * 60 + 30, 14 * 60, 16 * 60 + 30, 19 * 60])
_WEEKEND_WEIGHTS = np.array([0.2, 0.45, 0.2, 0.15])
_MIDWEEK_MINUTES = np.array([18 * 60 + 30, 19 * 60, 19 * 60 + 45])
_MIDWEEK_WEIGHTS = np.array([0.3, 0.4, 0.3])
_SUNDAY_SHARE = 0.38


@dataclass(frozen=True)
class _Teams:
    """The teams of every league in one season; arrays are (league, slot)."""

    ids: IntArray  # index into the name pool
    attack: FloatArray
    defence: FloatArray  # higher is better: it lowers the opponent's rate


def generate_demo_world(
    seed: int = 42,
    now: datetime | None = None,
    n_leagues: int = 3,
    n_teams: int = 20,
    n_seasons: int = 6,
) -> SourceBatch:
    """Generate a deterministic synthetic football world as a source batch.

    Parameters
    ----------
    seed
        Seed of the single random generator; the same arguments give identical frames.
    now
        The demo's present, naive UTC (an aware datetime is converted). Defaults to today
        00:00 UTC. The last season is the one in progress at ``now`` (or the next one, from
        August, if ``now`` falls between seasons); matches whose result would be known after
        ``now`` are ``"scheduled"``, and no result or price has ``observed_at > now``.
    n_leagues
        Number of leagues, coded ``"DEMO1"``, ``"DEMO2"``, ...
    n_teams
        Teams per league: even, between 4 and 40.
    n_seasons
        Number of August-to-May seasons, the last one included.

    Returns
    -------
    SourceBatch
        Matches (double round-robin per league-season) and opening/closing 1X2 and over/under
        2.5 odds of ``"demo_book"`` and ``"demo_exchange"``, conformed to the frame contract;
        no rejects.

    Raises
    ------
    ValueError
        If a size is out of range.
    """
    if n_leagues < 1 or n_seasons < 1:
        raise ValueError("n_leagues and n_seasons must be at least 1")
    if n_teams % 2 or not 4 <= n_teams <= 40:
        raise ValueError(f"n_teams must be even and between 4 and 40, got {n_teams}")
    now_at = _naive_utc(now)
    rng = np.random.default_rng(seed)
    names = _name_pool(rng, n_leagues * (n_teams + N_RELEGATED * (n_seasons - 1)))
    first_year = _last_season_year(now_at) - n_seasons + 1
    world = _simulate(rng, n_leagues, n_teams, n_seasons, first_year)
    season_names = [f"{y}-{(y + 1) % 100:02d}" for y in range(first_year, first_year + n_seasons)]
    keys = {
        "sport": _strings([SPORT_FOOTBALL], np.zeros(world["league"].size, dtype=np.int64)),
        "competition": _strings([f"DEMO{i + 1}" for i in range(n_leagues)], world["league"]),
        "season": _strings(season_names, world["season"]),
        "home_team": _strings(names, world["home"]),
        "away_team": _strings(names, world["away"]),
    }
    now64 = np.datetime64(now_at, "us")
    finished: BoolArray = np.asarray(world["kickoff_at"] + RESULT_DELAY <= now64)
    matches = _matches_frame(world, keys, finished, n_leagues)
    odds = _odds_frame(rng, world, keys, finished, now64)
    return SourceBatch(matches=matches, odds=odds).conformed()


def _simulate(
    rng: np.random.Generator, n_leagues: int, n_teams: int, n_seasons: int, first_year: int
) -> Arrays:
    """Play every season; flat per-match arrays in kick-off order (team ids index the pool)."""
    league_rate = BASE_LOG_RATE + rng.normal(0.0, 0.05, n_leagues)
    league_home = HOME_ADVANTAGE + rng.normal(0.0, 0.03, n_leagues)
    quality = rng.normal(0.0, 0.22, (n_leagues, n_teams))
    teams = _Teams(
        ids=np.arange(n_leagues * n_teams, dtype=np.int64).reshape(n_leagues, n_teams),
        attack=quality + rng.normal(0.0, 0.1, quality.shape),
        defence=quality + rng.normal(0.0, 0.1, quality.shape),
    )
    next_id = teams.ids.size
    seasons: list[Arrays] = []
    for s in range(n_seasons):
        played, teams, standing = _play_season(rng, teams, first_year + s, league_rate, league_home)
        seasons.append(played | {"season": np.full(played["league"].size, s)})
        if s < n_seasons - 1:
            teams = _next_season(rng, teams, standing, next_id)
            next_id += n_leagues * N_RELEGATED
    world = {key: np.concatenate([p[key] for p in seasons]) for key in seasons[0]}
    order = np.argsort(world["kickoff_at"], kind="stable")
    return {key: value[order] for key, value in world.items()}


def _naive_utc(now: datetime | None) -> datetime:
    if now is None:
        today = datetime.now(UTC).date()
        return datetime(today.year, today.month, today.day)
    if now.tzinfo is not None:
        return now.astimezone(UTC).replace(tzinfo=None)
    return now


def _last_season_year(now: datetime) -> int:
    """The start year of the season in progress at ``now``, or of the next one between seasons.

    The last round is played on or before Sunday 24 May, so from 25 May the season is over.
    """
    return now.year if now >= datetime(now.year, 5, 25) else now.year - 1


def _name_pool(rng: np.random.Generator, n_needed: int) -> list[str]:
    """``n_needed`` distinct invented club names in a seeded order."""
    pool = [f"{p}{r} {s}" for p in _PREFIXES for r in _ROOTS for s in _SUFFIXES]
    if n_needed > len(pool):
        raise ValueError(f"the demo world needs {n_needed} team names; the pool has {len(pool)}")
    return [pool[i] for i in rng.permutation(len(pool))[:n_needed]]


def _round_robin(n_teams: int) -> tuple[IntArray, IntArray]:
    """Home and away positions, each (n_teams - 1, n_teams // 2), of a single round-robin."""
    rounds = np.arange(n_teams - 1)[:, None]
    i = np.arange(1, n_teams // 2)[None, :]
    a, b = (rounds + i) % (n_teams - 1), (rounds - i) % (n_teams - 1)
    flip = (i % 2 == 0) & np.ones_like(rounds, dtype=bool)
    fixed = np.full_like(rounds, n_teams - 1)
    fixed_home = rounds % 2 == 0  # the fixed team alternates home and away
    home = np.hstack([np.where(fixed_home, fixed, rounds), np.where(flip, b, a)])
    away = np.hstack([np.where(fixed_home, rounds, fixed), np.where(flip, a, b)])
    return home.astype(np.int64), away.astype(np.int64)


def _round_dates(rng: np.random.Generator, year: int, n_rounds: int) -> tuple[Any, BoolArray]:
    """Dates (Saturdays, or Wednesdays for midweek rounds) of one league's rounds, in order."""
    start = np.datetime64(f"{year}-08-08", "D")
    weekday = (start.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
    saturdays = np.arange(start + (5 - weekday) % 7, np.datetime64(f"{year + 1}-05-24", "D"), 7)
    n_weeks = saturdays.size
    n_midweek = max(n_rounds - n_weeks, n_rounds // 12)
    n_weekend = n_rounds - n_midweek
    middle = rng.choice(np.arange(1, n_weeks - 1), size=n_weekend - 2, replace=False)
    weekend = saturdays[np.sort(np.concatenate([[0], middle, [n_weeks - 1]]))]
    midweek = saturdays[rng.choice(n_weeks - 1, size=n_midweek, replace=False)] + 4
    dates = np.concatenate([weekend, midweek])
    is_midweek = np.arange(n_rounds) >= n_weekend
    order = np.argsort(dates)
    return dates[order], is_midweek[order]


def _kickoffs(rng: np.random.Generator, year: int, shape: tuple[int, int, int]) -> Any:
    """Kick-off times (league, round, match) as ``datetime64[us]``."""
    n_leagues, n_rounds, _ = shape
    per_league = [_round_dates(rng, year, n_rounds) for _ in range(n_leagues)]
    dates = np.stack([d for d, _ in per_league])[:, :, None]
    midweek = np.stack([m for _, m in per_league])[:, :, None]
    sunday = rng.random(shape) < _SUNDAY_SHARE
    weekend_minutes = rng.choice(_WEEKEND_MINUTES, size=shape, p=_WEEKEND_WEIGHTS) + 1440 * sunday
    midweek_minutes = rng.choice(_MIDWEEK_MINUTES, size=shape, p=_MIDWEEK_WEIGHTS)
    minutes = np.where(midweek, midweek_minutes, weekend_minutes).astype("timedelta64[m]")
    return (dates.astype("datetime64[m]") + minutes).astype("datetime64[us]")


def _score_grid(home_rate: FloatArray, away_rate: FloatArray, rho: float = RHO) -> FloatArray:
    """Dixon-Coles score grids, (n, MAX_GOALS + 1, MAX_GOALS + 1) with home goals on rows.

    Independent Poisson probabilities times the low-score correction, renormalised over the grid.
    """
    goals = np.arange(MAX_GOALS + 1)
    log_factorial = np.concatenate([[0.0], np.cumsum(np.log(goals[1:]))])

    def poisson(rate: FloatArray) -> FloatArray:
        pmf: FloatArray = np.exp(goals * np.log(rate[:, None]) - rate[:, None] - log_factorial)
        return pmf

    grid = poisson(home_rate)[:, :, None] * poisson(away_rate)[:, None, :]
    grid[:, 0, 0] *= 1.0 - home_rate * away_rate * rho
    grid[:, 0, 1] *= 1.0 + home_rate * rho
    grid[:, 1, 0] *= 1.0 + away_rate * rho
    grid[:, 1, 1] *= 1.0 - rho
    result: FloatArray = grid / grid.sum(axis=(1, 2), keepdims=True)
    return result


def _play_season(
    rng: np.random.Generator,
    teams: _Teams,
    year: int,
    league_rate: FloatArray,
    league_home: FloatArray,
) -> tuple[Arrays, _Teams, FloatArray]:
    """Schedule and play one season of every league.

    Returns the matches (flat arrays), the teams with their end-of-season strengths, and each
    team's standing (higher is better: points, then goal difference, goals, a coin).
    """
    n_leagues, n_teams = teams.ids.shape
    home_pos, away_pos = _round_robin(n_teams)
    order = np.argsort(rng.random((n_leagues, n_teams - 1)), axis=1)
    # The second half mirrors the first with venues swapped.
    home_pos, away_pos = (
        np.concatenate([home_pos[order], away_pos[order]], axis=1),
        np.concatenate([away_pos[order], home_pos[order]], axis=1),
    )
    shape = home_pos.shape
    slots = np.argsort(rng.random((n_leagues, n_teams)), axis=1)
    home = np.take_along_axis(slots, home_pos.reshape(n_leagues, -1), axis=1).reshape(shape)
    away = np.take_along_axis(slots, away_pos.reshape(n_leagues, -1), axis=1).reshape(shape)
    kickoff_at = _kickoffs(rng, year, shape)

    steps = rng.normal(0.0, 0.02, (2, n_leagues, shape[1], n_teams))
    drift = np.cumsum(steps, axis=2) - steps  # no drift before the first round
    attack = teams.attack[:, None, :] + drift[0]
    defence = teams.defence[:, None, :] + drift[1]
    base = league_rate[:, None, None]
    home_log = base + league_home[:, None, None]
    home_log = home_log + _at(attack, home) - _at(defence, away)
    away_log = base + _at(attack, away) - _at(defence, home)
    home_rate = np.clip(np.exp(home_log), 0.1, 6.0).ravel()
    away_rate = np.clip(np.exp(away_log), 0.1, 6.0).ravel()
    grid = _score_grid(home_rate, away_rate)
    flat = grid.reshape(grid.shape[0], -1).cumsum(axis=1)
    cell = (flat < rng.random((flat.shape[0], 1)) * flat[:, -1:]).sum(axis=1)
    home_goals, away_goals = np.divmod(np.minimum(cell, flat.shape[1] - 1), MAX_GOALS + 1)
    played: Arrays = {
        "league": np.repeat(np.arange(n_leagues), shape[1] * shape[2]),
        "home": np.take_along_axis(teams.ids, home.reshape(n_leagues, -1), axis=1).ravel(),
        "away": np.take_along_axis(teams.ids, away.reshape(n_leagues, -1), axis=1).ravel(),
        "kickoff_at": kickoff_at.ravel(),
        **_probabilities(grid),
        **_statistics(rng, home_rate, away_rate, home_goals, away_goals),
    }
    end = _Teams(teams.ids, attack[:, -1] + steps[0, :, -1], defence[:, -1] + steps[1, :, -1])
    standing = _standing(home, away, home_goals.reshape(shape), away_goals.reshape(shape))
    return played, end, standing + rng.random(standing.shape)


def _at(strength: FloatArray, slot: IntArray) -> FloatArray:
    """Each match's side strength: ``strength`` is (league, round, team), ``slot`` per match."""
    picked: FloatArray = np.take_along_axis(strength, slot, axis=2)
    return picked


def _probabilities(grid: FloatArray) -> Arrays:
    """True 1X2 and over-2.5 probabilities from score grids."""
    goals = np.arange(MAX_GOALS + 1)
    diff = goals[:, None] - goals[None, :]
    total = goals[:, None] + goals[None, :]
    return {
        "p_home": (grid * (diff > 0)).sum(axis=(1, 2)),
        "p_draw": (grid * (diff == 0)).sum(axis=(1, 2)),
        "p_away": (grid * (diff < 0)).sum(axis=(1, 2)),
        "p_over": (grid * (total > 2.5)).sum(axis=(1, 2)),
    }


def _statistics(
    rng: np.random.Generator,
    home_rate: FloatArray,
    away_rate: FloatArray,
    home_goals: IntArray,
    away_goals: IntArray,
) -> Arrays:
    """Half-time goals, shots, xG, corners, fouls and cards consistent with the goal rates."""
    out: Arrays = {}
    for side, rate, goals, fouls in (
        ("home", home_rate, home_goals, 10.8),
        ("away", away_rate, away_goals, 11.6),
    ):
        chances = rate * rng.lognormal(-0.02, 0.2, rate.size)  # the quality of chances made
        shots = np.maximum(rng.poisson(9.0 * chances), goals)
        foul_count = rng.poisson(fouls, rate.size)
        out |= {
            f"{side}_goals": goals,
            f"{side}_ht_goals": rng.binomial(goals, 0.45),
            f"{side}_shots": shots,
            f"{side}_shots_on_target": goals + rng.binomial(shots - goals, 0.27),
            f"{side}_xg": np.round(0.8 * chances + 0.2 * goals, 2),
            f"{side}_corners": rng.poisson(2.2 + 0.25 * shots),
            f"{side}_fouls": foul_count,
            f"{side}_yellow_cards": rng.binomial(foul_count, 0.15),
            f"{side}_red_cards": rng.poisson(0.055, rate.size),
        }
    return out


def _standing(
    home: IntArray, away: IntArray, home_goals: IntArray, away_goals: IntArray
) -> FloatArray:
    """Table order per (league, team): points, then goal difference, then goals scored."""
    n_leagues = home.shape[0]
    n_teams = home.shape[2] * 2
    offset = (np.arange(n_leagues) * n_teams)[:, None, None]
    size = n_leagues * n_teams
    points = np.where(home_goals > away_goals, 3, np.where(home_goals == away_goals, 1, 0))
    away_points = np.where(home_goals < away_goals, 3, np.where(home_goals == away_goals, 1, 0))

    def total(slot: IntArray, values: IntArray) -> FloatArray:
        return np.bincount((slot + offset).ravel(), values.ravel(), size).astype(np.float64)

    pts = total(home, points) + total(away, away_points)
    scored = total(home, home_goals) + total(away, away_goals)
    conceded = total(home, away_goals) + total(away, home_goals)
    standing: FloatArray = pts * 1e6 + (scored - conceded + 1000) * 1e3 + scored
    return standing.reshape(n_leagues, n_teams)


def _next_season(
    rng: np.random.Generator, teams: _Teams, standing: FloatArray, next_id: int
) -> _Teams:
    """Regress strengths toward the mean with a shock; replace the bottom three of each league."""
    n_leagues = teams.ids.shape[0]
    shock = rng.normal(0.0, 0.08, teams.ids.shape)
    attack = 0.8 * teams.attack + shock + rng.normal(0.0, 0.06, shock.shape)
    defence = 0.8 * teams.defence + shock + rng.normal(0.0, 0.06, shock.shape)
    relegated = np.argsort(standing, axis=1)[:, :N_RELEGATED]
    newcomers = rng.normal(-0.3, 0.1, relegated.shape)
    ids = teams.ids.copy()
    rows = np.arange(n_leagues)[:, None]
    ids[rows, relegated] = next_id + np.arange(relegated.size).reshape(relegated.shape)
    attack[rows, relegated] = newcomers + rng.normal(0.0, 0.08, relegated.shape)
    defence[rows, relegated] = newcomers + rng.normal(0.0, 0.08, relegated.shape)
    return _Teams(ids, attack, defence)


def _strings(values: list[str], codes: npt.NDArray[np.integer[Any]]) -> pd.Series:
    """A ``string`` Series of ``values[codes]``, built without per-row Python objects."""
    return pd.Series(pd.array(values, dtype="string").take(codes), copy=False)


def _matches_frame(
    world: Arrays, keys: dict[str, pd.Series], finished: BoolArray, n_leagues: int
) -> pd.DataFrame:
    """One row per fixture; results and statistics only where ``finished``."""
    n_matches = finished.size
    frame = pd.DataFrame(
        {
            **keys,
            "competition_name": _strings(
                [f"Demo League {i + 1}" for i in range(n_leagues)], world["league"]
            ),
            "country": _strings([COUNTRY], np.zeros(n_matches, dtype=np.int64)),
            "kickoff_at": world["kickoff_at"],
            "status": _strings(["scheduled", "finished"], finished.astype(np.int64)),
            "observed_at": np.where(
                finished, world["kickoff_at"] + RESULT_DELAY, np.datetime64("NaT", "us")
            ),
            "source": _strings([SOURCE], np.zeros(n_matches, dtype=np.int64)),
        }
    )
    for name, values in world.items():
        if name.startswith(("home_", "away_")):
            dtype = "Float64" if name.endswith("_xg") else "Int64"
            frame[name] = pd.Series(values, dtype=dtype).where(finished)
    return frame


_Label = tuple[str, str, str, str, float]  # bookmaker, kind, market, selection, line


def _prices(rng: np.random.Generator, world: Arrays) -> tuple[FloatArray, list[_Label]]:
    """Every match's prices, (match, label), priced from its true probabilities."""
    n = world["p_home"].size
    log_p = np.log(np.column_stack([world["p_home"], world["p_draw"], world["p_away"]]))
    logit_over = np.log(world["p_over"] / (1.0 - world["p_over"]))
    opening_noise = rng.normal(0.0, 0.15, (n, 4))
    # The close moves toward the truth: it keeps a fifth of the opening error, plus a little.
    noise = {"opening": opening_noise, "closing": 0.2 * opening_noise + rng.normal(0, 0.04, (n, 4))}
    prices, labels = [], []
    for book, (low, high) in zip(BOOKMAKERS, MARGINS, strict=True):
        for kind, market_noise in noise.items():
            eps = market_noise + rng.normal(0.0, 0.02, (n, 4))  # the bookmaker's own view
            three_way = np.exp(log_p + eps[:, :3])
            three_way /= three_way.sum(axis=1, keepdims=True)
            over = 1.0 / (1.0 + np.exp(-(logit_over + eps[:, 3])))
            implied = np.column_stack([three_way, over, 1.0 - over])
            margin = rng.uniform(low, high, (n, 1))
            prices.append(np.maximum(np.round(1.0 / (implied * (1.0 + margin)), 2), 1.02))
            labels += [(book, kind, "1x2", s, 0.0) for s in ("home", "draw", "away")]
            labels += [(book, kind, "over_under", s, 2.5) for s in ("over", "under")]
    return np.hstack(prices), labels


def _odds_frame(
    rng: np.random.Generator,
    world: Arrays,
    keys: dict[str, pd.Series],
    finished: BoolArray,
    now: np.datetime64,
) -> pd.DataFrame:
    """The prices known by ``now``, one row per (match, price), in match order.

    Finished matches have opening and closing prices; a scheduled one only its opening prices,
    once they are out.
    """
    price, labels = _prices(rng, world)
    opening = np.array([label[1] == "opening" for label in labels])
    kickoff_at = world["kickoff_at"]
    announced = np.asarray(kickoff_at - OPENING_LEAD <= now)
    match, block = np.nonzero(finished[:, None] | (opening[None, :] & announced[:, None]))
    captured_at = kickoff_at[match] - np.where(opening[block], OPENING_LEAD, np.timedelta64(0))
    frame = {name: series.take(match).reset_index(drop=True) for name, series in keys.items()}
    for i, name in enumerate(("bookmaker", "kind", "market", "selection")):
        values = [str(label[i]) for label in labels]
        categories = sorted(set(values))
        codes = np.array([categories.index(v) for v in values])
        frame[name] = _strings(categories, codes[block])
    return pd.DataFrame(
        {
            **frame,
            "line": np.array([label[4] for label in labels])[block],
            "price": price[match, block],
            "captured_at": captured_at,
            "observed_at": captured_at,
        }
    )
