"""Known answers on the shared Hong Kong races (gdaley): the public's de-margined final win
odds score mean -log q(winner) 2.047 and pseudo-R² 0.1874 on the 5,483 single-winner races."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from formline.races.models import ConditionalLogit, PublicModel, pseudo_r2, winner_log_loss
from support import SHARED_DATA

GDALEY = SHARED_DATA / "horse_racing_hk_gdaley"

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def runs() -> pd.DataFrame:
    path: Path = GDALEY / "runs.csv"
    if not path.is_file():
        pytest.skip(f"shared data not found at {GDALEY}")
    columns = ["race_id", "won", "win_odds", "draw", "actual_weight", "declared_weight"]
    return pd.read_csv(path, usecols=columns)


def _single_winner(runs: pd.DataFrame) -> pd.DataFrame:
    winners = runs.groupby("race_id")["won"].transform("sum")
    return runs[winners == 1]


def test_the_public_reproduces_the_published_figures(runs: pd.DataFrame) -> None:
    races = _single_winner(runs)
    assert races["race_id"].nunique() == 5483
    g, y = races["race_id"], races["won"]
    q = PublicModel().fit(races, groups=g).predict_proba(races, groups=g)
    assert winner_log_loss(q, y, groups=g) == pytest.approx(2.047, abs=5e-4)
    assert pseudo_r2(q, y, groups=g) == pytest.approx(0.1874, abs=5e-5)
    uniform = 1.0 / races.groupby("race_id")["race_id"].transform("size").to_numpy()
    assert winner_log_loss(uniform, y, groups=g) == pytest.approx(2.519, abs=5e-4)


def test_a_conditional_logit_fits_every_runner_including_dead_heats(runs: pd.DataFrame) -> None:
    features = ["draw", "actual_weight", "declared_weight"]
    g = runs["race_id"]
    model = ConditionalLogit().fit(runs[features], runs["won"], groups=g)
    assert model.n_races_ == runs["race_id"].nunique() == 5493
    assert np.all(np.isfinite(model.coef_))
    races = _single_winner(runs)
    p = model.predict_proba(races[features], groups=races["race_id"])
    # A high draw (wide barrier) is a handicap in Hong Kong; the fit finds it, and beats uniform.
    assert model.coef_[0] < 0.0
    assert pseudo_r2(p, races["won"], groups=races["race_id"]) > 0.0
