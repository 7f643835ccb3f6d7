"""The HTML model report: built from a synthetic bundle, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from formline.core.betting import backtest_value_rule
from formline.core.markets import implied_probabilities
from formline.errors import ModelNotFoundError, SchemaMismatchError
from formline.matches.models.dixon_coles import DixonColes
from formline.matches.models.feature_models import LogisticMatchModel
from formline.matches.report import EDGE_THRESHOLDS
from formline.matches.tables import teams
from formline.pipeline.report import write_report
from formline.store.artifacts import save_bundle
from formline.store.db import Store
from formline.store.registry import ModelVersion, complete_model_version, create_model_version

OUTCOMES = ("home", "draw", "away")
SEASONS = ("2021-2022", "2022-2023", "2023-2024")
COMPETITIONS = ("E0", "Premier <League> & Co")
FEATURE_VERSION = "test-features-v1"


def _cols(prefix: str) -> list[str]:
    return [f"{prefix}{o}" for o in OUTCOMES]


def _noisy(p: np.ndarray, rng: np.random.Generator, scale: float, power: float = 1.0) -> np.ndarray:
    """``p`` perturbed on the log scale (and sharpened by ``power``), rows renormalised."""
    logits = power * np.log(p) + rng.normal(0.0, scale, p.shape)
    out = np.exp(logits - logits.max(axis=1, keepdims=True))
    return out / out.sum(axis=1, keepdims=True)


def _prices(p: np.ndarray, margin: float) -> np.ndarray:
    return 1.0 / (p * (1.0 + margin))


def validation_frame(n: int = 360, seed: int = 1) -> pd.DataFrame:
    """A realistic walk-forward validation frame: Dirichlet truth, outcomes drawn from it."""
    rng = np.random.default_rng(seed)
    truth = rng.dirichlet([4.5, 2.8, 3.2], size=n)
    outcome = np.array([rng.choice(3, p=row) for row in truth])
    base = rng.poisson(1.0, size=(n, 2))
    home_goals = np.where(outcome == 0, base[:, 1] + 1 + base[:, 0] % 2, base[:, 0])
    away_goals = np.where(outcome == 2, base[:, 0] + 1 + base[:, 1] % 2, base[:, 0])
    away_goals = np.where(outcome == 0, base[:, 1], away_goals)
    home_goals = np.where(outcome == 2, base[:, 1] % 2, home_goals)
    frame = pd.DataFrame(
        {
            "match_id": np.arange(1, n + 1),
            "competition": [COMPETITIONS[i % 2] for i in range(n)],
            "season": [SEASONS[i * len(SEASONS) // n] for i in range(n)],
            "kickoff_at": [datetime(2021, 8, 1) + timedelta(days=i // 4 * 2) for i in range(n)],
            "home_team": [f"team {i % 12}" for i in range(n)],
            "away_team": [f"team {(i + 5) % 12}" for i in range(n)],
            "home_goals": home_goals.astype(float),
            "away_goals": away_goals.astype(float),
            "reference_bookmaker": "pinnacle",
        }
    )
    opening = _prices(_noisy(truth, rng, 0.15), 0.05)
    closing = _prices(_noisy(truth, rng, 0.05), 0.03)
    opening[rng.random(n) < 0.1] = np.nan  # some matches were never priced early
    closing[rng.random(n) < 0.05] = np.nan
    frame[_cols("opening_")] = opening
    frame[_cols("closing_")] = closing
    frame[_cols("closing_p_")] = implied_probabilities(closing, method="shin")
    frame["fold"] = np.arange(n) * 4 // n
    frame[_cols("p_")] = _noisy(truth, rng, 0.25)
    frame[_cols("raw_p_")] = _noisy(truth, rng, 0.25, power=1.3)
    frame[_cols("elo_p_")] = _noisy(truth, rng, 0.4, power=0.7)
    frame["p_over_2_5"] = rng.uniform(0.35, 0.65, n)
    frame[_cols("opening_p_")] = implied_probabilities(opening, method="shin")
    return frame


def _logistic_model(frame: pd.DataFrame) -> LogisticMatchModel:
    rng = np.random.default_rng(3)
    X = pd.DataFrame(
        {"elo_diff": rng.normal(size=len(frame)), "form_home": rng.normal(size=len(frame))}
    )
    return LogisticMatchModel(features=["elo_diff", "form_home"]).fit(
        X, frame[["home_goals", "away_goals"]]
    )


def register(
    store: Store,
    tmp_path: Path,
    frame: pd.DataFrame,
    model: Any,
    *,
    sha256: str | None = None,
) -> ModelVersion:
    """Save a bundle holding ``model`` and ``frame`` and register it as a completed version."""
    version = create_model_version(
        store,
        name="logistic",
        domain="matches",
        model_type="logistic",
        horizon_days=90,
        training_as_of=datetime(2024, 6, 1, tzinfo=UTC),
        window_start=datetime(2019, 8, 1, tzinfo=UTC),
        window_end=datetime(2024, 5, 31, tzinfo=UTC),
        feature_version=FEATURE_VERSION,
        feature_names=["elo_diff", "form_home"],
        uses_market=False,
        hyperparameters={"C": 0.05, "max_iter": 2000},
        random_state=0,
    )
    bundle = {
        "format_version": 1,
        "model_type": "logistic",
        "model": model,
        "calibrator": None,
        "over_calibrator": None,
        "feature_version": FEATURE_VERSION,
        "feature_names": ["elo_diff", "form_home"],
        "metrics": {},
        "validation": frame,
        "hyperparameters": {"C": 0.05, "max_iter": 2000},
    }
    path, checksum = save_bundle(tmp_path / "models", version.name, version.version, bundle)
    return complete_model_version(
        store,
        version.id,
        n_train=1200,
        n_validation=len(frame),
        metrics={},
        market_metrics=None,
        validation=None,
        artifact_path=str(path),
        artifact_sha256=sha256 or checksum,
        train_seconds=2.5,
    )


def _section(html: str, name: str) -> str:
    match = re.search(rf'<section id="{name}">(.*?)</section>', html, re.S)
    assert match, f"no section {name}"
    return match.group(1)


def test_the_report_is_one_self_contained_html_file(store: Store, tmp_path: Path) -> None:
    frame = validation_frame()
    version = register(store, tmp_path, frame, _logistic_model(frame))
    out = tmp_path / "reports" / "nested" / "report.html"  # the folder does not exist yet

    assert write_report(store, version.id, out) == out
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert html.count("<html") == 1 and html.rstrip().endswith("</html>")
    assert not re.search(r"(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//", html, re.I)
    assert "http://" not in html and "https://" not in html
    assert "<script" not in html and "<link" not in html and "<img" not in html
    assert html.count("<svg") == html.count("</svg>") >= 4  # three diagrams and the bar chart
    assert [p.name for p in out.parent.iterdir()] == ["report.html"]  # no temporary file left

    reliability = _section(html, "reliability")
    assert reliability.count("<svg") == 3
    for title in ("home win", "draw", "away win"):
        assert title in reliability
    metrics = _section(html, "metrics")
    for label in ("model, uncalibrated", "Elo reference", "opening market (Shin)"):
        assert f'<td class="label">{label}</td>' in metrics
    assert '<td class="label">closing market (Shin)</td>' in metrics
    assert "Gap to the closing line (RPS)" in metrics
    seasons = _section(html, "seasons")
    for season in SEASONS:
        assert f'<td class="label">{season}</td>' in seasons
    # Names are escaped, not interpreted.
    assert "Premier &lt;League&gt; &amp; Co" in _section(html, "competitions")
    assert "<League>" not in html
    assert "elo_diff" in _section(html, "importances")


def test_the_value_rule_matches_a_direct_backtest(store: Store, tmp_path: Path) -> None:
    frame = validation_frame(seed=2)
    version = register(store, tmp_path, frame, _logistic_model(frame))
    html = write_report(store, version.id, tmp_path / "report.html").read_text(encoding="utf-8")

    value = _section(html, "value")
    assert "out-of-fold" in value and "noise" in value
    ordered = frame.sort_values(["kickoff_at", "match_id"], kind="stable")
    codes = np.select(
        [
            ordered["home_goals"] > ordered["away_goals"],
            ordered["home_goals"] == ordered["away_goals"],
        ],
        [0.0, 1.0],
        2.0,
    )
    for min_edge in EDGE_THRESHOLDS:
        _, summary = backtest_value_rule(
            ordered[_cols("p_")].to_numpy(),
            ordered[_cols("opening_")].to_numpy(),
            ordered[_cols("closing_")].to_numpy(),
            codes,
            min_edge=min_edge,
            kelly=0.25,
        )
        assert summary["n_bets"] > 0
        row = f'<td class="label">{round(min_edge * 100)}%</td><td>{summary["n_bets"]}</td>'
        assert row in value


def test_a_wrong_checksum_is_refused(store: Store, tmp_path: Path) -> None:
    frame = validation_frame(n=120)
    version = register(store, tmp_path, frame, _logistic_model(frame), sha256="0" * 64)
    out = tmp_path / "report.html"
    with pytest.raises(SchemaMismatchError, match="checksum"):
        write_report(store, version.id, out)
    assert not out.exists()


def test_a_model_without_artifact_or_market_prices(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError):
        write_report(store, 12345, tmp_path / "missing.html")

    frame = validation_frame(n=150)
    frame[[*_cols("opening_"), *_cols("closing_"), *_cols("opening_p_"), *_cols("closing_p_")]] = (
        np.nan
    )
    version = register(store, tmp_path, frame, _logistic_model(frame))
    html = write_report(store, version.id, tmp_path / "report.html").read_text(encoding="utf-8")
    metrics = _section(html, "metrics")
    assert "no market" in metrics and "closing market (Shin)" not in metrics
    assert "Elo reference" in metrics
    assert _section(html, "reliability").count("<svg") == 3


def test_a_dixon_coles_model_shows_its_parameters(store: Store, tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    with store.begin() as conn:
        ids = [
            conn.execute(
                teams.insert()
                .values(sport="football", name=f"Club {i}", created_at=datetime.now(UTC))
                .returning(teams.c.id)
            ).scalar_one()
            for i in range(6)
        ]
    pairs = [(h, a) for h in ids for a in ids if h != a] * 3
    X = pd.DataFrame(
        {
            "home_team_id": [h for h, _ in pairs],
            "away_team_id": [a for _, a in pairs],
            "kickoff_at": [datetime(2023, 1, 1) + timedelta(days=i) for i in range(len(pairs))],
        }
    )
    y = pd.DataFrame(
        {"home_goals": rng.poisson(1.5, len(X)), "away_goals": rng.poisson(1.1, len(X))}
    )
    model = DixonColes(l2=1.0).fit(X, y)
    frame = validation_frame(n=120)
    version = register(store, tmp_path, frame, model)

    html = write_report(store, version.id, tmp_path / "report.html").read_text(encoding="utf-8")
    section = _section(html, "importances")
    assert "Dixon-Coles" in section and "home advantage" in section
    assert "strongest attack" in section and "Club " in section
