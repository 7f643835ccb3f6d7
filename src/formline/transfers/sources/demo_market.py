"""The seeded synthetic transfer market: leagues with tiers, clubs with strengths and budgets,
players who age, form and move, window by window, past ``now`` into windows still to predict.

The market
----------
* Leagues come in pairs per country (tier 1 and 2); a club has a strength (tier 2 clubs weaker)
  and a budget per window that grows with its strength.
* A player has an ability, an age curve (peak near 27) and a form that drifts every window; his
  performance is their sum. Market values follow performance, age and the contract's months
  left; season stats (appearances, goals) follow performance against his club's level.
* Every window (summer: 15 Jun to 1 Sep; winter: 1 Jan to 1 Feb, each closing at 00:00 UTC of
  its close date) a player may leave. The hazard rises with a contract near its end (an expired
  one almost forces a free move), with youth, and with performance far above or below his
  club's level; destinations are drawn by closeness of club strength to performance, country,
  the club's need at the position and its remaining budget (club interest). Young players below
  their club's level go out on loan to weaker clubs and come back the next summer. Old players
  retire; youth players replace them. Contracts near their end are renewed now and then.
* A move is known on its day (``observed_at = moved_on``): the demo's "announcement".

Everything flows from one ``numpy.random.default_rng(seed)`` in a fixed order, and the draws do
not depend on ``now`` except through how many windows are simulated: the same arguments give
identical frames. Moves observed after ``now`` are not in the batch; they are the world's truth
(:attr:`TransferMarket.moves` keeps every move with its ``observed_at``).

User attention and published signals come from :mod:`formline.transfers.sources.demo_attention`;
:func:`formline.transfers.sources.demo.generate_transfer_world` puts both together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from formline.transfers.identity import normalise

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

SOURCE = "demo"
POSITIONS = ("Goalkeeper", "Defender", "Midfield", "Attack")
_POSITION_SHARE = np.array([0.1, 0.34, 0.34, 0.22])
_GOALS_PER_GAME = np.array([0.0, 0.04, 0.12, 0.38])
_COUNTRIES = ("Northland", "Southmark", "Eastvale", "Westmoor", "Highcoast", "Lowfield")
_CLUB_PREFIXES = (
    "Ash", "North", "Brook", "Elm", "Kings", "Mill", "Oak", "Red", "Stone", "Black", "White",
    "Fair", "High", "Long", "Bright", "Hart", "Thorn", "Marsh", "Cran", "Bram",
)  # fmt: skip
_CLUB_ROOTS = ("ford", "field", "ham", "ton", "wood", "stead", "port", "gate", "bury", "dale")
_CLUB_SUFFIXES = ("Town", "Rovers", "United", "City", "Athletic", "Albion", "Rangers", "FC")
_FIRST = (
    "Adam", "Alex", "Ben", "Carl", "Dan", "Eli", "Finn", "Gus", "Hal", "Ian", "Jon", "Kai",
    "Leo", "Max", "Ned", "Oli", "Pat", "Ray", "Sam", "Tom", "Uwe", "Vic", "Will", "Yan", "Zac",
    "Aron", "Bram", "Cruz", "Dino", "Emil", "Fede", "Gil", "Hugo", "Igor", "Jens", "Karl",
    "Luca", "Marc", "Nico", "Otto",
)  # fmt: skip
_LAST = (
    "Abbot", "Baker", "Cole", "Dahl", "Eriks", "Frost", "Grant", "Holt", "Ivers", "Jansen",
    "Kerr", "Lund", "Moss", "Nash", "Ortiz", "Park", "Quinn", "Reyes", "Stone", "Tait",
    "Ulm", "Vance", "Wolfe", "Young", "Zorn", "Amsel", "Berg", "Costa", "Duval", "Engel",
    "Falk", "Gomez", "Hahn", "Iliev", "Jovic", "Kovac", "Lopes", "Marin", "Novak", "Olsen",
    "Pires", "Roth", "Silva", "Toth", "Urban", "Vidal", "Weber", "Xavi", "Yilmaz", "Zeman",
)  # fmt: skip


@dataclass(frozen=True)
class TransferMarket:
    """The simulated market as frames (keys as in :mod:`formline.transfers.frames`).

    ``moves`` has every move of every window, future ones included, with the batch's transfer
    columns plus ``to_club_tier``; ``states`` one row per (player, window) after that window's
    moves, for valuations: ``player_key``, ``window_index``, ``club_key`` (NA once retired),
    ``performance``, ``age``, ``contract_expires_on``; ``windows`` the simulated windows
    (``season``, ``transfer_window``, ``opens_at``, ``closes_at``).
    """

    leagues: pd.DataFrame
    clubs: pd.DataFrame
    club_seasons: pd.DataFrame
    players: pd.DataFrame
    moves: pd.DataFrame
    contracts: pd.DataFrame
    season_stats: pd.DataFrame
    states: pd.DataFrame
    windows: pd.DataFrame


def naive_utc(now: datetime | None) -> datetime:
    """``now`` as naive UTC (None: today 00:00 UTC)."""
    if now is None:
        today = datetime.now(UTC).date()
        return datetime(today.year, today.month, today.day)
    if now.tzinfo is not None:
        return now.astimezone(UTC).replace(tzinfo=None)
    return now


def transfer_windows(first_season: int, now: datetime, n_future_windows: int) -> pd.DataFrame:
    """Every window from ``first_season``'s summer on, up to and including the
    ``n_future_windows``-th that closes after ``now``."""
    rows: list[dict[str, Any]] = []
    season, future = first_season, 0
    while future < n_future_windows:
        for kind, opens, closes in (
            ("summer", datetime(season, 6, 15), datetime(season, 9, 1)),
            ("winter", datetime(season + 1, 1, 1), datetime(season + 1, 2, 1)),
        ):
            if future < n_future_windows:
                rows.append(
                    dict(season=season, transfer_window=kind, opens_at=opens, closes_at=closes)
                )
                future += closes > now
        season += 1
    frame = pd.DataFrame(rows)
    for column in ("opens_at", "closes_at"):
        frame[column] = frame[column].astype("datetime64[us]")
    return frame


def _age_curve(age: FloatArray) -> FloatArray:
    return 0.35 - 0.012 * (age - 27.0) ** 2


def market_value(performance: FloatArray, age: FloatArray, months_left: FloatArray) -> FloatArray:
    """A player's market value (EUR, rounded to 25 000): performance, age and contract."""
    young = np.clip(24.0 - age, 0.0, None)
    old = np.clip(age - 28.0, 0.0, None)
    value = 2.0e6 * np.exp(1.25 * performance + 0.06 * young - 0.14 * old)
    value *= 0.55 + 0.45 * np.clip(months_left / 24.0, 0.0, 1.0)
    return np.maximum(np.round(value / 25_000.0) * 25_000.0, 25_000.0)


