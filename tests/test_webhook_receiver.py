"""WebhookReceiver: refusals, duplicates, rotation, hand-off to on_event, watches, feed, serve."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import time
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from heygen_async import webhooks
from heygen_async.testing import FakeHeyGen
from heygen_async.webhooks import WebhookEvent, WebhookReceiver

SECRET = "whsec_receiver_test"
NEW_SECRET = "whsec_receiver_next"
NOW = 1_750_000_000.0


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def delivery(
    event_id: str | None = "evt_1",
    *,
    event_type: str = "video_agent.success",
    data: dict[str, Any] | None = None,
    secret: str = SECRET,
    at: float = NOW,
) -> tuple[bytes, dict[str, str]]:
    if data is None:
        data = {"session_id": "sess_1", "video_id": "vid_1", "callback_id": "job-7"}
    body = json.dumps({"event_type": event_type, "event_data": data}).encode()
    headers = {"Heygen-Signature": webhooks.sign(body, secret), "Heygen-Timestamp": str(int(at))}
    if event_id is not None:
        headers["Heygen-Event-Id"] = event_id
    return body, headers


def receiver(**options: Any) -> tuple[WebhookReceiver, list[WebhookEvent]]:
    """A receiver on a fixed clock whose sync on_event records what it is handed."""
    handed: list[WebhookEvent] = []
    options.setdefault("clock", Clock())
    return WebhookReceiver(SECRET, on_event=handed.append, **options), handed


async def ids_seen(r: WebhookReceiver, entity_id: str) -> list[str | None]:
    """The event ids a new watch on `entity_id` starts with (the retained one, if any)."""
    async with r.watch(entity_id) as watch:
        found = []
        while (event := await watch.next(timeout=0)) is not None:
            found.append(event.event_id)
        return found


def _without(headers: dict[str, str], name: str) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k != name}


REFUSED = {
    "forged signature": lambda b, h: (b, {**h, "Heygen-Signature": "0" * 64}),
    "body changed": lambda b, h: (b + b" ", h),
    "signed with another secret": lambda b, h: (
        b,
        {**h, "Heygen-Signature": webhooks.sign(b, "whsec_other")},
    ),
    "no signature": lambda b, h: (b, _without(h, "Heygen-Signature")),
    "no timestamp": lambda b, h: (b, _without(h, "Heygen-Timestamp")),
    "no headers at all": lambda b, h: (b, {}),
    "unreadable timestamp": lambda b, h: (b, {**h, "Heygen-Timestamp": "soon"}),
    "stale": lambda b, h: (b, {**h, "Heygen-Timestamp": str(int(NOW - 301))}),
    "from the future": lambda b, h: (b, {**h, "Heygen-Timestamp": str(int(NOW + 301))}),
}


@pytest.mark.parametrize("mutate", REFUSED.values(), ids=REFUSED.keys())
async def test_unverifiable_deliveries_get_401_and_change_nothing(mutate: Any) -> None:
    r, handed = receiver()
    async with asyncio.timeout(5), r.watch("vid_1") as watch:
        assert await r.handle(*mutate(*delivery())) == 401
        await r.join()
        assert handed == []
        assert await watch.next(timeout=0) is None
        # The refused event id was not recorded: the genuine delivery is still new.
        assert await r.handle(*delivery()) == 200
        assert (await watch.next(timeout=1)) is not None
        await r.join()
    assert [e.event_id for e in handed] == ["evt_1"]


async def test_an_unsigned_per_job_callback_delivery_is_refused() -> None:
    """HeyGen does not sign deliveries to a job's `callback_url`: never trust one."""
    r, handed = receiver()
    body = json.dumps(
        {
            "event_type": "avatar_video.success",
            "event_data": {"video_id": "vid_1", "url": "https://x/v.mp4", "callback_id": "c1"},
        }
    ).encode()
    assert await r.handle(body, {"Content-Type": "application/json"}) == 401
    assert await ids_seen(r, "vid_1") == []
    assert handed == []


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"event_data": {}}', b'{"event_type": "x", "event_data": [1]}'],
)
async def test_signed_bad_payloads_get_400_and_change_nothing(body: bytes) -> None:
    r, handed = receiver()
    headers = {
        "Heygen-Signature": webhooks.sign(body, SECRET),
        "Heygen-Timestamp": str(int(NOW)),
        "Heygen-Event-Id": "evt_1",
    }
    assert await r.handle(body, headers) == 400
    assert await r.handle(*delivery("evt_1")) == 200  # evt_1 was not recorded by the 400
    await r.join()
    assert [e.event_id for e in handed] == ["evt_1"]


