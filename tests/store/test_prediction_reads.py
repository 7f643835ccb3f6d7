"""The API's snapshot reads on SQLite and PostgreSQL: the odds value bets are priced with."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
from snapshot_fixtures import add_matches, add_model, publish

from formline.matches.frames import SourceBatch
from formline.matches.prediction_reads import latest_odds_for_snapshot
from formline.matches.store import upsert_batch
from formline.matches.tables import AGGREGATE_BOOKMAKERS
from formline.store.db import Store

AS_OF = datetime(2022, 8, 1)
KICKOFF = AS_OF + timedelta(days=3)


def _odds(bookmaker: str, prices: tuple[float, float, float], hours_before: int) -> pd.DataFrame:
    observed = KICKOFF - timedelta(hours=hours_before)
    return pd.DataFrame(
        {
            "sport": "football",
            "competition": "T1",
            "season": "2022-23",
            "home_team": "Team 0",
            "away_team": "Team 1",
            "bookmaker": bookmaker,
            "market": "1x2",
            "selection": ["home", "draw", "away"],
            "line": 0.0,
            "price": list(prices),
            "kind": "opening",
            "captured_at": observed,
            "observed_at": observed,
        }
    )


def test_value_bet_prices_are_real_bookmakers_only(store: Store) -> None:
    (match_id,) = add_matches(store, [KICKOFF], n_teams=2)
    odds = pd.concat(
        [
            _odds("bet365", (2.10, 3.40, 3.60), hours_before=100),
            _odds("pinnacle", (2.05, 3.50, 3.90), hours_before=90),
            # Summaries across books: the best price is above every book's, no one offers it.
            _odds("market_max", (2.30, 3.80, 4.20), hours_before=90),
            _odds("market_avg", (2.00, 3.30, 3.50), hours_before=90),
        ],
        ignore_index=True,
    )
    upsert_batch(store, SourceBatch(matches=pd.DataFrame(), odds=odds, rejects=pd.DataFrame()))
    model_id = add_model(store, "logistic", deploy=True)
    snapshot_id = publish(store, model_id, AS_OF, [match_id])
    with store.connect() as conn:
        prices = latest_odds_for_snapshot(conn, snapshot_id, as_of=AS_OF)
    assert {p["bookmaker"] for p in prices} == {"bet365", "pinnacle"}
    assert not {p["bookmaker"] for p in prices} & set(AGGREGATE_BOOKMAKERS)
    by_book = {(p["bookmaker"], p["selection"]): p["price"] for p in prices}
    assert by_book[("pinnacle", "away")] == 3.90 and by_book[("bet365", "home")] == 2.10
    assert all(p["match_id"] == match_id for p in prices)
