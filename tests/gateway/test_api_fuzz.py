"""The API fuzzed from its own OpenAPI spec with schemathesis, on SQLite and PostgreSQL: no
request, valid or not, with any role's token, gets a 5xx; answers to valid requests match the
spec's response schemas.

Budget: ``HEATWATCH_FUZZ_EXAMPLES`` cases per role and mode (default 100: about 15 s a
backend, 8 runs); derandomized, so CI runs the same cases every time. To hunt, raise it and
let Hypothesis pick new cases:
``HEATWATCH_FUZZ_EXAMPLES=2000 HEATWATCH_FUZZ_RANDOM=1 pytest tests/gateway/test_api_fuzz.py``
(1,500 a run, 12,000 requests, found no 5xx: about 7 minutes).
"""

from __future__ import annotations

import os
from types import SimpleNamespace
from typing import TYPE_CHECKING

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

if TYPE_CHECKING:
    from tests.gateway.api_world import World

pytest_plugins = ["tests.gateway.api_world"]  # its fixtures: world, make_api
EXAMPLES = int(os.environ.get("HEATWATCH_FUZZ_EXAMPLES", "100"))
FIXED_CASES = not os.environ.get("HEATWATCH_FUZZ_RANDOM")


class EmptyStore:
    """A telemetry store with nothing in it: the route is fuzzed, not the store."""

    def series(self, session, device, channels, start, end, max_points):
        return SimpleNamespace(bucket_s=60, channels=tuple(channels or ()), points=[])


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("role", ["admin", "customer_a"])
def test_no_request_gets_a_server_error(make_api, world: World, role: str, mode: GenerationMode):
    app = make_api(telemetry=EmptyStore()).app  # no broker, no webhook worker: nothing leaves the test
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    auth = {"Authorization": f"Bearer {world.tokens[role]}"}
    checks = [not_a_server_error] + ([response_schema_conformance] if mode is GenerationMode.POSITIVE else [])
    seen: dict[str, int] = {}

    @given(case=schema.as_strategy(generation_mode=mode, headers=auth))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=FIXED_CASES,
              suppress_health_check=list(HealthCheck))
    def fuzz(case) -> None:
        response = case.call()
        seen[f"{case.method} {case.path}"] = seen.get(f"{case.method} {case.path}", 0) + 1
        case.validate_response(response, checks=checks)

    fuzz()
    assert len(seen) >= 10, seen  # the strategy reached most operations, not one