async def test_a_duplicate_is_acknowledged_but_handed_on_once() -> None:
    clock = Clock()
    r, handed = receiver(clock=clock)
    async with asyncio.timeout(5), r.watch("sess_1") as watch:
        assert await r.handle(*delivery("evt_1")) == 200
        assert await r.handle(*delivery("evt_1")) == 200
        clock.now += 3600  # HeyGen's retry an hour later, freshly signed and timestamped
        assert await r.handle(*delivery("evt_1", at=clock.now)) == 200
        first = await watch.next(timeout=1)
        assert first is not None and first.event_id == "evt_1"
        assert await watch.next(timeout=0) is None
        await r.join()
    assert [e.event_id for e in handed] == ["evt_1"]


async def test_out_of_order_deliveries_are_each_taken_once_in_arrival_order() -> None:
    r, handed = receiver()
    fail_2 = delivery("evt_2", event_type="video_agent.fail", data={"session_id": "sess_2"})
    success_1 = delivery("evt_1", data={"session_id": "sess_1"})
    for body, headers in (fail_2, success_1, fail_2, success_1):
        assert await r.handle(body, headers) == 200
    await r.join()
    assert [(e.event_id, e.session_id) for e in handed] == [
        ("evt_2", "sess_2"),
        ("evt_1", "sess_1"),
    ]
    assert handed[0].event_type is webhooks.WebhookEventType.VIDEO_AGENT_FAIL


async def test_deliveries_without_an_event_id_are_deduplicated_by_content() -> None:
    r, handed = receiver()
    assert await r.handle(*delivery(None)) == 200
    assert await r.handle(*delivery(None)) == 200
    assert await r.handle(*delivery(None, data={"session_id": "sess_other"})) == 200
    await r.join()
    assert [e.session_id for e in handed] == ["sess_1", "sess_other"]


# -- secret rotation --------------------------------------------------------------------------


async def test_rotation_accepts_the_old_secret_until_the_grace_period_ends() -> None:
    clock = Clock()
    r, handed = receiver(clock=clock)
    r.rotate(NEW_SECRET, grace=600)
    clock.now += 599
    assert await r.handle(*delivery("evt_old", secret=SECRET, at=clock.now)) == 200
    assert await r.handle(*delivery("evt_new", secret=NEW_SECRET, at=clock.now)) == 200
    clock.now += 1  # the grace period is over
    assert await r.handle(*delivery("evt_late", secret=SECRET, at=clock.now)) == 401
    assert await r.handle(*delivery("evt_new2", secret=NEW_SECRET, at=clock.now)) == 200
    await r.join()
    assert [e.event_id for e in handed] == ["evt_old", "evt_new", "evt_new2"]


async def test_rotating_without_grace_or_twice_keeps_only_what_the_last_rotation_allows() -> None:
    clock = Clock()
    r, _ = receiver(clock=clock)
    r.rotate(NEW_SECRET, grace=0)
    assert await r.handle(*delivery("evt_1", secret=SECRET)) == 401
    assert await r.handle(*delivery("evt_2", secret=NEW_SECRET)) == 200

    r, _ = receiver(clock=clock)
    r.rotate(NEW_SECRET, grace=3600)
    r.rotate("whsec_third", grace=10)  # the first secret's hour is cut to these 10 s
    assert await r.handle(*delivery("evt_a", secret=SECRET)) == 200
    assert await r.handle(*delivery("evt_b", secret=NEW_SECRET)) == 200
    clock.now += 10
    for event_id, secret in (("evt_c", SECRET), ("evt_d", NEW_SECRET)):
        assert await r.handle(*delivery(event_id, secret=secret, at=clock.now)) == 401
    assert await r.handle(*delivery("evt_e", secret="whsec_third", at=clock.now)) == 200


