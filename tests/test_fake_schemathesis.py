"""schemathesis against a live FakeHeyGen over every operation of HeyGen's schema: no input the
schema allows (or refuses) gets a 5xx, a status the operation does not declare, or a reply
(body or content type) the schema does not describe.

HeyGen's document declares its error replies on 18 operations only; the other 72 answer
errors with the same envelope in the real API (reference/heygen-api.md, section 5). This
test's copy of the document adds that envelope as the `4XX` reply where an operation declares
none, so a 404 for an unknown id or a 400 for a refused body is checked, not excused.
"""

from __future__ import annotations

import copy
import importlib.resources
import json
from collections.abc import Iterator
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis import Case  # noqa: E402
from schemathesis.checks import (  # noqa: E402
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from heygen_async.testing import FakeHeyGen  # noqa: E402
from heygen_async.testing._spec import Spec  # noqa: E402

from .fake_thread import fake_in_thread  # noqa: E402

DOCUMENT: dict[str, Any] = json.loads(
    importlib.resources.files("heygen_async.testing")
    .joinpath("heygen-openapi.v3.json")
    .read_text("utf-8")
)
_ERROR = {
    "description": "HeyGen's error envelope (400, 401, 404, 409, 413, 429, ...)",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}},
}


def _with_error_replies(document: dict[str, Any]) -> dict[str, Any]:
    document = copy.deepcopy(document)
    for item in document["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and "responses" in operation:
                responses = operation["responses"]
                if not any(code.startswith("4") for code in responses):
                    responses["4XX"] = _ERROR
    return document


OPERATIONS = [
    operation["operationId"]
    for item in DOCUMENT["paths"].values()
    for operation in item.values()
    if isinstance(operation, dict) and "operationId" in operation
]
schema = schemathesis.openapi.from_dict(_with_error_replies(DOCUMENT))


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeHeyGen]:
    with fake_in_thread(step_seconds=None) as server:
        yield server


def test_the_schema_has_every_operation() -> None:
    ids = {op.ok().definition.raw["operationId"] for op in schema.get_all_operations()}
    assert ids == set(OPERATIONS)
    assert len(ids) == 90


@schema.parametrize()  # type: ignore[untyped-decorator]
@settings(
    max_examples=8,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_fake_answers_every_input_as_the_schema_says(case: Case, fake: FakeHeyGen) -> None:
    response = case.call(base_url=fake.url, headers={"x-api-key": "test-key"}, timeout=10)
    case.validate_response(
        response,
        checks=[
            not_a_server_error,
            status_code_conformance,
            response_schema_conformance,
            content_type_conformance,
        ],
    )


def test_schemathesis_sent_bad_input_and_good(fake: FakeHeyGen) -> None:
    """Runs after the fuzzing above (same module fixture): both kinds of input were tried,
    on (nearly) every operation."""
    statuses = {r.status for r in fake.requests}
    if not statuses:
        pytest.skip("run together with the fuzzing test")
    assert 200 in statuses
    assert 400 in statuses
    assert not [r for r in fake.requests if r.status >= 500]
    spec = Spec()
    answered = {
        operation.template
        for r in fake.requests
        if r.status == 200 and (operation := spec.operation(r.method, r.path)) is not None
    }
    # Gets, updates and deletes of one object need an id the fake gave: random ids are 404s.
    assert len(answered) >= 30, sorted(answered)
