"""Fault injection: replies FakeHeyGen gives instead of the real one (429, 5xx, drops, ...),
damage done to the real reply after the handler acted (cut or lost), and outage windows."""

from __future__ import annotations

import asyncio
import random
import re
from typing import NoReturn

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

# Where the middleware leaves a fault's `create_latency` for the create handler to sleep,
# inside the Idempotency-Key's slot (so a retry meanwhile gets 409 request_in_progress).
CREATE_LATENCY_KEY = web.RequestKey("heygen_fault_create_latency", float)


@attrs.define
class Fault:
    """A fault for matching requests, `times` times (None: always), each with `probability`.

    Either it replaces the reply (the handler never runs: `status`, `code`, `retry_after`,
    `body`, `malformed`, or `drop`), or it lets the handler act and then damages its reply
    (`cut_reply`, `lose_reply`) or slows the act (`create_latency`, `latency` with status 0).
    """

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
    cut_reply: bool = False
    lose_reply: bool = False
    create_latency: float = 0.0

    def __attrs_post_init__(self) -> None:
        if self.drop + self.cut_reply + self.lose_reply > 1:
            raise ValueError("a fault is at most one of drop, cut_reply and lose_reply")
        if self.create_latency < 0 or self.latency < 0:
            raise ValueError("latencies must be >= 0")

    @property
    def lets_handler_act(self) -> bool:
        """Whether the real handler runs (the fault only slows or damages its reply)."""
        return self.cut_reply or self.lose_reply or self.create_latency > 0 or self.status == 0

    @property
    def kind(self) -> str:
        """How `RecordedRequest.fault` names this fault."""
        for name in ("drop", "cut_reply", "lose_reply", "malformed"):
            if getattr(self, name):
                return name
        if self.create_latency:
            return "create_latency"
        return "latency" if self.status == 0 else f"status_{self.status}"

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method:
            return False
        return self.path.search(path) is not None


@attrs.frozen
class Outage:
    """A window of the fake's clock, [start, end), in which every request is dropped."""

    start: float
    end: float

    def covers(self, now: float) -> bool:
        return self.start <= now < self.end


class Faults:
    """The faults a test asked for, taken in order, each used up after `times` matches; and
    the outage windows."""

    def __init__(self) -> None:
        self.pending: list[Fault] = []
        self.outages: list[Outage] = []

    def add(self, fault: Fault) -> Fault:
        self.pending.append(fault)
        return fault

    def add_outage(self, outage: Outage) -> Outage:
        self.outages.append(outage)
        return outage

    def clear(self) -> None:
        self.pending.clear()
        self.outages.clear()

    def in_outage(self, now: float) -> bool:
        if not self.outages:
            return False
        self.outages = [o for o in self.outages if now < o.end]  # past windows are done
        return any(o.covers(now) for o in self.outages)

    def take(self, method: str, path: str) -> Fault | None:
        for fault in self.pending:
            if fault.matches(method, path) and (fault.times is None or fault.times > 0):
                if fault.probability < 1.0 and random.random() >= fault.probability:
                    continue
                if fault.times is not None:
                    fault.times -= 1
                return fault
        return None


def drop_connection(request: web.Request) -> NoReturn:
    """Close the connection without (the rest of) a reply."""
    transport = request.transport
    if transport is not None:
        transport.close()  # close(), not abort(): bytes already written still go out first
    raise asyncio.CancelledError  # aiohttp then drops the connection without a reply


async def apply_fault(fault: Fault, request: web.Request) -> web.StreamResponse | None:
    """The fault's reply, after its latency; None when the real handler is to answer."""
    if fault.latency:
        await asyncio.sleep(fault.latency)
    if fault.drop:
        drop_connection(request)
    if fault.lets_handler_act:
        if fault.create_latency:
            request[CREATE_LATENCY_KEY] = fault.create_latency
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


async def damage_reply(
    fault: Fault, request: web.Request, response: web.StreamResponse
) -> NoReturn:
    """Send the handler's reply damaged, then drop the connection.

    `cut_reply`: the status line and headers, announcing the full Content-Length, then the
    first half of the body. `lose_reply`: nothing at all.
    """
    if fault.cut_reply and isinstance(response, web.Response):
        body = response.body if isinstance(response.body, bytes) else b""
        cut = web.StreamResponse(status=response.status, headers=response.headers)
        cut.content_length = len(body)
        await cut.prepare(request)
        await cut.write(body[: len(body) // 2])
    drop_connection(request)