async def test_secrets_never_appear_in_repr_errors_or_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="heygen_async")
    r, _ = receiver()
    r.rotate(NEW_SECRET, grace=60)
    await r.handle(*delivery("evt_1"))
    await r.handle(*delivery("evt_1"))
    await r.handle(*delivery("evt_2", secret="whsec_wrong"))
    await r.handle(*delivery("evt_3", at=NOW - 10_000))
    with pytest.raises(ValueError, match="grace") as bad_grace:
        r.rotate("whsec_x", grace=-1)
    with pytest.raises(ValueError, match="secret must be") as bad_secret:
        WebhookReceiver(b"whsec_bytes")  # type: ignore[arg-type]
    shown = " ".join([repr(r), str(bad_grace.value), str(bad_secret.value), caplog.text])
    assert "refused" in caplog.text  # the refusals were logged ...
    for secret in (SECRET, NEW_SECRET, "whsec_x", "whsec_bytes", "whsec_wrong"):
        assert secret not in shown  # ... without any secret


# -- handing work off -------------------------------------------------------------------------


async def test_on_event_exceptions_are_logged_and_do_not_change_the_answer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(event: WebhookEvent) -> None:
        raise RuntimeError("the database is down")

    def broken_sync(event: WebhookEvent) -> None:
        raise RuntimeError("so is the disk")

    for on_event in (broken, broken_sync):
        r = WebhookReceiver(SECRET, on_event=on_event, clock=Clock())
        async with asyncio.timeout(5):
            assert await r.handle(*delivery("evt_1")) == 200
            await r.join()
            assert await r.handle(*delivery("evt_1")) == 200  # not retried by a redelivery
    failures = [rec for rec in caplog.records if rec.name == "heygen_async" and rec.exc_info]
    assert [str(rec.exc_info[1]) for rec in failures if rec.exc_info] == [
        "the database is down",
        "so is the disk",
    ]


async def test_handle_answers_while_a_slow_on_event_is_still_running() -> None:
    started = asyncio.Event()
    release = asyncio.Event()
    finished: list[str | None] = []

    async def slow(event: WebhookEvent) -> None:
        started.set()
        await release.wait()
        finished.append(event.event_id)

    r = WebhookReceiver(SECRET, on_event=slow, clock=Clock())
    async with asyncio.timeout(5):
        assert await r.handle(*delivery("evt_1")) == 200
        await started.wait()
        assert finished == []  # answered; the work is still going on
        async with r.watch("vid_1") as watch:  # and waiters already have the event
            assert (await watch.next(timeout=0)) is not None
        release.set()
        await r.join()
    assert finished == ["evt_1"]


# -- watching ---------------------------------------------------------------------------------


async def test_a_watch_sees_an_event_that_arrived_just_before_it_and_each_new_one() -> None:
    r, _ = receiver()
    async with asyncio.timeout(5):
        assert await r.handle(*delivery("evt_1", data={"video_id": "vid_1"})) == 200
        async with r.watch("vid_1") as watch:
            before = await watch.next(timeout=1)
            assert before is not None and before.event_id == "evt_1"
            waiting = asyncio.create_task(watch.next(timeout=5))
            await asyncio.sleep(0)
            assert not waiting.done()
            fail = delivery("evt_2", event_type="video_agent.fail", data={"video_id": "vid_1"})
            assert await r.handle(*fail) == 200
            after = await waiting
            assert after is not None and after.event_id == "evt_2"


async def test_several_watchers_of_one_id_all_see_the_event() -> None:
    r, _ = receiver()
    async with asyncio.timeout(5), r.watch("sess_1") as one, r.watch("sess_1") as two:
        nexts = [asyncio.create_task(w.next(timeout=5)) for w in (one, two)]
        await asyncio.sleep(0)
        assert await r.handle(*delivery("evt_1")) == 200
        got = await asyncio.gather(*nexts)
    assert [e.event_id if e else None for e in got] == ["evt_1", "evt_1"]