def _months(later: Any, earlier: Any) -> FloatArray:
    days = (np.asarray(later, "datetime64[D]") - np.asarray(earlier, "datetime64[D]")).astype(float)
    return np.asarray(days / 30.44)


def _june_30(year: IntArray) -> Any:
    """30 June of each ``year`` (a contract's usual end)."""
    june = ((np.asarray(year) - 1970) * 12 + 5).astype("datetime64[M]")
    return june.astype("datetime64[D]") + np.timedelta64(29, "D")


class _Market:
    """The mutable state of the simulation (arrays per player and per club)."""

    def __init__(self, rng: np.random.Generator, n_leagues: int, clubs_per_league: int) -> None:
        self.rng = rng
        n_clubs = n_leagues * clubs_per_league
        self.club_league = np.repeat(np.arange(n_leagues), clubs_per_league)
        self.league_tier = np.arange(n_leagues) % 2 + 1
        self.league_country = np.arange(n_leagues) // 2
        tier = self.league_tier[self.club_league]
        self.club_country = self.league_country[self.club_league]
        self.strength = np.where(
            tier == 1, rng.normal(0.45, 0.45, n_clubs), rng.normal(-0.5, 0.35, n_clubs)
        )
        self.budget = 25e6 * np.exp(1.4 * self.strength + rng.normal(0, 0.3, n_clubs))
        pool = [f"{p}{r} {s}" for p in _CLUB_PREFIXES for r in _CLUB_ROOTS for s in _CLUB_SUFFIXES]
        if n_clubs > len(pool):
            raise ValueError(f"at most {len(pool)} clubs, got {n_clubs}")
        self.club_names = [pool[i] for i in rng.permutation(len(pool))[:n_clubs]]
        # Per player (grown by youth intake)
        self.birth_year = np.zeros(0, np.int64)
        self.position = np.zeros(0, np.int64)
        self.nationality = np.zeros(0, np.int64)
        self.ability = np.zeros(0)
        self.form = np.zeros(0)
        self.club = np.zeros(0, np.int64)  # -1: retired
        self.expires = np.zeros(0, "datetime64[D]")
        self.loan_parent = np.zeros(0, np.int64)  # -1: not on loan
        self.names: list[str] = []
        self._name_order = rng.permutation(len(_FIRST) * len(_LAST))

    def add_players(
        self, clubs: IntArray, age: IntArray, season: int, ability_shift: float
    ) -> IntArray:
        """New players at ``clubs``, of ``age`` in ``season``; returns their indices."""
        rng, n = self.rng, clubs.size
        first = len(self.names)
        for i in range(first, first + n):
            combo = int(self._name_order[i % self._name_order.size])
            name = f"{_FIRST[combo // len(_LAST)]} {_LAST[combo % len(_LAST)]}"
            lap = i // self._name_order.size
            self.names.append(name if lap == 0 else f"{name} {chr(ord('A') + lap - 1)}.")
        self.birth_year = np.append(self.birth_year, season - age)
        self.position = np.append(self.position, rng.choice(4, n, p=_POSITION_SHARE))
        foreign = rng.random(n) < 0.25
        self.nationality = np.append(
            self.nationality,
            np.where(foreign, rng.integers(0, len(_COUNTRIES), n), self.club_country[clubs]),
        )
        ability = self.strength[clubs] - _age_curve(age.astype(float)) + ability_shift
        self.ability = np.append(self.ability, ability + rng.normal(0, 0.35, n))
        self.form = np.append(self.form, rng.normal(0, 0.2, n))
        self.club = np.append(self.club, clubs)
        self.expires = np.append(self.expires, _june_30(season + 1 + rng.integers(0, 4, n)))
        self.loan_parent = np.append(self.loan_parent, np.full(n, -1))
        return np.arange(first, first + n)


