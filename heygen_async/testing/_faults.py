"""Fault injection: replies FakeHeyGen gives instead of the real one (429, 5xx, drops, ...)."""

from __future__ import annotations

import asyncio
import random
import re

import attrs
from aiohttp import web

from ._http import error_body

_CODES = {
    429: "rate_limit_exceeded",
    500: "internal_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}


@attrs.define
class Fault:
    """A reply FakeHeyGen gives instead of the real one, `times` times (None: always)."""

    method: str | None
    path: re.Pattern[str]
    status: int = 503
    retry_after: float | str | None = None
    code: str | None = None
    latency: float = 0.0
    drop: bool = False
    malformed: bool = False
    body: str | None = None
    times: int | None = 1
    probability: float = 1.0

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method:
            return False
        return self.path.search(path) is not None


class Faults:
    """The faults a test asked for, taken in order, each used up after `times` matches."""

    def __init__(self) -> None:
        self.pending: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        self.pending.append(fault)
        return fault

    def clear(self) -> None:
        self.pending.clear()

    def take(self, method: str, path: str) -> Fault | None:
        for fault in self.pending:
            if fault.matches(method, path) and (fault.times is None or fault.times > 0):
                if fault.probability < 1.0 and random.random() >= fault.probability:
                    continue
                if fault.times is not None:
                    fault.times -= 1
                return fault
        return None


async def apply_fault(fault: Fault, request: web.Request) -> web.StreamResponse | None:
    """The fault's reply, after its latency; None when it only delays the real reply."""
    if fault.latency:
        await asyncio.sleep(fault.latency)
    if fault.drop:
        transport = request.transport
        if transport is not None:
            transport.close()
        raise asyncio.CancelledError  # aiohttp drops the connection without a reply
    if fault.status == 0:
        return None
    headers = {}
    if fault.retry_after is not None:
        headers["Retry-After"] = str(fault.retry_after)
    if fault.malformed:
        return web.Response(
            status=fault.status,
            text='{"error": {"code": "internal_err',
            content_type="application/json",
            headers=headers,
        )
    if fault.body is not None:
        return web.Response(
            status=fault.status, text=fault.body, content_type="text/html", headers=headers
        )
    code = fault.code or _CODES.get(fault.status, "error")
    return web.json_response(
        error_body(code, f"Injected fault ({fault.status})."), status=fault.status, headers=headers
    )
