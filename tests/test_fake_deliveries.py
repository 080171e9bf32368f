"""FakeHeyGen delivers webhooks as HeyGen does (signed to registered endpoints, retried with
backoff, duplicated, lost or reordered on request, per-job callbacks unsigned), and the SDK
waits on those events instead of polling: the whole loop, and a receiver restart."""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import attrs
import pytest
from aiohttp import web

import heygen_async as hg
from heygen_async import webhooks
from heygen_async.testing import DeliveryPolicy, FakeHeyGen
from heygen_async.webhooks import WebhookEvent, WebhookReceiver

FAST = DeliveryPolicy(base=0.01, factor=2.0, max_delay=0.05, attempts=6, timeout=2.0)


@attrs.define
class Inbox:
    """A loopback web server that keeps every POST and answers `answer(n)` to the n-th (0-based)."""

    url: str = ""
    received: list[tuple[str, dict[str, str], bytes]] = attrs.field(factory=list)
    answer: Callable[[int], int] = lambda n: 200
    arrived: asyncio.Event = attrs.field(factory=asyncio.Event)

    def bodies(self, path: str | None = None) -> list[bytes]:
        return [b for p, _, b in self.received if path is None or p == path]


@asynccontextmanager
async def inbox(answer: Callable[[int], int] = lambda n: 200) -> AsyncIterator[Inbox]:
    box = Inbox(answer=answer)

    async def take(request: web.Request) -> web.Response:
        n = len(box.received)
        box.received.append((request.path, dict(request.headers), await request.read()))
        box.arrived.set()
        return web.Response(status=box.answer(n))

    app = web.Application()
    app.router.add_post("/{tail:.*}", take)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    box.url = f"http://{host}:{port}"
    try:
        yield box
    finally:
        await runner.cleanup()


@asynccontextmanager
async def registered(
    client: hg.AsyncHeyGen, receiver: WebhookReceiver, **filters: Any
) -> AsyncIterator[hg.WebhookEndpoint]:
    """Serve `receiver` and register it as an endpoint; HeyGen shows the secret only in the
    create's reply, so the receiver switches to it then. Yields the endpoint."""
    async with receiver.serve() as server:
        endpoint = await client.webhooks.endpoints.create(url=server.url, **filters)
        assert endpoint.secret is not None
        receiver.rotate(endpoint.secret, grace=0)
        yield endpoint


