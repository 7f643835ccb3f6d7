"""The seeded synthetic racing world: venues, horses, jockeys and trainers, past races with
results and odds, and race cards still to run, with no network.

The truth is known, so the world is a test bed:

* Each horse has a latent ability that rises to a peak at five and declines after, plus a form
  that moves from run to run; a preferred distance and going; an early speed (its running
  style, from leader to closer).
* A runner's performance is its ability and form, its fit to the distance and the going, its
  jockey's and trainer's effects, the draw bias of the venue at that distance (inside draws
  help, more over short trips), the pace (a lone leader gains, a field of leaders tires them and
  suits closers) and the weight it carries, plus Gumbel noise: the true win probabilities are
  the softmax of the performances (:attr:`RaceWorld.truth`).
* Margins and finish times follow the performances; sectional times and running positions are
  derived from each runner's early speed and its finish time, so they agree with the finish.
* The public's tote odds are informed but imperfect: the public sees the performance with noise
  and over-bets longshots (its probabilities are the truth's flattened, ``q ~ p^0.75``), and the
  pool keeps a take of 18% (``sum 1/odds ~ 1/0.82``), with odds cut to 0.1 and capped at 99.
  Place odds are the public's Harville place probability, less the take.

Time: ``now`` only decides what is revealed. Meetings are Sundays (``DMP``, day, turf and
all-weather) and Wednesdays (``DMV``, night, turf) from ``n_days`` before the Monday of
``now``'s week to :data:`CARD_LEAD` after ``now``; every draw is made in a fixed order for the
whole calendar, so moving ``now`` within a week reveals the results the races were going to
have. A card (and its opening odds) is known :data:`CARD_LEAD` before the start, final odds at
the off, results :data:`RESULT_DELAY` after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from formline.races.frames import N_CALLS, RaceBatch

SOURCE = "demo"
TAKE = 0.18
PLACE_TAKE = 0.18
CARD_LEAD = np.timedelta64(4, "D")
RESULT_DELAY = np.timedelta64(10, "m")
RACE_INTERVAL = np.timedelta64(30, "m")
LENGTH_SECONDS = 0.16  # one length at racing speed
MIN_REST = np.timedelta64(14, "D")
#: The public's probabilities are the truth's raised to this power (a favourite-longshot bias).
PUBLIC_FLATTENING = 0.75
PUBLIC_NOISE = 0.45  # sd of the public's error about a runner's performance

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

#: code -> (name, weekday (0 Monday), first post in minutes after midnight UTC, races, AW share)
VENUES: dict[str, tuple[str, int, int, int, float]] = {
    "DMP": ("Demo Park", 6, 12 * 60 + 30, 10, 0.15),
    "DMV": ("Demo Vale", 2, 19 * 60 + 15, 8, 0.0),
}
DISTANCES = np.array([1000, 1200, 1400, 1600, 1650, 1800, 2000, 2200, 2400])
_TURF_GOINGS = ("GOOD TO FIRM", "GOOD", "GOOD TO YIELDING", "YIELDING", "SOFT")
_TURF_SOFTNESS = np.array([-1.0, -0.4, 0.2, 0.6, 1.0])
_AW_GOINGS = ("FAST", "GOOD", "WET FAST", "WET SLOW")
_AW_SOFTNESS = np.array([-0.6, 0.0, 0.4, 0.8])
_COURSES = ("A", "A+3", "B", "B+2", "C", "C+3")
_BANDS = ((1, 95, 140), (2, 80, 100), (3, 60, 80), (4, 40, 60), (5, 0, 40))
_SEXES = ("Gelding", "Horse", "Mare", "Colt", "Filly")
_SYLLABLES = (
    "ka", "lo", "mi", "ra", "zen", "tor", "vin", "sol", "dar", "fen", "gal", "hap", "jet", "kin",
    "lux", "mor", "nov", "pax", "quin", "rex", "sun", "tam", "ul", "vel", "win", "yor",
)  # fmt: skip


@dataclass(frozen=True)
class RaceWorld:
    """A demo world: the batch to load, and the true win probability of every runner
    (``venue``, ``race_date``, ``race_number``, ``horse_key``, ``p_true``) of every race."""

    batch: RaceBatch
    truth: pd.DataFrame


def generate_race_world(
    seed: int = 42,
    now: datetime | None = None,
    *,
    n_days: int = 420,
    n_horses: int = 700,
    n_jockeys: int = 36,
    n_trainers: int = 28,
) -> RaceWorld:
    """Generate the demo racing world (see the module).

    Parameters
    ----------
    seed
        Everything drawn comes from ``numpy.random.default_rng(seed)``: the same seed and week
        of ``now`` give the same world.
    now
        What is known (default: the current time); naive values are UTC.
    n_days, n_horses, n_jockeys, n_trainers
        The calendar's length before ``now``'s week and the populations.
    """
    now_utc = pd.Timestamp(now or datetime.now(UTC))
    now_utc = now_utc.tz_convert("UTC").tz_localize(None) if now_utc.tzinfo else now_utc
    now64 = now_utc.to_datetime64().astype("datetime64[us]")
    monday = (now_utc.normalize() - pd.Timedelta(days=now_utc.weekday())).to_datetime64()
    first_day = monday.astype("datetime64[D]") - np.timedelta64(n_days, "D")
    last_day = (now64 + CARD_LEAD).astype("datetime64[D]")
    rng = np.random.default_rng(seed)
    horses = _horses(rng, n_horses, first_day)
    jockey_effect = rng.normal(0.0, 0.3, n_jockeys)
    trainer_effect = rng.normal(0.0, 0.25, n_trainers)
    stable = rng.integers(0, n_trainers, n_horses)
    draw_bias = {v: rng.uniform(0.2, 0.5) for v in VENUES}
    state = {
        "form": np.zeros(n_horses),
        "rating": np.clip(
            np.round(60 + 14 * horses["ability"] + rng.normal(0, 5, n_horses)), 10, 130
        ),
        "last_run": np.full(n_horses, np.datetime64("NaT"), dtype="datetime64[D]"),
    }
    races: list[dict[str, Any]] = []
    runners: list[dict[str, Any]] = []
    day = first_day
    while day <= last_day:
        weekday = int((day.astype("datetime64[D]").astype(np.int64) - 4) % 7)  # 1970-01-01: Thu
        for code, (_, meeting_day, first_post, n_races, aw_share) in VENUES.items():
            if weekday != meeting_day:
                continue
            turf_going = int(rng.choice(5, p=[0.3, 0.4, 0.15, 0.1, 0.05]))
            aw_going = int(rng.choice(4, p=[0.3, 0.4, 0.2, 0.1]))
            course = _COURSES[int(rng.integers(len(_COURSES)))]
            for number in range(1, n_races + 1):
                start = day.astype("datetime64[m]") + np.timedelta64(first_post, "m")
                start = start + (number - 1) * RACE_INTERVAL.astype("timedelta64[m]")
                all_weather = bool(rng.random() < aw_share)
                race = {
                    "venue": code,
                    "race_date": str(day),
                    "race_number": number,
                    "start_at": start.astype("datetime64[us]"),
                    "distance": int(rng.choice(DISTANCES[:6] if all_weather else DISTANCES)),
                    "surface": "all_weather" if all_weather else "turf",
                    "course": None if all_weather else course,
                    "going": _AW_GOINGS[aw_going] if all_weather else _TURF_GOINGS[turf_going],
                    "softness": _AW_SOFTNESS[aw_going]
                    if all_weather
                    else _TURF_SOFTNESS[turf_going],
                }
                field = _run_race(
                    rng, race, horses, state, jockey_effect, trainer_effect, stable, draw_bias
                )
                if field is None:
                    continue
                field["race_index"] = np.full(len(field["horse"]), len(races))
                races.append(race)
                runners.append(field)
        day = day + np.timedelta64(1, "D")
    columns = {name: np.concatenate([r[name] for r in runners]) for name in runners[0]}
    return _reveal(pd.DataFrame(races), pd.DataFrame(columns), horses, now64)


def _horses(rng: np.random.Generator, n: int, first_day: np.datetime64) -> dict[str, Any]:
    names: set[str] = set()
    while len(names) < n:
        parts = rng.choice(_SYLLABLES, size=(n, 3))
        names |= {"".join(p).upper() for p in parts}
    ordered = sorted(names)[:n]
    order = rng.permutation(n)
    return {
        "name": np.array(ordered, dtype=object)[order],
        "ability": rng.normal(0.0, 1.0, n),
        "foaled": first_day - rng.integers(2 * 365, 6 * 365, n).astype("timedelta64[D]"),
        "best_distance": rng.uniform(1000, 2400, n),
        "going_liking": rng.uniform(-1, 1, n),  # > 0: likes it soft
        "early_speed": rng.normal(0.0, 1.0, n),
        "body_weight": rng.normal(1100.0, 45.0, n),
        "sex": np.array(_SEXES, dtype=object)[rng.choice(5, n, p=[0.8, 0.08, 0.04, 0.05, 0.03])],
    }


def _age(horses: dict[str, Any], day: np.datetime64) -> Floats:
    days: Floats = (day - horses["foaled"]).astype(np.int64) / 365.25
    return days


def _run_race(
    rng: np.random.Generator,
    race: dict[str, Any],
    horses: dict[str, Any],
    state: dict[str, Any],
    jockey_effect: Floats,
    trainer_effect: Floats,
    stable: Ints,
    draw_bias: dict[str, float],
) -> dict[str, Any] | None:
    """Draw a field for ``race``, run it and update the horses' form and ratings."""
    day = np.datetime64(race["race_date"], "D")
    age = _age(horses, day)
    rested = np.isnat(state["last_run"]) | (day - state["last_run"] >= MIN_REST)
    ready = np.flatnonzero(rested & (age >= 2) & (age < 10) & (rng.random(len(age)) < 0.35))
    band_class, low, high = _BANDS[int(rng.choice(5, p=[0.08, 0.17, 0.3, 0.3, 0.15]))]
    rating = state["rating"]
    fits = ready[(rating[ready] >= low - 5) & (rating[ready] <= high + 5)]
    size = int(rng.integers(8, 15))
    if len(fits) < 6:
        return None
    field = rng.choice(fits, size=min(size, len(fits)), replace=False)
    n = len(field)
    card_rating = rating[field].astype(np.int64)
    draw = rng.permutation(n) + 1
    jockey = rng.integers(0, len(jockey_effect), n)
    top = rating[field].max()
    weight = np.clip(133 - (top - rating[field]), 113, 133)
    distance = race["distance"]
    fit = -0.6 * (np.log(distance / horses["best_distance"][field]) / 0.25) ** 2
    going = 0.35 * horses["going_liking"][field] * race["softness"]
    ages = age[field]
    curve = -0.12 * (ages - 5.0) ** 2
    early = horses["early_speed"][field]
    leaders = int((early > 0.8).sum())
    pace = np.where(early > 0.8, 0.3 if leaders == 1 else -0.15 * (leaders - 1), 0.0)
    pace = pace + np.where(early < -0.8, 0.08 * max(leaders - 1, 0), 0.0)
    short = 1.0 if distance <= 1200 else 0.6 if distance <= 1650 else 0.3
    bias = -draw_bias[race["venue"]] * short * (draw - 1) / max(n - 1, 1)
    performance = (
        horses["ability"][field]
        + state["form"][field]
        + curve
        + fit
        + going
        + jockey_effect[jockey]
        + trainer_effect[stable[field]]
        + bias
        + pace
        - 0.03 * (weight - 123)
    )
    p_true = np.exp(performance - performance.max())
    p_true /= p_true.sum()
    outcome = performance + rng.gumbel(0.0, 1.0, n)
    order = np.argsort(-outcome, kind="stable")
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(1, n + 1)
    lengths = np.minimum((outcome.max() - outcome) * 2.5, 40.0)
    speed = 16.6 + 0.08 * (5 - band_class) - 0.25 * race["softness"] + rng.normal(0, 0.08)
    winner_time = distance / speed
    finish = winner_time + lengths * LENGTH_SECONDS
    calls = _calls(distance, finish, early + rng.normal(0, 0.5, n))
    seen = performance + rng.normal(0.0, PUBLIC_NOISE, n)
    public = np.exp(PUBLIC_FLATTENING * (seen - seen.max()))
    public /= public.sum()
    morning = performance + rng.normal(0.0, PUBLIC_NOISE * 1.6, n)
    opening = np.exp(PUBLIC_FLATTENING * (morning - morning.max()))
    opening /= opening.sum()
    # Form moves with the run (a good run lifts it), ratings follow the finishing order.
    state["form"][field] = 0.75 * state["form"][field] + rng.normal(0.0, 0.25, n)
    expected = (n + 1) / 2
    state["rating"][field] = np.clip(rating[field] + np.round(2.0 * (expected - position)), 10, 140)
    state["last_run"][field] = day
    race.update(race_class=str(band_class), rating_band=f"{high}-{low}", field_size=n)
    race["prize"] = float(2_000_000 // band_class)
    return {
        "horse": field,
        "saddle_number": np.argsort(np.argsort(-card_rating, kind="stable")) + 1,
        "draw": draw,
        "carried_weight": weight.astype(float),
        "declared_weight": np.round(1100 + 40 * rng.normal(0, 1, n)),
        "rating": card_rating,
        "horse_age": np.floor(ages).astype(np.int64),
        "jockey": jockey,
        "trainer": stable[field],
        "finish_position": position,
        "lengths_behind": np.round(lengths, 2),
        "finish_time": np.round(finish, 2),
        **calls,
        "p_true": p_true,
        "public": public,
        "opening": opening,
    }


def _calls(distance: int, finish: Floats, early: Floats) -> dict[str, Any]:
    """Running positions, lengths behind the leader and section times at each call (every
    400 m back from the finish, the first section the rest: 200 to 600 m), consistent with the
    finish."""
    n_sections = min(max(int(distance / 400 + 0.5), 1), N_CALLS)
    first = distance - 400 * (n_sections - 1)
    marks = (first + 400 * np.arange(n_sections)) / distance  # share of the trip at each call
    # Early speed puts a runner ahead (negative seconds) mid-race; every runner ends on its
    # finish time.
    offset = -0.6 * early
    cumulative = marks[None, :] * finish[:, None] + offset[:, None] * 4 * marks * (1 - marks)
    out: dict[str, Any] = {}
    previous = np.zeros(len(finish))
    for c in range(N_CALLS):
        if c < n_sections:
            at = cumulative[:, c]
            rank = np.empty(len(at), dtype=np.int64)
            rank[np.argsort(at, kind="stable")] = np.arange(1, len(at) + 1)
            out[f"position_{c + 1}"] = rank.astype(float)
            out[f"behind_{c + 1}"] = np.round((at - at.min()) / LENGTH_SECONDS, 2)
            out[f"section_time_{c + 1}"] = np.round(at - previous, 2)
            previous = at
        else:
            out[f"position_{c + 1}"] = np.full(len(finish), np.nan)
            out[f"behind_{c + 1}"] = np.full(len(finish), np.nan)
            out[f"section_time_{c + 1}"] = np.full(len(finish), np.nan)
    return out


def _tote(probability: Floats) -> Floats:
    """Tote odds for the public's ``probability``: the take kept, cut to 0.1, in [1, 99]."""
    raw = (1.0 - TAKE) / probability
    return np.clip(np.floor(raw * 10) / 10, 1.0, 99.0)


def _place_probabilities(q: Floats, places: int) -> Floats:
    """Harville: each runner's probability of finishing in the first ``places`` (1 to 3)."""
    total = q.copy()
    if places >= 2:
        ahead = q / (1.0 - q)  # P(j first) P(i second | j first) / q_i, summed over j != i
        total += q * (ahead.sum() - ahead)
    if places >= 3:
        rest = 1.0 - q[:, None] - q[None, :]
        pair = q[:, None] * q[None, :] / (1.0 - q[:, None]) / np.where(rest > 0, rest, np.inf)
        np.fill_diagonal(pair, 0.0)
        total += q * (pair.sum() - pair.sum(axis=0) - pair.sum(axis=1))
    return np.minimum(total, 1.0)


def _reveal(
    races: pd.DataFrame, runners: pd.DataFrame, horses: dict[str, Any], now: np.datetime64
) -> RaceWorld:
    """The world as known at ``now``: cards published, final odds at the off, results after."""
    start = races["start_at"].to_numpy(dtype="datetime64[us]")
    card_at = start - CARD_LEAD
    result_at = start + RESULT_DELAY
    run: npt.NDArray[np.bool_] = np.asarray(result_at <= now)
    off: npt.NDArray[np.bool_] = np.asarray(start <= now)
    published: npt.NDArray[np.bool_] = np.asarray(card_at <= now)
    key = (
        races[["venue", "race_date", "race_number"]]
        .iloc[runners["race_index"]]
        .reset_index(drop=True)
    )
    index = runners["race_index"].to_numpy()
    cumulative = runners[[f"section_time_{c}" for c in range(1, N_CALLS + 1)]].cumsum(axis=1)
    leader = cumulative.groupby(index).min()
    leader_sections = leader.diff(axis=1).fillna(leader)
    race_frame = races.assign(
        venue_name=[VENUES[v][0] for v in races["venue"]],
        country="Demoland",
        timezone="UTC",
        source_race_id=races["venue"]
        + "-"
        + races["race_date"]
        + "-"
        + races["race_number"].astype(str),
        card_observed_at=card_at,
        result_observed_at=np.where(run, result_at, np.datetime64("NaT")),
        source=SOURCE,
        **{
            f"leader_section_time_{c}": np.where(
                run, leader_sections[f"section_time_{c}"].reindex(races.index).to_numpy(), np.nan
            )
            for c in range(1, N_CALLS + 1)
        },
    )
    horse = runners["horse"].to_numpy()
    revealed = run[index]
    result_columns = [
        "finish_position",
        "lengths_behind",
        "finish_time",
        *(
            f"{kind}_{c}"
            for kind in ("position", "behind", "section_time")
            for c in range(1, N_CALLS + 1)
        ),
    ]
    runner_frame = pd.concat([key, runners.drop(columns=["horse", "jockey", "trainer"])], axis=1)
    runner_frame = runner_frame.assign(
        entity_source=SOURCE,
        horse_key=[f"H{h:04d}" for h in horse],
        horse_name=horses["name"][horse],
        horse_country="DEM",
        horse_sex=horses["sex"][horse],
        jockey_key=[f"J{j:03d}" for j in runners["jockey"]],
        jockey_name=[f"Jockey {j + 1}" for j in runners["jockey"]],
        trainer_key=[f"T{t:03d}" for t in runners["trainer"]],
        trainer_name=[f"Trainer {t + 1}" for t in runners["trainer"]],
        gear="--",
        card_observed_at=card_at[index],
        status=pd.Series("finished", index=runners.index).where(revealed),
        result_code=runners["finish_position"].astype(str).where(revealed),
        dead_heat=pd.Series(False, index=runners.index, dtype="boolean").where(revealed),
        result_observed_at=np.where(revealed, result_at[index], np.datetime64("NaT")),
        source=SOURCE,
    )
    for column in result_columns:
        runner_frame[column] = runner_frame[column].where(revealed)
    odds_key = runner_frame[["venue", "race_date", "race_number", "entity_source", "horse_key"]]
    public = runners["public"].to_numpy()
    places = np.where(races["field_size"].to_numpy() >= 7, 3, 2)[index]
    place_p = np.empty(len(public))
    for r in np.unique(index):
        at = index == r
        place_p[at] = _place_probabilities(public[at], int(places[at][0]))
    place_odds = np.clip(np.floor((1.0 - PLACE_TAKE) / place_p * 10) / 10, 1.0, 99.0)
    win_odds = _tote(public)
    at_off = off[index]
    odds = pd.concat(
        [
            odds_key.assign(
                market="win",
                kind="opening",
                value=_tote(runners["opening"].to_numpy()),
                captured_at=card_at[index],
                observed_at=card_at[index],
            ),
            odds_key[at_off].assign(
                market="win",
                kind="final",
                value=win_odds[at_off],
                captured_at=start[index][at_off],
                observed_at=start[index][at_off],
            ),
            odds_key[at_off].assign(
                market="place",
                kind="final",
                value=place_odds[at_off],
                captured_at=start[index][at_off],
                observed_at=start[index][at_off],
            ),
        ],
        ignore_index=True,
    ).assign(source=SOURCE)
    placed = revealed & (runners["finish_position"].to_numpy() <= places)
    won = revealed & (runners["finish_position"].to_numpy() == 1)
    dividends = pd.concat(
        [
            key[won].assign(pool="win", dividend=win_odds[won] * 10),
            key[placed].assign(pool="place", dividend=place_odds[placed] * 10),
        ]
    ).assign(
        combination=lambda d: runners["saddle_number"].reindex(d.index).astype(str),
        observed_at=lambda d: result_at[index[d.index.to_numpy()]],
        source=SOURCE,
    )
    shown = published[index]
    truth = runner_frame.loc[:, ["venue", "race_date", "race_number", "horse_key", "p_true"]]
    batch = RaceBatch(
        races=pd.DataFrame(race_frame[published]).reset_index(drop=True),
        runners=runner_frame[shown].reset_index(drop=True),
        odds=odds[odds["observed_at"] <= now].reset_index(drop=True),
        dividends=dividends.reset_index(drop=True),
    )
    return RaceWorld(batch.conformed(), truth[shown].reset_index(drop=True))
