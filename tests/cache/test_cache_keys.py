"""Cache keys: normalised parameters, and the snapshot id in every key."""

from __future__ import annotations

from datetime import date

from formline.cache.base import KEY_SCHEMA, cache_key


def test_keys_ignore_parameter_order_and_missing_values() -> None:
    a = cache_key("predictions", 7, {"competition": "E0", "date": date(2025, 1, 2), "x": None})
    b = cache_key("predictions", 7, {"date": date(2025, 1, 2), "competition": "E0"})
    assert a == b == f"{KEY_SCHEMA}:predictions:7:competition=E0&date=2025-01-02"


def test_a_new_snapshot_or_other_parameters_give_another_key() -> None:
    base = cache_key("prediction", 7, {"match_id": 5})
    assert cache_key("prediction", 8, {"match_id": 5}) != base
    assert cache_key("prediction", 7, {"match_id": 6}) != base
    assert cache_key("history", 7, {"match_id": 5}) != base
    assert cache_key("predictions", None) == f"{KEY_SCHEMA}:predictions:0:"


def test_values_are_escaped_so_keys_cannot_collide() -> None:
    tricky = cache_key("matches", 1, {"competition": "a&b=c"})
    plain = cache_key("matches", 1, {"competition": "a", "b": "c"})
    assert tricky != plain
    assert cache_key("performance", 1, {"windows": (30, 90)}).endswith("windows=30%2C90")