async def test_events_are_found_by_every_id_they_carry() -> None:
    r, _ = receiver()
    data = {
        "session_id": "sess_9",
        "video_id": "vid_9",
        "callback_id": "my-job-9",
        "id": "clip_9",
        "translation_id": "tr_9",
        "folder_id": 17,  # not a string: not an id to watch
        "status": "done",
    }
    assert await r.handle(*delivery("evt_9", data=data)) == 200
    for entity_id in ("sess_9", "vid_9", "my-job-9", "clip_9", "tr_9"):
        assert await ids_seen(r, entity_id) == ["evt_9"], entity_id
    for other in ("17", "done", "evt_9"):
        assert await ids_seen(r, other) == []


async def test_a_watch_on_several_ids_sees_each_event_once() -> None:
    r, _ = receiver()
    async with asyncio.timeout(5), r.watch("sess_1", "vid_1", "sess_2") as watch:
        assert watch.entity_ids == ("sess_1", "vid_1", "sess_2")
        await r.handle(*delivery("evt_1"))  # carries sess_1 and vid_1
        await r.handle(*delivery("evt_2", data={"session_id": "sess_2"}))
        await r.handle(*delivery("evt_3", data={"session_id": "sess_3"}))
        got = [await watch.next(timeout=1) for _ in range(2)]
        assert [e.event_id for e in got if e] == ["evt_1", "evt_2"]
        assert await watch.next(timeout=0) is None


async def test_next_times_out_with_none_and_needs_an_open_watch() -> None:
    r, _ = receiver()
    watch = r.watch("vid_nothing")
    with pytest.raises(RuntimeError):
        await watch.next(timeout=0)
    async with asyncio.timeout(5), watch:
        assert await watch.next(timeout=0.01) is None
    with pytest.raises(ValueError, match="entity id"):
        r.watch()


async def test_memory_is_bounded_by_max_events() -> None:
    r, handed = receiver(max_events=2)
    for n in (1, 2, 3):
        data = {"video_id": f"vid_{n}"}
        assert await r.handle(*delivery(f"evt_{n}", data=data)) == 200
    assert await ids_seen(r, "vid_1") == []  # retained events: only the last two
    assert await ids_seen(r, "vid_3") == ["evt_3"]
    assert await r.handle(*delivery("evt_3", data={"video_id": "vid_3"})) == 200
    assert await r.handle(*delivery("evt_1", data={"video_id": "vid_1"})) == 200
    await r.join()
    # evt_1 was forgotten (3 ids > 2), so it is taken again; evt_3 was not.
    assert [e.event_id for e in handed] == ["evt_1", "evt_2", "evt_3", "evt_1"]


# -- feed -------------------------------------------------------------------------------------


async def test_feed_is_deduplicated_against_deliveries() -> None:
    r, handed = receiver()
    delivered = webhooks.verify(*delivery("evt_1"), SECRET, now=NOW)
    assert await r.handle(*delivery("evt_1")) == 200
    assert r.feed(delivered) is False

    recovered = WebhookEvent(
        event_type="video_agent.success",
        event_id="evt_2",
        data={"session_id": "sess_2"},
        session_id="sess_2",
    )
    async with asyncio.timeout(5), r.watch("sess_2") as watch:
        assert r.feed(recovered) is True
        assert await r.handle(*delivery("evt_2", data={"session_id": "sess_2"})) == 200
        assert await watch.next(timeout=1) == recovered
        assert await watch.next(timeout=0) is None
        await r.join()
    assert [e.event_id for e in handed] == ["evt_1", "evt_2"]
    with pytest.raises(TypeError):
        r.feed({"event_id": "evt_3"})  # type: ignore[arg-type]


# -- aiohttp.web and serve --------------------------------------------------------------------


