"""Property-based tests of the API against its own OpenAPI schema (schemathesis): generated
requests, valid and invalid, never get a 5xx or a response that breaks the schema.

schemathesis's pytest integration for schemas built in fixtures (``from_fixture``) does not run
under this pytest, so each operation's strategy is driven by Hypothesis here instead; the
checks are schemathesis's own (``call_and_validate``).
"""

from __future__ import annotations

import pytest
import schemathesis
from api_world import World, settings_for
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from formline.api import create_app

CROSS_PARAMETER_RULE = "date_to is before date_from"
EXAMPLES = {GenerationMode.POSITIVE: 30, GenerationMode.NEGATIVE: 15}


@pytest.mark.parametrize("mode", list(EXAMPLES), ids=lambda m: m.value)
def test_the_api_honours_its_schema(sqlite_world: tuple[str, World], mode: GenerationMode) -> None:
    app = create_app(settings_for(sqlite_world[0]))
    with TestClient(app):  # runs the lifespan: the app is up as in production
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) == 18  # the domains' routes and the shared ones (/simulations)
        for operation in operations:
            if (
                mode is GenerationMode.NEGATIVE
                and not operation.query
                and not operation.path_parameters
            ):
                continue  # nothing to get wrong

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES[mode],
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def check(case: schemathesis.Case) -> None:
                response = case.call()
                if response.status_code == 422 and mode is GenerationMode.POSITIVE:
                    # The one rule the schema cannot state (it spans two parameters) is the
                    # only reason a schema-valid request may be refused.
                    messages = {e["msg"] for e in response.json()["detail"]}
                    assert messages == {CROSS_PARAMETER_RULE}, (case.path, case.query, messages)
                    case.validate_response(response, excluded_checks=[positive_data_acceptance])
                    return
                case.validate_response(response)

            check()