def generate_transfer_market(
    seed: int = 42,
    now: datetime | None = None,
    *,
    n_leagues: int = 2,
    clubs_per_league: int = 6,
    n_players: int = 120,
    n_seasons: int = 2,
    n_future_windows: int = 2,
    rng: np.random.Generator | None = None,
) -> TransferMarket:
    """Simulate the market (see the module docstring) from the summer ``n_seasons - 1`` seasons
    before the one in progress at ``now`` until ``n_future_windows`` windows close after it.

    Raises
    ------
    ValueError
        If a size is out of range.
    """
    if n_leagues < 1 or clubs_per_league < 2 or n_seasons < 1 or n_future_windows < 0:
        raise ValueError("need n_leagues >= 1, clubs_per_league >= 2, n_seasons >= 1")
    if n_players < n_leagues * clubs_per_league:
        raise ValueError("need at least one player per club")
    if n_leagues > 2 * len(_COUNTRIES):
        raise ValueError(f"at most {2 * len(_COUNTRIES)} leagues")
    now_at = naive_utc(now)
    rng = rng or np.random.default_rng(seed)
    market = _Market(rng, n_leagues, clubs_per_league)
    current = now_at.year if now_at >= datetime(now_at.year, 6, 15) else now_at.year - 1
    first = current - n_seasons + 1
    windows = transfer_windows(first, now_at, n_future_windows)
    n_clubs = market.strength.size
    clubs = np.concatenate([np.arange(n_clubs), rng.integers(0, n_clubs, n_players - n_clubs)])
    ages = np.clip(np.round(rng.triangular(17, 24, 36, n_players)), 17, 35).astype(np.int64)
    market.add_players(clubs, ages, first, 0.0)
    start = np.datetime64(datetime(first, 6, 1), "us")
    contracts = [_contract_rows(market, np.arange(n_players), start, False)]
    moves: list[pd.DataFrame] = []
    states: list[pd.DataFrame] = []
    squad = np.bincount(clubs, minlength=n_clubs)
    for index, window in enumerate(windows.itertuples()):
        moved, signed = _play_window(market, window, squad)
        moves.append(moved)
        contracts.append(signed)
        states.append(_state(market, index, window))
    return _frames(market, windows, moves, contracts, states, first, current, now_at)


