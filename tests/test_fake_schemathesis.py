"""schemathesis against a live FakeHeyGen: over every operation the fake serves, no input
HeyGen's schema allows (or refuses) gets a 5xx or a reply the schema does not describe."""

from __future__ import annotations

import importlib.resources
import json
from collections.abc import Iterator

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis import Case  # noqa: E402
from schemathesis.checks import (  # noqa: E402
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

from heygen_async.testing import FakeHeyGen  # noqa: E402

from .fake_thread import fake_in_thread  # noqa: E402

DOCUMENT = json.loads(
    importlib.resources.files("heygen_async.testing")
    .joinpath("heygen-openapi.v3.json")
    .read_text("utf-8")
)
# The operations FakeHeyGen serves; the document has 90.
SERVED = [
    "videoAgentSessionsCreate",
    "videoAgentSessionsGet",
    "videoAgentSessionsMessagesCreate",
    "videoAgentSessionsStop",
    "videoAgentSessionsResourcesGet",
    "videoAgentStylesList",
    "videoAgentCreate",
    "videoAgentList",
    "videoAgentGet",
    "videoAgentSend",
    "videoAgentStop",
    "videoAgentVideosList",
    "videoAgentResourcesGet",
    "videoGet",
    "assetCreate",
    "assetDirectUploadsCreate",
    "assetCompleteCreate",
    "userMeGet",
]
schema = schemathesis.openapi.from_dict(DOCUMENT).include(operation_id=SERVED)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeHeyGen]:
    with fake_in_thread(step_seconds=None) as server:
        yield server


def test_the_filter_keeps_every_served_operation() -> None:
    ids = {op.ok().definition.raw["operationId"] for op in schema.get_all_operations()}
    assert ids == set(SERVED)


@schema.parametrize()  # type: ignore[untyped-decorator]
@settings(
    max_examples=50,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_fake_answers_every_input_as_the_schema_says(case: Case, fake: FakeHeyGen) -> None:
    response = case.call(base_url=fake.url, headers={"x-api-key": "test-key"}, timeout=10)
    case.validate_response(
        response,
        checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
    )


def test_schemathesis_sent_bad_input_and_good(fake: FakeHeyGen) -> None:
    """Runs after the fuzzing above (same module fixture): both kinds of input were tried."""
    statuses = {r.status for r in fake.requests}
    if not statuses:
        pytest.skip("run together with the fuzzing test")
    assert 200 in statuses
    assert 400 in statuses
