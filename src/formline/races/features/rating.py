"""A multi-runner rating learned from finishing orders: Weng-Lin's Bayesian approximation for
the Plackett-Luce model (Weng and Lin 2011; the ``PlackettLuce`` model of ``openskill``), one
player per team.

Pure: arrays in, arrays out. The races are taken in the order given (the order their results
became known); each runner's rating before and after its race is returned, so a reader as of
``T`` takes the latest "after" of a horse whose race result was known before ``T``.
"""

from __future__ import annotations

import numba
import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

_KAPPA = 1e-4


@numba.njit(cache=True)
def _weng_lin_kernel(
    race_start: Ints,
    entity: Ints,
    rank: Floats,
    n_entities: int,
    mu0: float,
    sigma0: float,
    beta: float,
    tau: float,
) -> tuple[Floats, Floats, Floats, Floats]:
    n = entity.shape[0]
    mu = np.full(n_entities, mu0)
    var = np.full(n_entities, sigma0 * sigma0)
    mu_before = np.empty(n)
    sigma_before = np.empty(n)
    mu_after = np.empty(n)
    sigma_after = np.empty(n)
    n_races = race_start.shape[0]
    for r in range(n_races):
        lo = race_start[r]
        hi = race_start[r + 1] if r + 1 < n_races else n
        size = hi - lo
        m = np.empty(size)
        v = np.empty(size)
        for k in range(size):
            e = entity[lo + k]
            m[k] = mu[e]
            v[k] = var[e] + tau * tau
            mu_before[lo + k] = mu[e]
            sigma_before[lo + k] = np.sqrt(var[e])
        if size < 2:
            for k in range(size):
                mu_after[lo + k] = m[k]
                sigma_after[lo + k] = np.sqrt(v[k])
                var[entity[lo + k]] = v[k]
            continue
        c = np.sqrt(np.sum(v) + size * beta * beta)
        strength = np.exp(m / c)
        # sum_q: total strength of the runners finishing at or behind q; a_q: q's tie count.
        sum_q = np.zeros(size)
        a_q = np.zeros(size)
        for q in range(size):
            for i in range(size):
                if rank[lo + i] >= rank[lo + q]:
                    sum_q[q] += strength[i]
                if rank[lo + i] == rank[lo + q]:
                    a_q[q] += 1.0
        for i in range(size):
            omega = 0.0
            delta = 0.0
            for q in range(size):
                if rank[lo + q] <= rank[lo + i]:
                    quotient = strength[i] / sum_q[q]
                    if q == i:
                        omega += (1.0 - quotient) / a_q[q]
                    else:
                        omega -= quotient / a_q[q]
                    delta += quotient * (1.0 - quotient) / a_q[q]
            gamma = np.sqrt(v[i]) / c
            eta = gamma * (v[i] / (c * c)) * delta
            new_mu = m[i] + (v[i] / c) * omega
            new_var = v[i] * max(1.0 - eta, _KAPPA)
            e = entity[lo + i]
            mu[e] = new_mu
            var[e] = new_var
            mu_after[lo + i] = new_mu
            sigma_after[lo + i] = np.sqrt(new_var)
    return mu_before, sigma_before, mu_after, sigma_after


def weng_lin_ratings(
    race_start: Ints,
    entity: Ints,
    rank: Floats,
    *,
    mu: float = 25.0,
    sigma: float = 25.0 / 3.0,
    beta: float = 25.0 / 6.0,
    tau: float = 25.0 / 300.0,
) -> tuple[Floats, Floats, Floats, Floats]:
    """Run the Weng-Lin Plackett-Luce update over races in the given order.

    Parameters
    ----------
    race_start
        Offset of each race's first row (increasing, the first 0); the rows of a race are
        contiguous.
    entity
        Per row, the rated entity (0 .. n-1): a horse, or a horse on one surface and band.
    rank
        Per row, the finishing rank within its race (1 won; equal ranks dead-heated; a
        non-finisher ranks behind every finisher).
    mu, sigma, beta, tau
        Prior mean and sd of a new entity, the sd of a performance, and the sd added to an
        entity's rating before each of its races (so it can move).

    Returns
    -------
    tuple of numpy.ndarray
        Per row: mean and sd before the race, mean and sd after it.
    """
    race_start = np.ascontiguousarray(race_start, dtype=np.int64)
    entity = np.ascontiguousarray(entity, dtype=np.int64)
    rank = np.ascontiguousarray(rank, dtype=np.float64)
    if len(entity) == 0:
        empty = np.empty(0)
        return empty, empty, empty, empty
    n_entities = int(entity.max()) + 1
    return _weng_lin_kernel(race_start, entity, rank, n_entities, mu, sigma, beta, tau)