async def test_serve_takes_signed_posts_over_loopback_http() -> None:
    r = WebhookReceiver(SECRET)
    body, headers = delivery("evt_http", at=time.time())
    async with asyncio.timeout(10), r.serve() as server, aiohttp.ClientSession() as http:
        assert server.port > 0 and server.url == f"http://127.0.0.1:{server.port}/"
        async with r.watch("vid_1") as watch:
            async with http.post(server.url + "any/path", data=body, headers=headers) as resp:
                assert resp.status == 200
            event = await watch.next(timeout=5)
            assert event is not None and event.event_id == "evt_http"
            forged = {**headers, "Heygen-Signature": "0" * 64, "Heygen-Event-Id": "evt_x"}
            async with http.post(server.url, data=body, headers=forged) as resp:
                assert resp.status == 401
            async with http.post(server.url, data=b"{}", headers={}) as resp:
                assert resp.status == 401
            async with http.get(server.url) as resp:
                assert resp.status == 405
            assert await watch.next(timeout=0) is None
        url = server.url
    with pytest.raises(aiohttp.ClientConnectionError):  # stopped: the port is closed
        async with asyncio.timeout(10), aiohttp.ClientSession() as http:
            await http.post(url, data=body, headers=headers)


async def test_serve_with_a_path_answers_only_there() -> None:
    r = WebhookReceiver(SECRET, tolerance=10**10)
    body, headers = delivery()
    async with asyncio.timeout(10), r.serve(path="/heygen/webhook") as server:
        assert server.url.endswith("/heygen/webhook")
        async with aiohttp.ClientSession() as http:
            async with http.post(server.url, data=body, headers=headers) as resp:
                assert resp.status == 200
            elsewhere = server.url.replace("/heygen/webhook", "/other")
            async with http.post(elsewhere, data=body, headers=headers) as resp:
                assert resp.status == 404
    with pytest.raises(ValueError, match="path"):
        async with r.serve(path="no-slash"):
            pass


async def test_the_aiohttp_handler_plugs_into_an_app() -> None:
    r, handed = receiver(tolerance=10**10)
    app = web.Application()
    app.router.add_post("/hook", r.aiohttp_handler())
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        async with asyncio.timeout(10), aiohttp.ClientSession() as http:
            url = f"http://{host}:{port}/hook"
            body, headers = delivery()
            for expected in (200, 200):
                async with http.post(url, data=body, headers=headers) as resp:
                    assert resp.status == expected
            junk = {**headers, "Heygen-Signature": webhooks.sign(b"junk", SECRET)}
            async with http.post(url, data=b"junk", headers=junk) as resp:
                assert resp.status == 400
            await r.join()
    finally:
        await runner.cleanup()
    assert [e.event_id for e in handed] == ["evt_1"]


async def test_fake_heygen_deliveries_reach_a_watch_through_serve() -> None:
    async with (
        asyncio.timeout(20),
        FakeHeyGen(step_seconds=None) as fake,
        fake.client() as client,
    ):
        r = WebhookReceiver(SECRET)
        async with r.serve() as server:
            endpoint = await client.webhooks.endpoints.create(url=server.url)
            assert endpoint.secret is not None
            r.rotate(endpoint.secret, grace=0)  # HeyGen signs with the endpoint's secret
            session = await client.video_agents.create(prompt="p", callback_id="job-42")
            async with r.watch(session.session_id) as watch:
                fake.advance(session.session_id, to="generating")
                fake.advance(session.session_id, to="completed")
                event = await watch.next(timeout=10)
            assert event is not None
            assert event.event_type is webhooks.WebhookEventType.VIDEO_AGENT_SUCCESS
            assert event.callback_id == "job-42"
            async with r.watch("job-42") as by_callback:  # retained, found by its callback id too
                assert await by_callback.next(timeout=0) == event


def test_importing_the_webhooks_package_loads_no_aiohttp() -> None:
    probe = (
        "import asyncio, sys\n"
        "import heygen_async.webhooks as w\n"
        "r = w.WebhookReceiver('whsec_x', tolerance=1e12)\n"
        'body = b\'{"event_type": "video_agent.success", "event_data": {}}\'\n'
        "h = {'Heygen-Signature': w.sign(body, 'whsec_x'), 'Heygen-Timestamp': '1'}\n"
        "status = asyncio.run(r.handle(body, h))\n"
        "print(status, sorted(m for m in sys.modules if m.split('.')[0] == 'aiohttp'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "200 []"
