"""Every row of operations.md through the SDK against Stoplight Prism, a mock built from
HeyGen's schemas alone (independent of FakeHeyGen and of the SDK's own validator).

Prism (`npm install --prefix .prism @stoplight/prism-cli`) runs in dynamic mode (`-d`): each
reply is random and schema-valid. It also validates each request against the schema and
answers 422 to one that does not fit, which the SDK raises as an error: every such failure
here is a disagreement between the SDK and the schema. Skipped when Prism is not installed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
import subprocess
import time
import typing
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, Phase, given, note, settings

import heygen_async as hg
from heygen_async._transport import AiohttpTransport, Body, RawResponse, StreamedResponse
from heygen_async.testing._mock import Headers
from tests.openapi import SPEC
from tests.operations_table import OPERATIONS
from tests.test_spec_walk import SPEC_OPERATIONS, SpecOperation, arguments, at

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT = 60.0
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

# Rows that fail against Prism, and why. Request-side ones are certain (strict); the others
# depend on Prism's random reply, so they may pass on a lucky draw.
_NO_DATA = (
    'the reply schema is {"type": "object"}, so Prism may leave out `data`, which the SDK requires'
)
_TIMESTAMP = "created_at is a plain string in the schema; the SDK requires ISO 8601"
_VIDEO_URL = "video_url is a plain string in the schema; the SDK requires an http(s) URL"
_UPLOAD = (
    "upload_url is a plain string and upload_headers an open object in the schema; the SDK "
    "requires an http(s) URL and string values"
)
REPLY_DEFECTS = {
    "client.ai_clipping.create": _NO_DATA,
    "client.assets.complete.batches.create": _NO_DATA,
    "client.lipsyncs.batches.create": _NO_DATA,
    "client.video_translations.batches.create": _NO_DATA,
    "client.videos.batches.create": _NO_DATA,
    "client.assets.direct_uploads.create": _UPLOAD,
    "client.assets.direct_uploads.batches.create": _UPLOAD,
    "client.brand.glossaries.list": _TIMESTAMP,
    "client.webhooks.endpoints.create": _TIMESTAMP,
    "client.webhooks.endpoints.list": _TIMESTAMP,
    "client.webhooks.endpoints.update": _TIMESTAMP,
    "client.webhooks.events.list": _TIMESTAMP,
    "client.videos.get": _VIDEO_URL,
    "client.videos.list": _VIDEO_URL,
    "client.templates.generate": _VIDEO_URL,
    "client.video_agents.videos.list": _VIDEO_URL,
}
REQUEST_DEFECTS = {
    "client.avatars.create": (
        "422: the schema's digital_twin and photo variants have the same shape and leave "
        "`type` a bare string, so a body matches both and fails oneOf"
    ),
}


def prism_command() -> str | None:
    local = ROOT / ".prism" / "node_modules" / ".bin" / "prism"
    if local.exists():
        return str(local)
    return shutil.which("prism")


PRISM = prism_command()
pytestmark = pytest.mark.skipif(
    PRISM is None,
    reason="Stoplight Prism is not installed (npm install --prefix .prism @stoplight/prism-cli)",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def prism_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Prism mock of heygen-openapi.v3.json on a free port, stopped on teardown."""
    assert PRISM is not None
    port = free_port()
    log = tmp_path_factory.mktemp("prism") / "prism.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [PRISM, "mock", str(SPEC), "-d", "--host", "127.0.0.1", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "NO_COLOR": "1"},
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while b"Prism is listening" not in log.read_bytes():
            if process.poll() is not None:
                pytest.fail(f"Prism exited with {process.returncode}:\n{log.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"Prism did not start in {STARTUP_TIMEOUT} s:\n{log.read_text()}")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


class FirstPageOnly:
    """The real transport, except that a list's later pages are an empty last page.

    Prism's random `has_more`/`next_token` would have a list page for ever; the first page
    is Prism's, and the pagination itself is the spec walk's business.
    """

    def __init__(self, paged: bool) -> None:
        self.inner = AiohttpTransport()
        self.paged = paged
        self.requests: list[tuple[str, str]] = []

    async def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: Body | None,
        **options: Any,
    ) -> RawResponse:
        self.requests.append((method, url))
        if self.paged and "token=" in urlsplit(url).query:
            page: dict[str, Any] = {"data": [], "has_more": False, "next_token": None}
            if urlsplit(url).path.endswith("/resources"):
                page = {"data": {"resources": [], "next_cursor": None}}
            content = {"Content-Type": "application/json"}
            return RawResponse(200, Headers(content), json.dumps(page).encode())
        return await self.inner.send(method, url, headers, body, **options)

    def stream(
        self, method: str, url: str, headers: Mapping[str, str], **options: Any
    ) -> contextlib.AbstractAsyncContextManager[StreamedResponse]:
        return self.inner.stream(method, url, headers, **options)

    async def aclose(self) -> None:
        await self.inner.aclose()


OPERATION_OF = {op.key: op for op in SPEC_OPERATIONS}


def row_cases() -> list[Any]:
    cases = []
    for method, path, call in OPERATIONS:
        marks = []
        if call in REQUEST_DEFECTS:
            marks.append(pytest.mark.xfail(strict=True, reason=REQUEST_DEFECTS[call]))
        elif call in REPLY_DEFECTS:
            marks.append(pytest.mark.xfail(strict=False, reason=REPLY_DEFECTS[call]))
        cases.append(pytest.param(OPERATION_OF[(method, path)], id=f"{method} {path}", marks=marks))
    return cases


async def call_through_prism(base_url: str, op: SpecOperation, drawn: dict[str, Any]) -> Any:
    transport = FirstPageOnly(paged=op.page is not None)
    async with hg.AsyncHeyGen(api_key="k", base_url=base_url, transport=transport) as client:
        target = at(client, op.call)
        if op.body("multipart/form-data") is not None:
            return await target(PNG, filename="a.png")
        args = list(drawn["path"].values())
        kwargs = {**drawn["query"], **(drawn["body"] or {})}
        if op.page is not None:
            return [item async for item in target(*args, **kwargs)]
        return await target(*args, **kwargs)


@pytest.mark.parametrize("op", row_cases())
def test_every_row_of_operations_md_works_against_prism(prism_url: str, op: SpecOperation) -> None:
    target = at(hg.AsyncHeyGen(api_key="k", base_url=prism_url), op.call)
    returns = typing.get_type_hints(target)["return"]

    @settings(
        max_examples=2,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(drawn=arguments(op, target))
    def against_prism(drawn: dict[str, Any]) -> None:
        note(f"{op.call}: {json.dumps({k: drawn[k] for k in ('path', 'query', 'body')})}")
        result = asyncio.run(call_through_prism(prism_url, op, drawn))
        if op.page is not None:
            (item_cls,) = typing.get_args(returns)
            assert all(isinstance(item, item_cls) for item in result)
        elif returns is type(None):
            assert result is None
        elif returns == dict[str, Any]:
            assert isinstance(result, dict)
        else:
            assert isinstance(result, returns), f"{op.call} returned {result!r}"

    against_prism()
