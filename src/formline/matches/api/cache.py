"""The matches domain's read-API cache: the kinds of response its routes cache (with the
setting of each TTL) and what to warm after a publish: the whole ``/predictions`` list, each
competition's, and each match's prediction.

Named by ``MatchesDomain.api_cache``; :mod:`formline.api.warm` does the warming.
"""

from __future__ import annotations

from pydantic import BaseModel

from formline.api.declared import CacheKind, DomainCache, HotRequest
from formline.matches.api.routes.predictions import (
    build_match_prediction,
    build_predictions,
    list_params,
)
from formline.matches.prediction_reads import snapshot_prediction_list
from formline.store.db import Store
from formline.store.reads import Pointer


def hot_requests(store: Store, pointer: Pointer) -> list[HotRequest]:
    """(kind, params) of the responses to warm: the whole list, each competition's list, and
    each match's prediction."""
    with store.connect("listing the snapshot to warm") as conn:
        rows = snapshot_prediction_list(conn, pointer.snapshot_id)
    competitions = sorted({row["competition"] for row in rows})
    return [
        ("predictions", list_params()),
        *(("predictions", list_params(code)) for code in competitions),
        *(("prediction", {"match_id": row["match_id"]}) for row in rows),
    ]


def build_hot(store: Store, pointer: Pointer, kind: str, params: dict[str, object]) -> BaseModel:
    """One response :func:`hot_requests` lists, built as its route builds it."""
    if kind == "predictions":
        competition = params.get("competition")
        return build_predictions(store, pointer, None if competition is None else str(competition))
    match_id = params["match_id"]
    assert isinstance(match_id, int)
    return build_match_prediction(store, pointer, match_id)


MATCHES_CACHE = DomainCache(
    kinds=(
        CacheKind("predictions", "api_cache_ttl_predictions", hot=True),
        CacheKind("prediction", "api_cache_ttl_predictions", hot=True),
        CacheKind("history", "api_cache_ttl_predictions"),
        CacheKind("matches", "api_cache_ttl_matches"),
        CacheKind("competitions", "api_cache_ttl_matches"),
        CacheKind("performance", "api_cache_ttl_performance"),
        CacheKind("value_bets", "api_cache_ttl_value_bets"),
    ),
    hot_requests=hot_requests,
    build=build_hot,
)
