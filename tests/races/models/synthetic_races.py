"""A seeded synthetic racing world for the race-model tests: runners with known features, a
known true score, winners and finishing orders drawn from it, and an informed public."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from formline.core.grouped import grouped_softmax

TRUE_BETA = np.array([0.8, -0.5, 0.3])
FEATURES = ["form", "weight", "draw_edge"]


@dataclass(frozen=True)
class World:
    """Runners (one row each) and what generated them."""

    runners: pd.DataFrame
    p_true: np.ndarray

    @property
    def groups(self) -> np.ndarray:
        return self.runners["race_id"].to_numpy()

    @property
    def won(self) -> np.ndarray:
        return self.runners["won"].to_numpy()


def _finish_order(
    p: np.ndarray, codes: np.ndarray, rng: np.random.Generator, exponents: tuple[float, ...]
) -> np.ndarray:
    """Finishing positions drawn place by place, each from the runners not yet placed with
    probability proportional to ``p ** exponent`` (Gumbel-max; Harville with all ones)."""
    position = np.zeros(p.shape[0])
    log_p = np.log(p)
    for place in range(1, int(np.bincount(codes).max()) + 1):
        e = exponents[min(place - 1, len(exponents) - 1)]
        key = e * log_p + rng.gumbel(size=p.shape[0])
        key[position > 0] = -np.inf
        order = np.lexsort((key, codes))
        last = np.flatnonzero(np.r_[codes[order][1:] != codes[order][:-1], True])
        best = order[last]
        best = best[position[best] == 0]
        position[best] = place
    return position


def make_world(
    n_races: int = 2000,
    seed: int = 0,
    hidden: float = 0.0,
    public_noise: float = 0.3,
    exponents: tuple[float, ...] | None = None,
    shuffle: bool = True,
) -> World:
    """``n_races`` races of 5 to 14 runners; score ``TRUE_BETA . x + hidden * z``.

    ``z`` is known only to the public, whose odds come from the true score plus noise and an
    18% take. Race-level offsets are added to every feature (they must not matter). With
    ``exponents`` (one per place, Harville with all ones) whole finishing orders are drawn
    and the winner is the runner placed 1st. With ``shuffle`` the rows of races interleave.
    """
    rng = np.random.default_rng(seed)
    sizes = rng.integers(5, 15, n_races)
    codes = np.repeat(np.arange(n_races), sizes)
    n = codes.shape[0]
    x = rng.normal(size=(n, 3)) + rng.normal(scale=2.0, size=(n_races, 3))[codes]
    z = rng.normal(size=n)
    score = x @ TRUE_BETA + hidden * z
    p = grouped_softmax(score, codes)
    u = rng.random(n_races)
    cumulative = np.zeros(n)
    order = np.argsort(codes, kind="stable")
    cumulative[order] = pd.Series(p[order]).groupby(codes[order]).cumsum().to_numpy()
    first_over = (cumulative >= u[codes]) & ((cumulative - p) < u[codes])
    won = first_over.astype(float)
    public = grouped_softmax(score + rng.normal(scale=public_noise, size=n), codes)
    odds = np.round(1.0 / (public * 1.18), 1).clip(1.01, 99.0)
    start = pd.Timestamp("2020-01-01", tz="UTC") + pd.to_timedelta(np.arange(n_races), unit="h")
    frame = pd.DataFrame(x, columns=FEATURES)
    frame.insert(0, "race_id", codes + 1000)
    frame["start_at"] = start[codes]
    frame["win_odds"] = odds
    frame["won"] = won
    if exponents is not None:
        frame["finish_position"] = _finish_order(p, codes, rng, exponents)
        frame["won"] = (frame["finish_position"] == 1).astype(float)
    if shuffle:
        perm = rng.permutation(n)
        frame, p = frame.iloc[perm].reset_index(drop=True), p[perm]
    return World(frame, p)