def finish(fake: FakeHeyGen, session_id: str) -> None:
    fake.advance(session_id, to="generating")
    fake.advance(session_id, to="completed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def until(predicate: Callable[[], bool]) -> None:
    while not predicate():  # noqa: ASYNC110 - waiting on the fake's log
        await asyncio.sleep(0.01)


async def test_a_delivery_is_signed_with_the_endpoint_secret_and_verified_by_the_receiver() -> None:
    handed: list[WebhookEvent] = []
    receiver = WebhookReceiver("whsec_unset", on_event=handed.append)
    async with (
        asyncio.timeout(10),
        FakeHeyGen(step_seconds=None, delivery=FAST) as fake,
        fake.client() as client,
        registered(client, receiver) as endpoint,
    ):
        session = await client.video_agents.create(prompt="p", callback_id="job-1")
        async with receiver.watch(session.session_id) as watch:
            finish(fake, session.session_id)
            event = await watch.next(timeout=5)
        await fake.deliveries_idle()
    assert event is not None and event.event_type is webhooks.WebhookEventType.VIDEO_AGENT_SUCCESS
    assert (event.session_id, event.callback_id) == (session.session_id, "job-1")
    assert event.event_id == fake.events[-1].event_id
    assert event.timestamp is not None
    assert abs(event.timestamp - fake.clock.unix()) < 5  # Unix time, not monotonic
    [delivery] = fake.deliveries
    assert (delivery.endpoint_id, delivery.attempt, delivery.status, delivery.signed) == (
        endpoint.endpoint_id,
        1,
        200,
        True,
    )
    assert handed == [event]


async def test_a_refused_delivery_is_retried_with_backoff_under_the_same_event_id() -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        await asyncio.sleep(0)

    handed: list[WebhookEvent] = []
    receiver = WebhookReceiver("whsec_unset", on_event=handed.append)
    calls = 0

    async def flaky(request: web.Request) -> web.Response:
        # The receiver takes the event, but the answer is a 500 twice (as a proxy in front of
        # it might): HeyGen sends it again, and the receiver must act on it once.
        nonlocal calls
        calls += 1
        status = await receiver.handle(await request.read(), request.headers)
        return web.Response(status=500 if calls <= 2 else status)

    app = web.Application()
    app.router.add_post("/hook", flaky)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    try:
        async with (
            asyncio.timeout(10),
            FakeHeyGen(step_seconds=None, delivery=FAST, sleep=sleep) as fake,
            fake.client() as client,
        ):
            endpoint = await client.webhooks.endpoints.create(url=f"http://{host}:{port}/hook")
            assert endpoint.secret is not None
            receiver.rotate(endpoint.secret, grace=0)
            session = await client.video_agents.create(prompt="p")
            finish(fake, session.session_id)
            await fake.deliveries_idle()
            await receiver.join()
    finally:
        await runner.cleanup()
    assert [(d.attempt, d.status) for d in fake.deliveries] == [(1, 500), (2, 500), (3, 200)]
    assert len({d.event_id for d in fake.deliveries}) == 1
    assert waits == [0.01, 0.02]  # base, then doubled
    assert [e.session_id for e in handed] == [session.session_id]


async def test_a_receiver_that_is_down_gets_the_delivery_on_a_retry_once_it_is_up() -> None:
    port = free_port()
    receiver = WebhookReceiver("whsec_unset")
    policy = DeliveryPolicy(base=0.05, factor=2.0, max_delay=0.2, attempts=30)
    async with (
        asyncio.timeout(15),
        FakeHeyGen(step_seconds=None, delivery=policy) as fake,
        fake.client() as client,
    ):
        endpoint = await client.webhooks.endpoints.create(url=f"http://127.0.0.1:{port}/")
        assert endpoint.secret is not None
        receiver.rotate(endpoint.secret, grace=0)
        session = await client.video_agents.create(prompt="p")
        finish(fake, session.session_id)
        await until(lambda: len(fake.deliveries) >= 2)  # refused, twice
        async with receiver.serve(port=port), receiver.watch(session.session_id) as watch:
            event = await watch.next(timeout=10)
            await fake.deliveries_idle()
    assert event is not None and event.session_id == session.session_id
    first, *_, last = fake.deliveries
    assert first.status is None and first.error is not None and first.error.startswith("refused")
    assert (last.status, last.attempt > 2) == (200, True)
    assert {d.event_id for d in fake.deliveries} == {event.event_id}


async def test_endpoints_get_the_event_types_and_entity_they_asked_for() -> None:
    async with (
        asyncio.timeout(10),
        inbox() as box,
        FakeHeyGen(step_seconds=None, delivery=FAST) as fake,
        fake.client() as client,
    ):
        done = await client.video_agents.create(prompt="done")
        failed = await client.video_agents.create(prompt="failed")
        endpoints = {
            "/all": await client.webhooks.endpoints.create(url=f"{box.url}/all"),
            "/success": await client.webhooks.endpoints.create(
                url=f"{box.url}/success", events=["video_agent.success"]
            ),
            "/fail": await client.webhooks.endpoints.create(
                url=f"{box.url}/fail", events=["video_agent.fail"]
            ),
            "/failed-one": await client.webhooks.endpoints.create(
                url=f"{box.url}/failed-one", entity_id=failed.session_id
            ),
            "/avatars": await client.webhooks.endpoints.create(
                url=f"{box.url}/avatars", events=["avatar_video.success"]
            ),
        }
        finish(fake, done.session_id)
        fake.fail_session(failed.session_id)
        await fake.deliveries_idle()
    got: dict[str, list[tuple[str, str | None]]] = {}
    for path, headers, body in box.received:
        secret = endpoints[path].secret
        assert secret is not None
        # Each endpoint's deliveries are signed with its own secret.
        event = webhooks.verify(body, headers, secret)
        got.setdefault(path, []).append((str(event.event_type), event.session_id))
    ok = ("video_agent.success", done.session_id)
    ko = ("video_agent.fail", failed.session_id)
    assert {path: sorted(events) for path, events in got.items()} == {
        "/all": sorted([ok, ko]),
        "/success": [ok],
        "/fail": [ko],
        "/failed-one": [ko],
    }


async def test_after_rotate_secret_deliveries_are_signed_with_the_new_secret() -> None:
    async with (
        asyncio.timeout(10),
        inbox() as box,
        FakeHeyGen(step_seconds=None, delivery=FAST) as fake,
        fake.client() as client,
    ):
        endpoint = await client.webhooks.endpoints.create(url=box.url + "/")
        first = await client.video_agents.create(prompt="before")
        finish(fake, first.session_id)
        await fake.deliveries_idle()
        rotated = await client.webhooks.endpoints.rotate_secret(endpoint.endpoint_id)
        second = await client.video_agents.create(prompt="after")
        finish(fake, second.session_id)
        await fake.deliveries_idle()
    old, new = endpoint.secret, rotated.secret
    assert old is not None and new is not None and old != new
    (_, before_headers, before), (_, after_headers, after) = box.received
    assert webhooks.verify(before, before_headers, old).session_id == first.session_id
    assert webhooks.verify(after, after_headers, new).session_id == second.session_id
    with pytest.raises(hg.WebhookVerificationError):
        webhooks.verify(after, after_headers, old)


async def test_duplicated_deliveries_are_acted_on_once() -> None:
    handed: list[WebhookEvent] = []
    receiver = WebhookReceiver("whsec_unset", on_event=handed.append)
    async with (
        asyncio.timeout(10),
        FakeHeyGen(step_seconds=None, delivery=FAST) as fake,
        fake.client() as client,
        registered(client, receiver),
    ):
        fake.webhook_faults(duplicate=1.0)
        sessions = [await client.video_agents.create(prompt=f"p{i}") for i in range(3)]
        for session in sessions:
            finish(fake, session.session_id)
        await fake.deliveries_idle()
        await receiver.join()
        waited = await client.video_agents.wait(sessions[0].session_id, events=receiver)
    assert waited.status == "completed"
    assert sum(d.duplicate for d in fake.deliveries) == 3
    assert all(d.status == 200 for d in fake.deliveries)  # a duplicate is acknowledged
    assert sorted(e.session_id or "" for e in handed) == sorted(s.session_id for s in sessions)


async def test_out_of_order_deliveries_are_each_acted_on_once() -> None:
    handed: list[WebhookEvent] = []
    receiver = WebhookReceiver("whsec_unset", on_event=handed.append)
    async with (
        asyncio.timeout(10),
        FakeHeyGen(step_seconds=None, delivery=FAST) as fake,
        fake.client() as client,
        registered(client, receiver),
    ):
        fake.webhook_faults(reorder=1.0, hold=5.0)
        a, b, c, d = [await client.video_agents.create(prompt=f"p{i}") for i in range(4)]
        waits = [
            asyncio.create_task(client.video_agents.wait(s.session_id, events=receiver))
            for s in (a, b, c, d)
        ]
        for pair in ((a, b), (c, d)):
            sent = len(fake.deliveries)
            for session in pair:
                finish(fake, session.session_id)
            await until(lambda sent=sent: len(fake.deliveries) == sent + 2)
        done = await asyncio.gather(*waits)
        await fake.deliveries_idle()
        await receiver.join()
    assert [s.status for s in done] == ["completed"] * 4
    # Each delivery held back until the next one went: they arrive pairwise swapped.
    assert [e.session_id for e in handed] == [s.session_id for s in (b, a, d, c)]
    assert [e.event_id for e in fake.events] == [fake.deliveries[i].event_id for i in (1, 0, 3, 2)]


async def test_an_unsigned_per_job_callback_is_refused_by_the_receiver() -> None:
    handed: list[WebhookEvent] = []
    receiver = WebhookReceiver("whsec_real_secret", on_event=handed.append)
    policy = DeliveryPolicy(base=0.01, attempts=2)
    async with (
        asyncio.timeout(10),
        receiver.serve() as server,
        FakeHeyGen(step_seconds=None, delivery=policy) as fake,
        fake.client() as client,
    ):
        session = await client.video_agents.create(
            prompt="p", callback_url=server.url, callback_id="job-7"
        )
        finish(fake, session.session_id)
        await fake.deliveries_idle()
    assert [(d.endpoint_id, d.signed, d.status) for d in fake.deliveries] == [
        (None, False, 401),
        (None, False, 401),
    ]
    assert handed == []


async def test_the_whole_loop_a_batch_waits_on_events_not_polls() -> None:
    count = 12
    rng = random.Random(7)
    # Each job runs 0.3-0.6 s (a 20-45 min Video Agent job, scaled); its events come as HeyGen
    # sends them. The fallback is far longer than any job: a poll would show in the counts.
    receiver = WebhookReceiver("whsec_unset", fallback=30.0)
    async with (
        asyncio.timeout(30),
        FakeHeyGen(job_duration=lambda: rng.uniform(0.3, 0.6), delivery=FAST) as fake,
        fake.client() as client,
        registered(client, receiver, events=["video_agent.success", "video_agent.fail"]),
    ):
        prompts = [f"teaser {i}" for i in range(count)]
        results = await client.video_agents.create_many(
            prompts, wait=True, max_active=6, events=receiver
        )
    assert [r.ok for r in results] == [True] * count
    assert all(s.status == "completed" for s in fake.sessions.values())
    creates = [r for r in fake.requests if r.method == "POST" and r.path == "/v3/video-agents"]
    assert len(creates) == count
    gets = [r for r in fake.requests if r.method == "GET"]
    for session in fake.sessions.values():
        own = [r for r in gets if r.path.endswith((session.session_id, str(session.video_id)))]
        # Its session once, its video once when its event came (and once more as the batch
        # reads the finished video for its result): never a poll.
        assert len(own) <= 3, [r.path for r in own]
    history = [r for r in gets if r.path == "/v3/webhooks/events"]
    assert len(history) == 1  # the first wait's sweep; no event was missed
    assert len(gets) == len(history) + sum(
        len([r for r in gets if r.path.endswith((s.session_id, str(s.video_id)))])
        for s in fake.sessions.values()
    )
    assert {d.status for d in fake.deliveries} == {200}


async def test_a_restarted_receiver_recovers_lost_events_from_the_history() -> None:
    first = WebhookReceiver("whsec_unset")
    async with (
        asyncio.timeout(20),
        FakeHeyGen(step_seconds=None, delivery=FAST) as fake,
        fake.client() as client,
    ):
        async with registered(client, first) as endpoint:
            early = [await client.video_agents.create(prompt=f"early {i}") for i in range(3)]
            late = await client.video_agents.create(prompt="late")
        # The receiver is down; the jobs end meanwhile and their deliveries fail.
        for session in early:
            finish(fake, session.session_id)
        await fake.deliveries_idle()
        assert fake.deliveries and not any(d.ok for d in fake.deliveries)
        # A new process: a fresh receiver, and the deliveries that come now are lost as well.
        fake.webhook_faults(lose=1.0)
        assert endpoint.secret is not None  # what the application stored at registration
        restarted = WebhookReceiver(endpoint.secret, fallback=0.3)
        async with restarted.serve():
            waits = [
                asyncio.create_task(client.video_agents.wait(s.session_id, events=restarted))
                for s in (*early, late)
            ]
            # The waits' first sweep of the history is answered: it holds the early jobs only.
            await until(lambda: any(r.path == "/v3/webhooks/events" for r in fake.requests))
            await until(lambda: all(r.status for r in fake.requests))
            finish(fake, late.session_id)  # lost: only the history has it
            done = await asyncio.gather(*waits)
    assert [s.status for s in done] == ["completed"] * 4
    assert [d.error for d in fake.deliveries if d.event_id == fake.events[-1].event_id] == ["lost"]
    gets = [r for r in fake.requests if r.method == "GET"]
    history = [r for r in gets if r.path == "/v3/webhooks/events"]
    # One sweep when the waits began (the early jobs), one after a fallback (the late one).
    assert len(history) == 2
    assert len(gets) - len(history) == 2 * 4  # each job: its session once, its video once
