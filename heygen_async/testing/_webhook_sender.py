"""FakeHeyGen's webhook deliveries, made as HeyGen makes them.

Each event goes to every registered, enabled endpoint whose `events` and `entity_id` match,
signed with that endpoint's current secret, and to the job's own `callback_url` unsigned
(HeyGen's schema: per-job deliveries are not HMAC-signed). A delivery is retried with
exponential backoff while the receiver answers non-2xx, refuses the connection or times out.
Faults make deliveries arrive twice, never, or after a later one. Only loopback hosts are
ever contacted: a test never reaches the network.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp
import attrs

from ..models._checks import is_loopback
from ..webhooks import EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

if TYPE_CHECKING:
    from ._fake import FakeHeyGen
    from ._webhooks import FakeEvent

Sleep = Callable[[float], Awaitable[Any]]


@attrs.frozen(kw_only=True)
class DeliveryPolicy:
    """How FakeHeyGen retries a delivery (HeyGen: exponential backoff for up to 24 h).

    After failed attempt n (from 1) it waits `min(max_delay, base * factor ** (n - 1))`
    seconds (on the fake's `sleep`) and tries again, `attempts` times in all. An attempt
    fails on a non-2xx answer, a refused connection, or no answer within `timeout` seconds
    (HeyGen's: 10 s).
    """

    base: float = 0.05
    factor: float = 2.0
    max_delay: float = 1.0
    attempts: int = 6
    timeout: float = 10.0

    def __attrs_post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be >= 1")
        if min(self.base, self.max_delay, self.timeout) <= 0 or self.factor < 1:
            raise ValueError("base, max_delay and timeout must be > 0, factor >= 1")

    def delay(self, attempt: int) -> float:
        """The wait after failed attempt `attempt` (1, 2, ...)."""
        return float(min(self.max_delay, self.base * self.factor ** (attempt - 1)))


@attrs.define(kw_only=True)
class WebhookFaults:
    """What goes wrong with deliveries, each a probability per delivery (event x receiver).

    `duplicate`: delivered twice (the second time after the first got its 2xx). `lose`: never
    sent (the event is still in the history, as at HeyGen). `reorder`: held back until the
    next delivery to the same receiver has been made, or for `hold` seconds at most.
    """

    duplicate: float = 0.0
    lose: float = 0.0
    reorder: float = 0.0
    hold: float = 1.0
    rng: random.Random = attrs.field(factory=random.Random)

    def meets(self, probability: float) -> bool:
        return probability > 0 and self.rng.random() < probability


@attrs.frozen(kw_only=True)
class FakeDelivery:
    """One delivery attempt as FakeHeyGen made it (`fake.deliveries`).

    `endpoint_id` is None for a job's own `callback_url`. `attempt` counts from 1; 0 marks a
    delivery never attempted (`error` "lost" for the `lose` fault, "not loopback" for a URL
    FakeHeyGen will not contact). `status` is the receiver's answer (None without one, then
    `error` says why: "refused: ...", "timeout"). `duplicate` marks the `duplicate` fault's
    second send. `at` is the fake's clock.
    """

    endpoint_id: str | None
    url: str
    event_id: str
    event_type: str
    attempt: int
    status: int | None
    error: str | None
    signed: bool
    at: float
    duplicate: bool = False

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@attrs.frozen
class _Target:
    endpoint_id: str | None
    url: str


class Deliveries:
    """Every delivery in flight (one background task per event and receiver), and the log."""

    def __init__(self, fake: FakeHeyGen, policy: DeliveryPolicy, sleep: Sleep) -> None:
        self.fake = fake
        self.policy = policy
        self.sleep = sleep
        self.faults = WebhookFaults()
        self.log: list[FakeDelivery] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._http: aiohttp.ClientSession | None = None
        self._held: dict[_Target, asyncio.Event] = {}

    def targets(self, event: FakeEvent, callback_url: str | None) -> list[_Target]:
        ids = event.ids()
        found = [
            _Target(endpoint["endpoint_id"], endpoint["url"])
            for endpoint in self.fake.webhook_endpoints.values()
            if endpoint.get("status", "enabled") == "enabled"
            and event.event_type in (endpoint.get("events") or (event.event_type,))
            and (not endpoint.get("entity_id") or endpoint["entity_id"] in ids)
        ]
        if callback_url is not None:
            found.append(_Target(None, callback_url))
        return found

    def schedule(self, event: FakeEvent, callback_url: str | None) -> None:
        """Start delivering `event` in the background (call on the fake's event loop)."""
        for target in self.targets(event, callback_url):
            task = asyncio.get_running_loop().create_task(
                self._deliver(target, event), name=f"FakeHeyGen delivery {event.event_id}"
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Cancel every delivery still in flight, and close the HTTP session."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def idle(self) -> None:
        """Wait until no delivery is in flight (retries included)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- one delivery ----------------------------------------------------------------------

    async def _deliver(self, target: _Target, event: FakeEvent) -> None:
        if not _loopback(target.url):
            self._record(target, event, 0, None, "not loopback", signed=False)
            return
        if self.faults.meets(self.faults.lose):
            self._record(target, event, 0, None, "lost", signed=False)
            return
        held = await self._maybe_hold(target)
        for attempt in range(1, self.policy.attempts + 1):
            record = await self._attempt(target, event, attempt)
            if not held:
                self._release(target)
            if record is None:
                return  # the endpoint is gone
            if record.ok:
                if self.faults.meets(self.faults.duplicate):
                    await self._attempt(target, event, attempt + 1, duplicate=True)
                return
            if attempt < self.policy.attempts:
                await self.sleep(self.policy.delay(attempt))

    async def _maybe_hold(self, target: _Target) -> bool:
        """The `reorder` fault: wait for the next delivery to this receiver to be made (one
        held at a time per receiver, so two deliveries swap places); whether it held."""
        if target in self._held or not self.faults.meets(self.faults.reorder):
            return False
        released = self._held[target] = asyncio.Event()
        try:
            async with asyncio.timeout(self.faults.hold):
                await released.wait()
        except TimeoutError:
            pass
        finally:
            if self._held.get(target) is released:
                del self._held[target]
        return True

    def _release(self, target: _Target) -> None:
        held = self._held.pop(target, None)
        if held is not None:
            held.set()

    async def _attempt(
        self, target: _Target, event: FakeEvent, attempt: int, *, duplicate: bool = False
    ) -> FakeDelivery | None:
        secret = None
        if target.endpoint_id is not None:
            endpoint = self.fake.webhook_endpoints.get(target.endpoint_id)
            if endpoint is None:
                return None
            secret = endpoint["secret"]  # the current one: a rotation signs retries anew
        body = json.dumps({"event_type": event.event_type, "event_data": event.event_data})
        raw = body.encode()
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: str(int(self.fake.clock.unix())),
            EVENT_ID_HEADER: event.event_id,
        }
        if secret is not None:
            headers[SIGNATURE_HEADER] = sign(raw, secret)
        status: int | None = None
        error: str | None = None
        try:
            async with self._session().post(
                target.url,
                data=raw,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.policy.timeout),
                allow_redirects=False,
            ) as reply:
                status = reply.status
        except aiohttp.ClientConnectorError as exc:
            error = f"refused: {exc.os_error}"
        except TimeoutError:
            error = "timeout"
        except aiohttp.ClientError as exc:
            error = f"{type(exc).__name__}: {exc}"
        return self._record(
            target, event, attempt, status, error, signed=secret is not None, duplicate=duplicate
        )

    def _record(
        self,
        target: _Target,
        event: FakeEvent,
        attempt: int,
        status: int | None,
        error: str | None,
        *,
        signed: bool,
        duplicate: bool = False,
    ) -> FakeDelivery:
        record = FakeDelivery(
            endpoint_id=target.endpoint_id,
            url=target.url,
            event_id=event.event_id,
            event_type=event.event_type,
            attempt=attempt,
            status=status,
            error=error,
            signed=signed,
            at=self.fake.clock.now(),
            duplicate=duplicate,
        )
        self.log.append(record)
        return record

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None:
            # No keep-alive: a receiver that restarts on the same port gets a fresh connection.
            self._http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True))
        return self._http


def _loopback(url: str) -> bool:
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    return host is not None and is_loopback(host)
