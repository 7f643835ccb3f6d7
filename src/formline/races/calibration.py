"""Calibration of race win probabilities, and the place probabilities derived from them.

The racing analogue of temperature scaling: one exponent ``a`` per model, ``p_i ** a /
sum_j p_j ** a`` within each race, fitted by maximum likelihood of the winners (a conditional
logit on ``log p`` without penalty). ``a < 1`` flattens an over-confident model.

Place probabilities are Benter's discounted Harville terms (:func:`benter_place`) with the
exponents fitted on earlier races' finishing orders; a race pays 3 places from
:data:`THREE_PLACES_FROM` runners, 2 below.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from formline.core.grouped import grouped_softmax
from formline.errors import ConfigError, DataError
from formline.races.models import (
    BENTER_DELTA,
    BENTER_GAMMA,
    ConditionalLogit,
    DiscountExponents,
    benter_place,
    fit_discount_exponents,
    harville_place,
)
from formline.races.models._inputs import race_codes

FloatArray = NDArray[np.float64]
#: The calibration methods races take (``--calibration``).
RACE_CALIBRATIONS = ("temperature", "none")
#: Field size from which three places are paid (two below).
THREE_PLACES_FROM = 7
_FLOOR = 1e-12


def check_calibration(method: str) -> str:
    """``method`` if races support it.

    Raises
    ------
    ConfigError
        For ``isotonic`` (per-runner isotonic maps break the sum to 1 within a race) or any
        other method but ``temperature`` and ``none``.
    """
    if method not in RACE_CALIBRATIONS:
        raise ConfigError(
            f"--calibration: races take {' or '.join(RACE_CALIBRATIONS)}, not '{method}'"
        )
    return method


class PowerCalibration:
    """``p ** a`` renormalised within each race, ``a`` fitted on earlier races' winners.

    Attributes
    ----------
    exponent_ : float
    n_races_ : int
        Races with a winner it was fitted on.
    """

    def fit(self, p: FloatArray, won: FloatArray, groups: Any) -> PowerCalibration:
        """Fit the exponent on win probabilities ``p``, winners ``won`` (1/0) and races.

        Raises
        ------
        DataError
            If no race has a winner.
        """
        log_p = np.log(np.maximum(np.asarray(p, dtype=np.float64), _FLOOR))[:, None]
        fitted = ConditionalLogit(alpha=0.0, center=False, standardize=False).fit(
            log_p, won, groups=groups
        )
        self.exponent_ = float(fitted.coef_[0])
        self.n_races_ = fitted.n_races_
        return self

    def transform(self, p: FloatArray, groups: Any) -> FloatArray:
        """The calibrated probabilities of ``p``; they sum to 1 within each race."""
        log_p = np.log(np.maximum(np.asarray(p, dtype=np.float64), _FLOOR))
        return grouped_softmax(self.exponent_ * log_p, groups)


class NoCalibration:
    """The ``none`` calibration: ``p`` unchanged."""

    exponent_ = 1.0

    def fit(self, p: FloatArray, won: FloatArray, groups: Any) -> NoCalibration:
        """Nothing to fit."""
        return self

    def transform(self, p: FloatArray, groups: Any) -> FloatArray:
        """``p`` itself."""
        return np.asarray(p, dtype=np.float64)


def make_race_calibrator(method: str) -> PowerCalibration | NoCalibration:
    """A fresh calibrator for ``method`` (``temperature`` or ``none``)."""
    return PowerCalibration() if check_calibration(method) == "temperature" else NoCalibration()


def fit_exponents(p: FloatArray, groups: Any, finish_position: FloatArray) -> DiscountExponents:
    """Benter's place exponents fitted on ``p`` and the finishing orders; Benter's published
    values (0.81, 0.65, ``n_races`` 0) where no race has a clear first three."""
    try:
        return fit_discount_exponents(p, groups, finish_position)
    except DataError:
        return DiscountExponents(BENTER_GAMMA, BENTER_DELTA, 0, 0, float("nan"), float("nan"))


def places_paid(groups: Any, field_size: Any) -> NDArray[np.int64]:
    """Places paid in each row's race: 3 from :data:`THREE_PLACES_FROM` runners, else 2
    (``field_size`` missing: the race's row count)."""
    raw = np.asarray(groups)
    codes, n_races = race_codes(raw, raw.shape[0])
    size = np.asarray(field_size, dtype=np.float64)
    counted = np.bincount(codes, minlength=n_races)[codes].astype(np.float64)
    size = np.where(np.isnan(size), counted, size)
    return np.where(size >= THREE_PLACES_FROM, 3, 2).astype(np.int64)


def place_probabilities(
    p: FloatArray,
    groups: Any,
    field_size: Any,
    exponents: DiscountExponents | None = None,
) -> FloatArray:
    """Each runner's probability of a paid place: Benter's discount with ``exponents``, or
    Harville's (all exponents 1) when None."""
    raw = np.asarray(groups)
    places = places_paid(raw, field_size)
    out = np.zeros(len(p), dtype=np.float64)
    for k in (2, 3):
        rows = places == k
        if not rows.any():
            continue
        if exponents is None:
            out[rows] = harville_place(p[rows], raw[rows], places=k)
        else:
            out[rows] = benter_place(
                p[rows], raw[rows], gamma=exponents.gamma, delta=exponents.delta, places=k
            )
    return out