def _state(market: _Market, index: int, window: Any) -> pd.DataFrame:
    age = (window.closes_at.year - market.birth_year).astype(float)
    performance = market.ability + _age_curve(age) + market.form
    return pd.DataFrame(
        {
            "player": np.arange(market.club.size),
            "window_index": index,
            "club": market.club,
            "performance": performance,
            "age": age,
            "contract_expires_on": market.expires.astype("datetime64[us]"),
        }
    )


def _contract_rows(market: _Market, who: IntArray, at: Any, starts: bool) -> pd.DataFrame:
    """Contracts of ``who`` at their clubs as they stand, signed (and known) at ``at``; they
    start then if ``starts`` (else the start is unknown)."""
    at = np.broadcast_to(np.asarray(at, "datetime64[us]"), who.shape).copy()
    return pd.DataFrame(
        {
            "player": who,
            "club": market.club[who],
            "starts_on": at if starts else np.full(who.size, "NaT", "datetime64[us]"),
            "expires_on": market.expires[who].astype("datetime64[us]"),
            "observed_at": at,
        }
    )


def _play_window(
    market: _Market, window: Any, squad: IntArray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One window's returns, retirements, moves, renewals and youth intake."""
    rng = market.rng
    opens = np.datetime64(window.opens_at, "us")
    closes = np.datetime64(window.closes_at, "us")
    summer = window.transfer_window == "summer"
    n = market.club.size
    market.form = 0.6 * market.form + rng.normal(0, 0.25, n)
    age = (window.closes_at.year - market.birth_year).astype(float)
    performance = market.ability + _age_curve(age) + market.form
    months_left = _months(market.expires, closes)
    value = market_value(performance, age, months_left)
    span = int((closes - opens) / np.timedelta64(1, "us"))
    when = opens + (span * rng.beta(2.2, 1.3, n)).astype(np.int64).astype("timedelta64[us]")
    when = when.astype("datetime64[h]").astype("datetime64[us]")
    rows: list[dict[str, Any]] = []
    active = market.club >= 0

    def move(i: int, to: int, *, loan: bool = False, back: bool = False, fee: float = 0.0) -> None:
        rows.append(
            dict(
                player=i,
                from_club=market.club[i],
                to_club=to,
                age=int(age[i]),
                fee_eur=fee,
                market_value_eur=value[i],
                is_loan=loan,
                loan_return=back,
                moved_on=when[i],
            )
        )

    if summer:  # loans end
        for i in np.flatnonzero(active & (market.loan_parent >= 0)):
            when[i] = opens + np.timedelta64(15, "D")
            move(int(i), int(market.loan_parent[i]), back=True)
            squad[market.club[i]] -= 1
            market.club[i], market.loan_parent[i] = market.loan_parent[i], -1
            squad[market.club[i]] += 1
    free = active & (market.loan_parent < 0)
    retiring = np.zeros(n, bool)
    if summer:
        retiring = free & (rng.random(n) < 1 / (1 + np.exp(-1.3 * (age - 35.0))))
        for i in np.flatnonzero(retiring):
            move(int(i), -1, fee=np.nan)
            squad[market.club[i]] -= 1
            market.club[i] = -1
    level = market.strength[np.maximum(market.club, 0)]
    gap = performance - level
    logit = (-1.7 if summer else -3.0) + 1.1 * (months_left <= 12) + 0.8 * (months_left <= 6)
    logit += 4.0 * (months_left <= 0.5) + 1.6 * np.clip(gap - 0.3, 0, None)
    logit += 1.0 * np.clip(-gap - 0.6, 0, None) + 0.5 * (age <= 23) - 0.4 * (age >= 31)
    leaving = free & ~retiring & (rng.random(n) < 1 / (1 + np.exp(-logit)))
    budget = market.budget * (1.0 if summer else 0.4)
    need = rng.gamma(2.0, 0.5, (market.strength.size, len(POSITIONS)))
    signed = []
    for i in np.flatnonzero(leaving)[rng.permutation(int(leaving.sum()))]:
        here = int(market.club[i])
        # Young players below their club's level go out on loan, and a few older ones too.
        lend = 0.75 if age[i] <= 23 else 0.3 if age[i] <= 28 else 0.0
        loan = gap[i] < 0.1 and not months_left[i] <= 0.5 and rng.random() < lend
        target = performance[i] - (0.35 if loan else 0.0)
        free_move = months_left[i] <= 0.5
        fee = 0.0 if free_move or loan else float(value[i] * rng.lognormal(0, 0.25))
        score = -1.6 * np.abs(market.strength - target) + 0.6 * (
            market.club_country == market.club_country[here]
        )
        score += 0.5 * np.log(need[:, market.position[i]]) - 6.0 * (budget < fee)
        score += rng.gumbel(size=score.size)
        score[here] = -np.inf
        to = int(np.argmax(score))
        move(int(i), to, loan=loan, fee=fee)
        budget[to] -= fee
        budget[here] += 0.8 * fee
        need[to, market.position[i]] *= 0.5
        squad[here] -= 1
        squad[to] += 1
        if loan:
            market.loan_parent[i] = here
        else:
            years = rng.integers(2, 6) - (0 if summer else 1)
            market.expires[i] = _june_30(np.array([window.season + years]))[0]
            signed.append(i)
        market.club[i] = to
    stay = free & ~retiring & ~leaving
    renew = stay & ((months_left <= 0.5) | ((months_left <= 14) & (rng.random(n) < 0.3)))
    renewed = np.flatnonzero(renew)
    market.expires[renewed] = _june_30(window.season + 1 + rng.integers(1, 4, renewed.size))
    out = [_contract_rows(market, np.array(signed, np.int64), when[signed], True)]
    if renewed.size:
        out.append(_contract_rows(market, renewed, when[renewed], True))
    if summer and retiring.any():
        thin = np.argsort(squad + rng.random(squad.size))[: int(retiring.sum())]
        youth = market.add_players(thin, rng.integers(17, 19, thin.size), window.season, -0.15)
        np.add.at(squad, thin, 1)
        out.append(_contract_rows(market, youth, np.full(youth.size, opens), True))
    moved = pd.DataFrame(
        rows,
        columns=[
            "player",
            "from_club",
            "to_club",
            "age",
            "fee_eur",
            "market_value_eur",
            "is_loan",
            "loan_return",
            "moved_on",
        ],
    )
    moved["season"], moved["transfer_window"] = window.season, window.transfer_window
    return moved, pd.concat(out, ignore_index=True)


def _frames(
    market: _Market,
    windows: pd.DataFrame,
    moves: list[pd.DataFrame],
    contracts: list[pd.DataFrame],
    states: list[pd.DataFrame],
    first: int,
    current: int,
    now: datetime,
) -> TransferMarket:
    rng = market.rng
    n_leagues = market.league_tier.size
    league_keys = [f"TD{i + 1}" for i in range(n_leagues)]
    leagues = pd.DataFrame(
        {
            "key": league_keys,
            "name": [
                f"{_COUNTRIES[c]} League {t}"
                for c, t in zip(market.league_country, market.league_tier, strict=True)
            ],
            "country": [_COUNTRIES[c] for c in market.league_country],
            "tier": market.league_tier,
        }
    )
    club_keys = np.array([normalise(n) for n in market.club_names], dtype=object)
    clubs = pd.DataFrame(
        {
            "key": club_keys,
            "name": market.club_names,
            "country": [_COUNTRIES[c] for c in market.club_country],
            "league_key": [league_keys[i] for i in market.club_league],
            "tier": market.league_tier[market.club_league],
            "strength": market.strength,
            "budget_eur": np.round(market.budget, -5),
        }
    )
    seasons = np.arange(first, current + 1)
    club_seasons = pd.DataFrame(
        {
            "club_key": np.tile(club_keys, seasons.size),
            "season": np.repeat(seasons, club_keys.size),
            "league_key": np.tile(clubs["league_key"].to_numpy(), seasons.size),
        }
    )
    player_keys = np.array(
        [f"{normalise(n)}|{b}" for n, b in zip(market.names, market.birth_year, strict=True)],
        dtype=object,
    )
    players = pd.DataFrame(
        {
            "key": player_keys,
            "name": market.names,
            "birth_year": market.birth_year,
            "position": [POSITIONS[p] for p in market.position],
            "nationality": [_COUNTRIES[c] for c in market.nationality],
            "identity": "resolved",
        }
    )
    keyed = np.append(club_keys, np.array([pd.NA], dtype=object))  # index -1: no club
    moved = pd.concat(moves, ignore_index=True)
    moved["player_key"] = player_keys[moved["player"].to_numpy(np.int64)]
    moved["from_club_key"] = keyed[moved["from_club"].to_numpy(np.int64)]
    moved["to_club_key"] = keyed[moved["to_club"].to_numpy(np.int64)]
    moved["to_status"] = pd.Series("retired", index=moved.index).where(moved["to_club"] < 0)
    moved["to_club_tier"] = np.append(clubs["tier"].to_numpy(float), np.nan)[moved["to_club"]]
    moved["position"] = players["position"].to_numpy()[moved["player"]]
    moved["observed_at"] = moved["moved_on"]
    to_part = moved["to_club_key"].fillna(moved["to_status"])
    moved["key"] = (
        moved["player_key"]
        + "|"
        + moved["season"].astype(str)
        + "|"
        + moved["transfer_window"]
        + "|"
        + moved["from_club_key"]
        + "|"
        + to_part
    )
    moved["sightings"], moved["source"] = 1, SOURCE
    signed = pd.concat(contracts, ignore_index=True)
    signed = pd.DataFrame(
        {
            "player_key": player_keys[signed["player"].to_numpy(np.int64)],
            "club_key": keyed[signed["club"].to_numpy(np.int64)],
            "starts_on": signed["starts_on"],
            "expires_on": signed["expires_on"],
            "observed_at": signed["observed_at"],
            "source": SOURCE,
        }
    ).drop_duplicates(["player_key", "club_key", "expires_on"], keep="first")
    state = pd.concat(states, ignore_index=True)
    state["player_key"] = player_keys[state["player"].to_numpy(np.int64)]
    state["club_key"] = keyed[state["club"].to_numpy(np.int64)]
    stats = _season_stats(rng, state, windows, market, now)
    return TransferMarket(
        leagues,
        clubs,
        club_seasons,
        players,
        moved.drop(columns=["player", "from_club", "to_club"]),
        signed.reset_index(drop=True),
        stats,
        state.drop(columns=["player", "club"]),
        windows,
    )


def _season_stats(
    rng: np.random.Generator,
    state: pd.DataFrame,
    windows: pd.DataFrame,
    market: _Market,
    now: datetime,
) -> pd.DataFrame:
    """One row per player and finished season, at the club he ended it with (from the state
    after its winter window), known on 1 June after it."""
    winters = windows.index[windows["transfer_window"] == "winter"]
    rows = state[state["window_index"].isin(winters) & state["club_key"].notna()].copy()
    rows["season"] = windows.loc[rows["window_index"], "season"].to_numpy()
    rows["observed_at"] = pd.to_datetime(
        pd.DataFrame({"year": rows["season"] + 1, "month": 6, "day": 1})
    ).astype("datetime64[us]")
    rows = rows[rows["observed_at"] <= now].reset_index(drop=True)
    level = market.strength[rows["club"].to_numpy(np.int64)]
    share = 1 / (1 + np.exp(-(rows["performance"].to_numpy() - level + 0.8) * 2.0))
    apps = rng.binomial(38, share)
    position = market.position[rows["player"].to_numpy(np.int64)]
    rate = _GOALS_PER_GAME[position] * np.exp(0.6 * rows["performance"].to_numpy())
    return pd.DataFrame(
        {
            "player_key": rows["player_key"],
            "club_key": rows["club_key"],
            "season": rows["season"],
            "appearances": apps,
            "minutes": np.round(apps * rng.uniform(55, 88, apps.size)).astype(np.int64),
            "goals": rng.poisson(rate * apps),
            "assists": rng.poisson(0.6 * rate * apps + 0.02 * apps),
            "observed_at": rows["observed_at"],
            "source": SOURCE,
        }
    )
