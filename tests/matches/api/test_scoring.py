"""The API's plain-Python scores agree with formline.core.metrics (NumPy, scikit-learn)."""

from __future__ import annotations

import numpy as np
import pytest

from formline.core import metrics
from formline.matches.api.scoring import outcome, score


def test_scores_match_the_core_metrics_on_random_forecasts() -> None:
    rng = np.random.default_rng(7)
    p = rng.dirichlet([2.0, 1.2, 1.6], size=400)
    p[0] = [1.0, 0.0, 0.0]  # a certain forecast that is wrong below: log loss clips
    y = rng.integers(0, 3, size=400)
    y[0] = 2
    got = score(zip(y.tolist(), *p.T.tolist(), strict=True))
    assert got.n == 400
    assert got.log_loss == pytest.approx(metrics.log_loss(y, p), rel=1e-12)
    assert got.brier == pytest.approx(metrics.brier_score(y, p), rel=1e-12)
    assert got.rps == pytest.approx(metrics.rps(y, p), rel=1e-12)
    assert got.accuracy == pytest.approx(metrics.accuracy(y, p), rel=1e-12)


def test_rows_are_renormalised_and_ties_go_to_the_first_outcome() -> None:
    scaled, plain = score([(0, 2.0, 1.0, 1.0)]), score([(0, 0.5, 0.25, 0.25)])
    assert (scaled.brier, scaled.rps) == (plain.brier, plain.rps)
    assert score([(0, 0.4, 0.4, 0.2)]).accuracy == 1.0
    assert score([(1, 0.4, 0.4, 0.2)]).accuracy == 0.0
    empty = score([])
    assert (empty.n, empty.log_loss, empty.rps) == (0, None, None)


def test_outcomes_and_bad_rows() -> None:
    assert [outcome(2, 1), outcome(1, 1), outcome(0, 3)] == [0, 1, 2]
    with pytest.raises(ValueError, match="outcome"):
        score([(3, 0.3, 0.3, 0.4)])
    with pytest.raises(ValueError, match="non-negative"):
        score([(0, -0.1, 0.6, 0.5)])
