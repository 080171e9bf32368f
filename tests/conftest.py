"""Shared fixtures: a virtual clock, the OpenAPI checker, and the aioresponses shim."""

from __future__ import annotations

import asyncio
from typing import Any

import aioresponses.core
import pytest
from aiohttp import ClientResponse

import heygen_async as hg

from .openapi import OpenAPI


# --- aioresponses on aiohttp 3.14 ----------------------------------------------------------
# aioresponses 0.7.9 builds ClientResponse without the `stream_writer` argument that aiohttp
# 3.14 made required (pnuckowski/aioresponses#289; the fix is pending in #288). Until a fixed
# release exists, hand it a stand-in writer. Remove this shim once aioresponses > 0.7.9 ships.
class _NoStreamWriter:
    output_size = 0


class _CompatClientResponse(ClientResponse):
    def __init__(self, method: str, url: Any, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", _NoStreamWriter())
        super().__init__(method, url, **kwargs)


aioresponses.core.ClientResponse = _CompatClientResponse  # type: ignore[misc]


class VirtualTime:
    """An injectable clock and sleep: sleeping advances the clock at once, and is recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


def mock_client(handler: Any, vtime: VirtualTime, **options: Any) -> hg.AsyncHeyGen:
    """A client whose every request goes to `handler` (a MockTransport), on virtual time."""
    from heygen_async.testing import MockTransport

    return hg.AsyncHeyGen(
        "sk-secret",
        base_url="https://api.test",
        transport=MockTransport(handler),
        sleep=vtime.sleep,
        clock=vtime.clock,
        **options,
    )


@pytest.fixture
def vtime() -> VirtualTime:
    return VirtualTime()


@pytest.fixture
def make_client(vtime: VirtualTime) -> Any:
    """Build clients on the virtual clock against https://api.test; closed after the test."""
    made: list[hg.AsyncHeyGen] = []

    def make(**options: Any) -> hg.AsyncHeyGen:
        options.setdefault("api_key", "sk-test-secret")
        options.setdefault("base_url", "https://api.test")
        options.setdefault("sleep", vtime.sleep)
        options.setdefault("clock", vtime.clock)
        client = hg.AsyncHeyGen(**options)
        made.append(client)
        return client

    # No explicit close: each test's loop finalises the pool when pytest-asyncio closes it.
    return make


@pytest.fixture(scope="session")
def openapi() -> OpenAPI:
    return OpenAPI.load()
