"""The hot path's batched metrics: the same exposition as one observation per request, and
added by themselves on the event loop within their interval."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import generate_latest

from formline.api.metrics import ApiMetrics, Tally

DURATIONS = [0.0001, 0.0005, 0.0007, 0.001, 0.003, 0.0, 0.2, 3.0, 0.0005, 0.05]


def test_a_tally_adds_up_to_what_one_observation_per_request_gives() -> None:
    one_by_one, batched = ApiMetrics(), ApiMetrics()
    for seconds in DURATIONS:
        status = 304 if seconds == 0.0007 else 200
        one_by_one.record_request("GET", "/predictions", status, seconds)
        one_by_one.record_hit("predictions")
    tally = Tally(batched)

    async def answered() -> None:
        for seconds in DURATIONS:
            tally.add("/predictions", 304 if seconds == 0.0007 else 200, "predictions", seconds)

    asyncio.run(answered())
    # Rendering adds what is tallied first. Counts and buckets are exact; the sum of the
    # durations is added in one piece, so it may differ in the last bits.
    rendered, expected = _samples(batched.render()), _samples(one_by_one.render())
    assert rendered.keys() == expected.keys()
    for name, value in expected.items():
        assert rendered[name] == pytest.approx(value, rel=1e-12), name
    assert (
        rendered['formline_api_requests_total{method="GET",route="/predictions",status="304"}'] == 1
    )


def _samples(text: bytes) -> dict[str, float]:
    lines = [line for line in text.decode().splitlines() if line and not line.startswith("#")]
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in lines}


def test_a_tally_is_added_by_itself_within_its_interval() -> None:
    metrics = ApiMetrics()
    tally = Tally(metrics, interval=0.05)

    async def scenario() -> bytes:
        tally.add("/predictions", 200, "predictions", 0.001)
        before = generate_latest(metrics.registry)
        await asyncio.sleep(0.2)
        assert b'formline_api_requests_total{method="GET"' not in before
        return generate_latest(metrics.registry)

    after = asyncio.run(scenario())
    assert b'formline_api_requests_total{method="GET",route="/predictions",status="200"} 1.0' in (
        after
    )
    assert b'formline_api_cache_hits_total{kind="predictions"} 1.0' in after
