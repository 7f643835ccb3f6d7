"""Is model A really better than model B? A paired bootstrap over per-match losses.

Both models must be scored on the same matches (per-match log loss or RPS from
:mod:`formline.core.metrics`). Matches on the same day share shocks (weather, a refereeing
directive, a round of upsets), so resampling whole match days (``block``) gives honest, usually
wider, intervals than resampling single matches.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

__all__ = ["BootstrapResult", "paired_bootstrap"]

FloatArray = NDArray[np.float64]

# Bootstrap replicates are drawn this many at a time so memory stays ~chunk * n integers.
_CHUNK = 128


@dataclass(frozen=True)
class BootstrapResult:
    """The paired bootstrap of ``mean(loss_a - loss_b)``.

    Attributes
    ----------
    mean_diff : float
        Observed mean of ``loss_a - loss_b``; negative when A has the lower loss.
    low, high : float
        Percentile bootstrap interval of the mean difference at level ``ci``.
    p_value_a_not_better : float
        Share of bootstrap replicates with a mean difference ``>= 0`` (A no better than B),
        with the usual ``(count + 1) / (n_boot + 1)`` correction: a one-sided bootstrap p-value
        for "A has the lower expected loss".
    n : int
        Number of matches.
    n_blocks : int
        Number of resampled units (``n`` when no blocks were given).
    n_boot : int
        Number of bootstrap replicates.
    ci : float
        Interval level.
    """

    mean_diff: float
    low: float
    high: float
    p_value_a_not_better: float
    n: int
    n_blocks: int
    n_boot: int
    ci: float

    @property
    def excludes_zero(self) -> bool:
        """True when the interval lies entirely on one side of zero."""
        return self.high < 0.0 or self.low > 0.0


def _losses(loss: ArrayLike, name: str) -> FloatArray:
    arr = np.asarray(loss, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one loss per match), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(
            f"{name} contains NaN or infinite values; score both models on the same rows"
        )
    return arr


def paired_bootstrap(
    loss_a: ArrayLike,
    loss_b: ArrayLike,
    n_boot: int = 2000,
    ci: float = 0.95,
    random_state: int | np.random.Generator | None = 0,
    block: ArrayLike | None = None,
) -> BootstrapResult:
    """Paired bootstrap interval for the mean loss difference of two models on the same matches.

    Each replicate resamples matches (or, with ``block``, whole blocks such as match days) with
    replacement and computes ``sum(loss_a - loss_b) / number of matches drawn``.

    Parameters
    ----------
    loss_a, loss_b : array_like, shape (n,)
        Per-match losses of models A and B, aligned row by row.
    n_boot : int, default 2000
        Number of replicates.
    ci : float, default 0.95
        Level of the percentile interval, in ``(0, 1)``.
    random_state : int, numpy.random.Generator or None, default 0
        Seed or generator; the default makes results reproducible.
    block : array_like, shape (n,), optional
        Block label per match (e.g. the kickoff date); blocks are resampled whole.

    Returns
    -------
    BootstrapResult

    Raises
    ------
    ValueError
        If the losses differ in length, are not 1-D, hold missing values, there are fewer than
        two matches (or blocks), or ``n_boot`` / ``ci`` is out of range.
    """
    a = _losses(loss_a, "loss_a")
    b = _losses(loss_b, "loss_b")
    if a.shape != b.shape:
        raise ValueError(f"loss_a has {a.shape[0]} rows but loss_b has {b.shape[0]}")
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    if not 0.0 < ci < 1.0:
        raise ValueError(f"ci must be in (0, 1), got {ci}")
    diff = a - b
    if block is None:
        sums, counts = diff, np.ones_like(diff)
    else:
        labels = np.asarray(block)
        if labels.shape != diff.shape:
            raise ValueError(f"block has shape {labels.shape} but the losses have {diff.shape}")
        if pd.isna(labels).any():
            raise ValueError("block contains missing labels")
        codes, _ = pd.factorize(labels)
        sums = np.bincount(codes, weights=diff).astype(np.float64)  # the stubs say int
        counts = np.bincount(codes).astype(np.float64)
    units = sums.shape[0]
    if units < 2:
        raise ValueError(f"need at least two matches (or blocks) to bootstrap, got {units}")
    rng = np.random.default_rng(random_state)
    replicates = np.empty(n_boot)
    for start in range(0, n_boot, _CHUNK):
        stop = min(start + _CHUNK, n_boot)
        draws = rng.integers(0, units, size=(stop - start, units))
        replicates[start:stop] = sums[draws].sum(axis=1) / counts[draws].sum(axis=1)
    tail = (1.0 - ci) / 2.0
    low, high = np.quantile(replicates, [tail, 1.0 - tail])
    not_better = int(np.count_nonzero(replicates >= 0.0))
    return BootstrapResult(
        mean_diff=float(diff.mean()),
        low=float(low),
        high=float(high),
        p_value_a_not_better=(not_better + 1) / (n_boot + 1),
        n=int(diff.shape[0]),
        n_blocks=units,
        n_boot=n_boot,
        ci=ci,
    )
