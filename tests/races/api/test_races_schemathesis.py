"""Property-based tests of the races routes against the API's own OpenAPI schema
(schemathesis, driven by Hypothesis as in tests/api/test_schemathesis.py): generated requests,
valid and invalid, never get a 5xx or a response that breaks the schema."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from race_api_world import RaceWorld, settings_for
from schemathesis import GenerationMode

from formline.api import create_app

EXAMPLES = {GenerationMode.POSITIVE: 30, GenerationMode.NEGATIVE: 15}
RACE_PATHS = ("/races", "/races/{race_id}", "/horses/{horse_id}", "/jockeys/{jockey_id}",
              "/trainers/{trainer_id}")  # fmt: skip


@pytest.mark.parametrize("mode", list(EXAMPLES), ids=lambda m: m.value)
def test_the_races_routes_honour_their_schema(
    sqlite_race_world: tuple[str, RaceWorld], mounted: None, mode: GenerationMode
) -> None:
    app = create_app(settings_for(sqlite_race_world[0]))
    with TestClient(app):  # runs the lifespan: the app is up as in production
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        operations = [
            op
            for op in (result.ok() for result in schema.get_all_operations())
            if op.path in RACE_PATHS
        ]
        assert sorted(op.path for op in operations) == sorted(RACE_PATHS)
        for operation in operations:

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES[mode],
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def check(case: schemathesis.Case) -> None:
                case.validate_response(case.call())

            check()
