"""The modelling frame: one row per match with its ids, names, result, point-in-time features
and the reference prices used to evaluate models (never as features)."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from formline.core.markets import implied_probabilities
from formline.domain import EventFrame
from formline.engine import InputQuery, fetch_arrow
from formline.matches.features import FeatureParams
from formline.matches.features.compute import compute_match_features
from formline.matches.sports import SERVED_SPORTS_SQL
from formline.store.db import Store

#: Whose prices evaluate models (closing line) and the value rule (opening line), best first.
REFERENCE_BOOKMAKERS = ("pinnacle", "demo_exchange", "bet365", "market_avg", "demo_book")

_MATCH_INFO = InputQuery(
    "SELECT m.id AS match_id, m.competition_id, c.code AS competition, m.season, m.kickoff_at, "
    "m.home_team_id, m.away_team_id, h.name AS home_team, a.name AS away_team, m.status, "
    "m.home_goals, m.away_goals, m.observed_at AS result_observed_at "
    "FROM matches m JOIN competitions c ON c.id = m.competition_id "
    "JOIN teams h ON h.id = m.home_team_id JOIN teams a ON a.id = m.away_team_id "
    f"WHERE m.sport IN ({SERVED_SPORTS_SQL})",
    {
        "match_id": "int",
        "competition_id": "int",
        "competition": "text",
        "season": "text",
        "kickoff_at": "timestamp",
        "home_team_id": "int",
        "away_team_id": "int",
        "home_team": "text",
        "away_team": "text",
        "status": "text",
        "home_goals": "int",
        "away_goals": "int",
        "result_observed_at": "timestamp",
    },
)

_REFERENCE_ODDS = InputQuery(
    "SELECT match_id, bookmaker, kind, selection, price FROM odds WHERE market = '1x2' "
    "AND bookmaker IN (" + ", ".join(f"'{b}'" for b in REFERENCE_BOOKMAKERS) + ")",
    {"match_id": "int", "bookmaker": "text", "kind": "text", "selection": "text", "price": "float"},
)

PRICE_COLUMNS = [f"{kind}_{o}" for kind in ("opening", "closing") for o in ("home", "draw", "away")]
CLOSING_PROBABILITIES = ["closing_p_home", "closing_p_draw", "closing_p_away"]


#: Every match with features as of ``as_of`` (the domain contract's frame); see
#: :func:`load_match_frame`.
MatchFrame = EventFrame


def reference_prices(odds: pd.DataFrame) -> pd.DataFrame:
    """Per match, the opening and closing 1X2 prices of the best-ranked bookmaker that has a
    complete closing (else opening) line, and the closing line's Shin probabilities."""
    if odds.empty:
        return pd.DataFrame(columns=["match_id", "reference_bookmaker", *PRICE_COLUMNS])
    wide = odds.pivot_table(
        index=["match_id", "bookmaker"],
        columns=["kind", "selection"],
        values="price",
        aggfunc="last",
    )
    wide.columns = ["_".join(map(str, pair)) for pair in wide.columns.to_list()]
    wide = wide.reindex(columns=PRICE_COLUMNS).reset_index()
    rank = {b: i for i, b in enumerate(REFERENCE_BOOKMAKERS)}
    wide["closing_complete"] = wide[PRICE_COLUMNS[3:]].notna().all(axis=1)
    wide["rank"] = wide["bookmaker"].map(rank)
    wide = wide.sort_values(["match_id", "closing_complete", "rank"], ascending=[True, False, True])
    best = wide.drop_duplicates("match_id").rename(columns={"bookmaker": "reference_bookmaker"})
    return best[["match_id", "reference_bookmaker", *PRICE_COLUMNS]].reset_index(drop=True)


def load_match_frame(
    store: Store,
    as_of: datetime,
    params: FeatureParams | None = None,
    queries: pd.DataFrame | None = None,
) -> MatchFrame:
    """Every match in the store with its features as of ``as_of`` and reference prices.

    Results are blanked for matches whose result was not observed before ``as_of``, so a frame
    as of a past instant shows exactly what was known then. With ``queries`` (``match_id``,
    ``cutoff_at``) the frame has one row per distinct query instead, each with the features as
    of its own cutoff (results are still those known at ``as_of``: they are targets, never
    features).
    """
    build = compute_match_features(store, as_of, params, queries=queries)
    info = fetch_arrow(store, _MATCH_INFO).to_pandas()
    unknown = info["result_observed_at"].isna() | (info["result_observed_at"] >= as_of)
    info.loc[unknown, ["home_goals", "away_goals"]] = np.nan
    info["finished"] = ~unknown & info["home_goals"].notna()
    prices = reference_prices(fetch_arrow(store, _REFERENCE_ODDS).to_pandas())
    frame = info.merge(build.frame, on="match_id", how="inner").merge(
        prices, on="match_id", how="left"
    )
    closing = frame[PRICE_COLUMNS[3:]].to_numpy(dtype=np.float64)
    frame[CLOSING_PROBABILITIES] = implied_probabilities(closing, method="shin")
    frame = frame.sort_values(["kickoff_at", "match_id", "cutoff_at"], kind="stable").reset_index(
        drop=True
    )
    return MatchFrame(frame, as_of, build.feature_version, build.feature_names)
