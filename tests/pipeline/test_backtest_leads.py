"""``model:backtest --lead-days``: each match predicted from what was known N days before its
kickoff; lead 0 is today's backtest; a model that reads prices predicts no match whose prices
were not observed yet, and no feature or refit at lead N sees a fact observed after its instant."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select, update

from formline.core.splits import walk_forward_splits
from formline.errors import ConfigError
from formline.matches.backtest import BACKTEST_COLUMNS
from formline.matches.dataset import load_match_frame
from formline.matches.models.validation import fit_calibrated
from formline.matches.tables import matches, odds
from formline.pipeline.backtest import (
    backtest_summary,
    parse_lead_days,
    run_backtest,
    write_backtest,
)
from formline.pipeline.ingest import ingest_demo
from formline.pipeline.train import TrainConfig, build_prototype
from formline.store.db import Store, open_store

NOW = datetime(2025, 11, 6)
START, END = datetime(2024, 7, 1), NOW
P = ["p_home", "p_draw", "p_away", "p_over_2_5"]


@pytest.fixture
def demo_store(tmp_path: Path) -> Store:
    store = open_store(f"sqlite:///{tmp_path / 'formline.db'}")
    ingest_demo(store, seed=21, now=NOW, n_leagues=2, n_teams=10, n_seasons=4)
    return store


def _todays_backtest(store: Store, config: TrainConfig) -> pd.DataFrame:
    """The backtest as it was before leads (its loop, verbatim): refit at each season's first
    kickoff on the results observed before it, predict the season at kickoff."""
    match_frame = load_match_frame(store, END)
    frame = match_frame.frame[match_frame.frame["finished"]].reset_index(drop=True)
    test = frame[(frame["kickoff_at"] >= START) & (frame["kickoff_at"] < END)]
    starts = [pd.Timestamp(t) for t in test.groupby("season")["kickoff_at"].min().sort_values()]
    pieces = []
    for block_start, block_end in zip(starts, [*starts[1:], pd.Timestamp(END)], strict=True):
        train = frame[frame["result_observed_at"] < block_start].reset_index(drop=True)
        block = test[(test["kickoff_at"] >= block_start) & (test["kickoff_at"] < block_end)]
        y = train[["home_goals", "away_goals"]]
        splits = walk_forward_splits(train["kickoff_at"].to_numpy(), 3, timedelta(days=7))
        prototype = build_prototype(config.model_type, config, {})
        model, calibrator, over = fit_calibrated(prototype, train, y, splits, "temperature")
        piece = block.copy()
        piece[P[:3]] = calibrator.transform(model.predict_proba(block))
        piece["p_over_2_5"] = over.transform(model.predict_over_proba(block))
        pieces.append(piece)
    return pd.concat(pieces, ignore_index=True)


@pytest.mark.slow
def test_lead_zero_reproduces_todays_backtest(demo_store: Store, tmp_path: Path) -> None:
    config = TrainConfig(model_type="logistic", lookback_days=0)
    result = run_backtest(demo_store, START, END, config)
    before = _todays_backtest(demo_store, config)
    assert result.leads == (0,) and (result.frame["lead_days"] == 0).all()
    assert result.omitted.empty
    columns = [c for c in BACKTEST_COLUMNS if c not in ("model", "lead_days")]
    pd.testing.assert_frame_equal(result.frame[columns], before[columns], check_exact=True)
    out = tmp_path / "bt.csv"
    write_backtest(result, out)
    written = pd.read_csv(out)
    assert list(written.columns) == BACKTEST_COLUMNS  # the old columns as they were, then the lead
    assert (written["lead_days"] == 0).all()


def _observe_odds(store: Store, days_before: dict[int, float]) -> None:
    """Move every price of each match to ``days`` before its kickoff (closing prices stay at
    kickoff): football-data's opening prices are observed a day before, for example."""
    with store.begin() as conn:
        kickoffs = dict(conn.execute(select(matches.c.id, matches.c.kickoff_at)).all())
        for match_id, days in days_before.items():
            conn.execute(
                update(odds)
                .where(odds.c.match_id == match_id, odds.c.kind == "opening")
                .values(observed_at=kickoffs[match_id] - timedelta(days=days))
            )


