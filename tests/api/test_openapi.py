"""The OpenAPI document validates, and schemathesis finds no 5xx and no answer outside the schema,
with a unit's token and an admin's, on every operation (bounded examples, so it runs in CI)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tracker.web.api.spec import OPERATIONS

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# One token per kind of caller: a unit clerk, a unit leader, a county office, the office, an admin.
CALLERS = ("clerk", "boss", "county", "inspector", "admin")


def test_the_document_is_valid_openapi_3_1_and_lists_every_operation(client, world):
    doc = client.get("/api/v1/openapi.json").get_json()
    validate(doc)
    assert doc["openapi"] == "3.1.0"
    listed = {(m, p) for p, ops in doc["paths"].items() for m in ops}
    assert len(listed) == len(OPERATIONS) >= 10
    expected = (
        "/plans",
        "/plans/{code}/measures",
        "/assignments",
        "/assignments/{assignment_id}",
        "/assignments/{assignment_id}/reports",
        "/findings",
        "/findings/{finding_id}/answer",
        "/plans/{code}/boards/{period}",
    )
    for path in expected:
        assert path in doc["paths"], path


def _real_values(world) -> dict[str, list]:
    """Values that hit real rows, the caller's own and another unit's, next to random ones."""
    return {
        "assignment_id": [world.own.assignment.id, world.other.assignment.id],
        "finding_id": [world.own.finding.id, world.other.finding.id],
        "code": ["matrix-2024"],
        "period": ["2024-05", "2024-04"],
    }


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.endpoint)
def test_no_operation_answers_5xx_or_outside_its_schema(op, app, world, county, token_of):
    app.config.update(API_RATE_LIMIT=100_000)
    secrets = [token_of(name) for name in CALLERS]
    real = _real_values(world)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = schema.find_operation_by_id(op.endpoint)

    @given(case=operation.as_strategy(), data=st.data())
    @settings(max_examples=20, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    def run(case, data):
        for name, value in dict(case.path_parameters or {}).items():
            case.path_parameters[name] = data.draw(st.sampled_from([value, *real.get(name, [])]))
        if case.query and "plan" in case.query:
            case.query["plan"] = data.draw(st.sampled_from([case.query["plan"], "matrix-2024"]))
        if case.query and "period" in case.query:
            case.query["period"] = data.draw(st.sampled_from([case.query["period"], "2024-05"]))
        if isinstance(case.body, dict) and "period" in case.body:
            case.body["period"] = data.draw(st.sampled_from([case.body["period"], "2024-05"]))
        for secret in secrets:
            case.call_and_validate(headers={"Authorization": f"Bearer {secret}"}, checks=CHECKS)

    run()
