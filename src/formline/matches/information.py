"""Information states of a match as of an instant, and which models may predict it.

What is known about a match depends on how far ahead it is predicted: football-data's opening
prices are observed a day before kickoff (the demo world's three days), so a match further out
has results and statistics only. A model that reads market prices was validated on rows that had
them; fed a row without them it would predict from imputed values it never saw (a constant, for
the market reference). So every row has an information state, every model needs one, and a model
only predicts rows that have what it needs:

* ``market``: the 1X2 market features are observed before the cutoff;
* ``no_market``: they are not (results and statistics only).

States are ordered richest first; a row admits every model whose state is its own or poorer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from formline.matches.domain import INFORMATION_STATES as INFORMATION_STATES

MARKET_FEATURES = ("market_p_home", "market_p_draw", "market_p_away")


def information_states(frame: pd.DataFrame) -> NDArray[np.str_]:
    """Each row's information state: ``market`` when its 1X2 market features are present."""
    if not all(c in frame.columns for c in MARKET_FEATURES):
        return np.full(len(frame), "no_market")
    priced = frame[list(MARKET_FEATURES)].notna().all(axis=1).to_numpy()
    states: NDArray[np.str_] = np.where(priced, "market", "no_market")
    return states


def model_information(uses_market: bool) -> str:
    """The state a model needs: ``market`` if it reads any odds-derived feature."""
    return "market" if uses_market else "no_market"


def admissible(state: str) -> tuple[str, ...]:
    """The model states that may predict a row in ``state``, richest first."""
    return INFORMATION_STATES[INFORMATION_STATES.index(state) :]


def serves(model_state: str, row_states: NDArray[np.str_]) -> NDArray[np.bool_]:
    """Which rows a model needing ``model_state`` may predict."""
    allowed = [s for s in INFORMATION_STATES if model_state in admissible(s)]
    mask: NDArray[np.bool_] = np.isin(row_states, allowed)
    return mask