@pytest.mark.slow
def test_a_market_model_predicts_no_match_whose_prices_come_later_than_the_lead(
    demo_store: Store,
) -> None:
    frame = load_match_frame(demo_store, END).frame
    test = frame[frame["finished"] & (frame["kickoff_at"] >= START)]
    ids = test["match_id"].to_numpy()
    early = set(ids[::2].tolist())  # priced 10 days ahead; the others a day before kickoff
    _observe_odds(demo_store, {int(m): 10.0 if m in early else 1.0 for m in ids})
    config = TrainConfig(model_type="market", lookback_days=0)
    result = run_backtest(demo_store, START, END, config, lead_days=(0, 2, 7))
    by_lead = {lead: set(g["match_id"]) for lead, g in result.frame.groupby("lead_days")}
    assert by_lead[0] == set(ids)
    # At leads 2 and 7, only the matches priced 10 days ahead: the others are left out, counted.
    assert by_lead[2] == early and by_lead[7] == early
    omitted = result.omitted.groupby("lead_days")["n"].sum()
    assert 0 not in omitted.index
    assert omitted[7] == omitted[2] == len(ids) - len(early)
    summary = backtest_summary(result).set_index(["lead_days", "season"])
    assert summary.loc[(7, "all"), "predicted"] == len(early)
    assert summary.loc[(7, "all"), "omitted"] == len(ids) - len(early)
    # What it predicts at a lead is the price then, never a constant (the rows differ).
    at_7 = result.frame[result.frame["lead_days"] == 7]
    assert at_7[P[:3]].round(6).drop_duplicates().shape[0] > len(at_7) // 2
    # Where no price is observed yet at any lead asked for, nothing is predicted, all counted.
    nothing = run_backtest(demo_store, START, END, config, lead_days=(30,))
    assert nothing.frame.empty and list(nothing.frame.columns)[: len(BACKTEST_COLUMNS)] == (
        BACKTEST_COLUMNS
    )
    assert nothing.omitted["n"].sum() == len(ids)
    assert backtest_summary(nothing).set_index("season").loc["all", "predicted"] == 0
    # A model without prices predicts every match at every lead.
    elo = run_backtest(
        demo_store, START, END, TrainConfig(model_type="elo", lookback_days=0), lead_days=(0, 7)
    )
    assert elo.omitted.empty
    assert (elo.frame.groupby("lead_days")["match_id"].nunique() == len(ids)).all()


@pytest.mark.slow
def test_nothing_at_a_lead_uses_a_result_observed_after_kickoff_minus_the_lead(
    demo_store: Store,
) -> None:
    lead, start, end = 7, datetime(2025, 9, 1), END
    frame = load_match_frame(demo_store, END).frame
    finished = frame[frame["finished"]]

    def played_in_between(row: pd.Series) -> bool:
        instant = row["kickoff_at"] - timedelta(days=lead)
        seen = finished[
            (finished["result_observed_at"] >= instant)
            & (finished["result_observed_at"] < row["kickoff_at"])
        ]
        teams = {row["home_team_id"], row["away_team_id"]}
        return bool(seen["home_team_id"].isin(teams).any() | seen["away_team_id"].isin(teams).any())

    # The first match of October whose teams played within the lead before it: predicted at
    # lead 7 before October's refit boundary, so both its features and its model must come
    # from before its instant; and the rewrite below is visible at lead 0 (positive control).
    october = finished[finished["kickoff_at"] >= datetime(2025, 10, 1)]
    match = october[october.apply(played_in_between, axis=1)].iloc[0]
    instant = match["kickoff_at"] - timedelta(days=lead)
    assert instant < datetime(2025, 10, 1)
    config = TrainConfig(model_type="logistic", use_market=False, lookback_days=0)

    def backtest() -> pd.DataFrame:
        return run_backtest(
            demo_store, start, end, config, refit="month", lead_days=(0, lead)
        ).frame

    before = backtest()
    # Every result and statistic observed at or after the instant is rewritten.
    with demo_store.begin() as conn:
        conn.execute(
            update(matches)
            .where(matches.c.observed_at >= instant)
            .values(
                home_goals=matches.c.away_goals + 3,
                away_goals=matches.c.home_goals,
                home_shots=matches.c.home_shots + 9,
            )
        )
    after = backtest()

    def prediction(frame: pd.DataFrame, at: int) -> np.ndarray:
        rows = frame[(frame["match_id"] == match["match_id"]) & (frame["lead_days"] == at)]
        assert len(rows) == 1
        return rows[P].to_numpy()

    np.testing.assert_array_equal(prediction(after, lead), prediction(before, lead))
    assert not np.allclose(prediction(after, 0), prediction(before, 0), atol=1e-6)


def test_lead_days_are_whole_days_at_least_zero() -> None:
    assert parse_lead_days("7,0, 30,2,7") == (0, 2, 7, 30)
    for bad in ("-1", "2.5", "a", "0,,2", ""):
        with pytest.raises(ConfigError, match="--lead-days"):
            parse_lead_days(bad)
