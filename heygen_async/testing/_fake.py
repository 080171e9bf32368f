"""FakeHeyGen: a loopback HeyGen that speaks every operation of HeyGen's v3 API, for tests
and demos.

This module is the facade: configuration, lifecycle and the controls tests use. The rest
lives by concern: _app.py (middleware, routes), _faults.py, _idempotency.py, the state
machines on _clock.py's clock (_machine.py for sessions, _jobs.py for every other job kind),
_spec.py and _schema.py (HeyGen's schema), _examples.py and _resources.py (replies shaped by
the schema, the generic job collections), and one handler module per API area (_sessions.py,
_styles.py, _videos.py, _assets.py, _users.py, _avatars.py, _voices.py, _translations.py,
_media_jobs.py, _catalogue.py, _webhooks.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType as MappingProxy
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ._app import RecordedRequest, build_app
from ._avatars import AvatarHandlers
from ._clock import Clock
from ._faults import Fault, Faults, Outage
from ._idempotency import IdempotencyCache
from ._jobs import FakeJob, JobMachine
from ._machine import StateMachine
from ._resources import Replies
from ._spec import Spec
from ._state import FakeSession, FakeVideo, new_id
from ._videos import VideoHandlers
from ._voices import VoiceHandlers
from ._webhook_sender import Deliveries, DeliveryPolicy, FakeDelivery, WebhookFaults
from ._webhooks import FakeEvent

if TYPE_CHECKING:
    from .._client import AsyncHeyGen


class FakeHeyGen:
    """A HeyGen stand-in on 127.0.0.1, started with `async with FakeHeyGen() as fake`.

    It answers every operation of HeyGen's v3 API from its own state. Sessions and every other
    job (videos, avatars, lipsyncs, translations, ...: `fake.jobs`) advance one state every
    `step_seconds` (default 0.1, so `wait()` just works; None: only when a test calls
    `advance` or `advance_job`, for exact control) of `clock` time: pass
    `clock=Clock()` (or any callable returning seconds) and call `fake.clock.advance(s)` to
    move time instead of sleeping. Requests need an `x-api-key`: any non-empty one, or
    exactly `api_key` when given (`fake.client()` sends the right one). Each request is
    checked against HeyGen's OpenAPI document; bad input gets HeyGen's 400 envelope.
    `max_active_jobs` answers 429 to creates beyond that many unfinished sessions;
    `create_latency` delays every create. `fake.requests` logs every request;
    `fake.fail(...)` injects faults and `fake.outage(...)` drops every request for a while.
    `job_duration` (a callable: seconds) gives each new job its own run time instead.

    Each job that ends records a webhook event (`fake.events`, GET /v3/webhooks/events) and
    delivers it as HeyGen does, from background tasks: to every registered, enabled endpoint
    whose `events` and `entity_id` match, signed with the endpoint's current secret, retried
    per `delivery` (a DeliveryPolicy: exponential backoff on `sleep`) while the receiver
    answers non-2xx, refuses or times out; and to the job's own `callback_url`, unsigned.
    Only loopback hosts are contacted. `fake.deliveries` logs every attempt;
    `fake.webhook_faults(...)` makes deliveries arrive twice, never, or out of order. Jobs
    that end on the clock are noticed every `tick_seconds` (None: only when something reads
    them), so their events go out without anyone polling.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        step_seconds: float | None = 0.1,
        create_latency: float = 0.0,
        max_active_jobs: int | None = None,
        busy_retry_after: float = 1.0,
        video_size: int = 256 * 1024,
        record: bool = True,
        clock: Clock | Callable[[], float] | None = None,
        job_duration: Callable[[], float] | None = None,
        delivery: DeliveryPolicy | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        tick_seconds: float | None = 0.02,
    ) -> None:
        # None: any non-empty key is accepted (and `fake.client()` uses "test-key"); a key:
        # only that key is.
        self.api_key = api_key if api_key is not None else "test-key"
        self._exact_key = api_key is not None
        self.host = host
        self.port = port
        self.create_latency = create_latency
        self.max_active_jobs = max_active_jobs
        self.busy_retry_after = busy_retry_after
        self.record = record
        self.tick_seconds = tick_seconds
        self.clock = clock if isinstance(clock, Clock) else Clock(clock or time.monotonic)
        self.machine = StateMachine(
            clock=self.clock,
            step_seconds=step_seconds,
            video_size=video_size,
            notify=self._notify,
            duration=job_duration,
        )
        self.job_machine = JobMachine(
            clock=self.clock, step_seconds=lambda: self.step_seconds, duration=job_duration
        )
        self.job_machine.publish = self._job_ended
        self.idempotency = IdempotencyCache()
        self.assets: dict[str, dict[str, Any]] = {}
        self.uploads: dict[str, dict[str, Any]] = {}
        self.requests: list[RecordedRequest] = []
        self.webhook_endpoints: dict[str, dict[str, Any]] = {}
        self.events: list[FakeEvent] = []
        self.in_flight_creates = 0
        self.peak_in_flight_creates = 0
        self.created_count = 0
        self._faults = Faults()
        spec = Spec()
        self.replies = Replies(spec)
        self.video_handlers = VideoHandlers(self)
        self.video_handlers.replies = self.replies
        self._videos = self.video_handlers
        self.avatar_handlers = AvatarHandlers(self, self.replies)
        self.voice_handlers = VoiceHandlers(self, self.replies)
        self._runner: web.AppRunner | None = None
        self._site_url = ""
        self._deliveries = Deliveries(self, delivery or DeliveryPolicy(), sleep)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ticker: asyncio.Task[None] | None = None
        self.app = build_app(self, spec=spec, faults=self._faults)

    # -- state, as tests read it -----------------------------------------------------------

    @property
    def sessions(self) -> dict[str, FakeSession]:
        return self.machine.sessions

    @property
    def videos(self) -> dict[str, FakeVideo]:
        return self.machine.videos

    @property
    def jobs(self) -> Mapping[str, FakeJob]:
        """Every job but sessions, by id, caught up with the clock (a read-only view)."""
        self.job_machine.tick_all()
        return MappingProxy(self.job_machine.jobs)

    @property
    def deliveries(self) -> list[FakeDelivery]:
        """Every webhook delivery attempt so far, oldest first (see FakeDelivery)."""
        return self._deliveries.log

    @property
    def faults(self) -> list[Fault]:
        return self._faults.pending

    @property
    def step_seconds(self) -> float | None:
        return self.machine.step_seconds

    @step_seconds.setter
    def step_seconds(self, value: float | None) -> None:
        self.machine.step_seconds = value

    @property
    def video_size(self) -> int:
        return self.machine.video_size

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if not self._site_url:
            raise RuntimeError("FakeHeyGen is not started: use `async with FakeHeyGen() as fake`")
        return self._site_url

    async def start(self) -> FakeHeyGen:
        runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        sockets = getattr(site._server, "sockets", None)
        if not sockets:
            raise RuntimeError("FakeHeyGen could not bind a socket")
        self.port = sockets[0].getsockname()[1]
        host = f"[{self.host}]" if ":" in self.host else self.host
        self._site_url = f"http://{host}:{self.port}"
        self._loop = asyncio.get_running_loop()
        if self.tick_seconds is not None:
            self._ticker = self._loop.create_task(self._tick(self.tick_seconds))
        return self

    async def close(self) -> None:
        """Stop the server; deliveries still in flight or waiting to retry are cancelled."""
        ticker, self._ticker = self._ticker, None
        if ticker is not None:
            ticker.cancel()
            await asyncio.gather(ticker, return_exceptions=True)
        await self._deliveries.close()
        self._loop = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeHeyGen:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def client(self, **options: Any) -> AsyncHeyGen:
        """An AsyncHeyGen pointed at this fake (options as for AsyncHeyGen)."""
        from .._client import AsyncHeyGen

        options.setdefault("api_key", self.api_key)
        return AsyncHeyGen(base_url=self.url, **options)

    def accepts_key(self, key: str | None) -> bool:
        """Whether a request with this x-api-key header gets past authentication."""
        if not key or not key.strip():
            return False
        return key == self.api_key if self._exact_key else True

    # -- test controls -----------------------------------------------------------------------

    def fail(
        self,
        path: str = ".*",
        *,
        method: str | None = None,
        status: int = 503,
        times: int | None = 1,
        retry_after: float | str | None = None,
        code: str | None = None,
        latency: float = 0.0,
        drop: bool = False,
        malformed: bool = False,
        body: str | None = None,
        probability: float = 1.0,
        cut_reply: bool = False,
        lose_reply: bool = False,
        create_latency: float = 0.0,
    ) -> Fault:
        """Meet requests whose path matches the regex `path` with a fault, `times` times.

        Faults that replace the reply (the request has no effect): `status` (with `code`,
        `retry_after`, an HTML `body`, or a `malformed` truncated JSON body), and `drop`,
        which closes the connection without a reply. `latency` delays the reply (alone, with
        status 0, it only delays the real reply).

        Faults that let the handler act (a create creates its session and stores its
        Idempotency-Key's reply, so a retry with the same key replays it), then damage the
        reply; `status` and the options above are then ignored: `cut_reply` sends the status
        and headers announcing the full Content-Length, half the body, then closes the
        connection; `lose_reply` closes the connection with no reply at all.
        `create_latency` makes a matching create take that much longer while it holds its
        Idempotency-Key (a request with the same key meanwhile gets 409 request_in_progress)
        and then answer normally, as `FakeHeyGen(create_latency=)` does for every create;
        it combines with `cut_reply` or `lose_reply`.

        `probability` makes the fault random (each matching request meets it with that
        chance; `times` counts only those that did). Raises ValueError for more than one of
        `drop`, `cut_reply` and `lose_reply`.
        """
        fault = Fault(
            method=method,
            path=re.compile(path),
            status=status,
            retry_after=retry_after,
            code=code,
            latency=latency,
            drop=drop,
            malformed=malformed,
            body=body,
            times=times,
            probability=probability,
            cut_reply=cut_reply,
            lose_reply=lose_reply,
            create_latency=create_latency,
        )
        return self._faults.add(fault)

    def outage(self, seconds: float, *, start_in: float = 0.0) -> Outage:
        """Drop every request that arrives in the next window of `seconds`, `start_in` from now.

        Measured on the fake's clock (real time by default; with `clock=Clock()`,
        `fake.clock.advance()` moves through it). A request arriving in the window gets its
        connection closed without a reply, as `fail(drop=True)` does; it is recorded with
        status 0 and fault "outage". Requests before and after are served normally, and
        requests already being answered when the window opens are finished.
        """
        if seconds < 0 or start_in < 0:
            raise ValueError("seconds and start_in must be >= 0")
        start = self.clock.now() + start_in
        return self._faults.add_outage(Outage(start=start, end=start + seconds))

    def clear_faults(self) -> None:
        """Forget every pending fault and outage, and the webhook faults."""
        self._faults.clear()
        self._deliveries.faults = WebhookFaults()

    def webhook_faults(
        self,
        *,
        duplicate: float = 0.0,
        lose: float = 0.0,
        reorder: float = 0.0,
        hold: float = 1.0,
        seed: int | None = None,
    ) -> WebhookFaults:
        """Make webhook deliveries go wrong from now on, each a probability per delivery.

        `duplicate`: the delivery is made twice (same Heygen-Event-Id). `lose`: it is never
        made, though the event stays in the history (GET /v3/webhooks/events), as at HeyGen.
        `reorder`: it is held back until the next delivery to the same receiver has been made
        (or for `hold` seconds at most), so the two arrive swapped. `seed` makes the draws
        repeatable. Replaces the previous settings; `clear_faults()` ends them.
        """
        for name, p in (("duplicate", duplicate), ("lose", lose), ("reorder", reorder)):
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"{name} must be a probability in [0, 1], not {p!r}")
        faults = WebhookFaults(
            duplicate=duplicate, lose=lose, reorder=reorder, hold=hold, rng=random.Random(seed)
        )
        self._deliveries.faults = faults
        return faults

    async def deliveries_idle(self) -> None:
        """Wait until no webhook delivery is in flight or waiting to be retried."""
        await self._deliveries.idle()

    def advance(self, session_id: str, *, to: str | None = None) -> FakeSession:
        """Move a session one step along its flow (or straight `to` a status)."""
        session = self.sessions[session_id]
        if to is None:
            self.machine.step(session)
        else:
            self.machine.enter(session, to)
        return session

    def fail_session(self, session_id: str, message: str = "Rendering failed.") -> FakeSession:
        session = self.sessions[session_id]
        self.machine.fail_session(session, message)
        return session

    def fail_video(self, video_id: str, code: str = "rendering_failed", message: str = "") -> None:
        video = self.videos[video_id]
        if video.session_id in self.sessions:
            self.machine.fail_video(video, code, message)
        else:
            self.fail_job(video_id, code=code, message=message or "The renderer gave up.")

    def advance_job(self, job_id: str, *, to: str | None = None) -> FakeJob:
        """Move a job one step along its flow (or straight `to` a status); returns it.

        A job is any id of `fake.jobs`: a video, lipsync, translation, proofread, clipping,
        background removal, voice clone, avatar look (or its group's id), or a batch (which
        moves each of its items). A pause such as `pending_consent` is left too. Sessions
        have `advance`. Raises KeyError for an unknown id.
        """
        job = self._job(job_id)
        if to is None:
            self.job_machine.step(job)
        else:
            self.job_machine.enter(job, to)
        return job

    def fail_job(
        self, job_id: str, *, code: str = "job_failed", message: str = "The job failed."
    ) -> FakeJob:
        """End a job `failed` with this code and message (a batch: each unfinished item)."""
        job = self._job(job_id)
        self.job_machine.fail(job, code, message)
        return job

    def _job(self, job_id: str) -> FakeJob:
        """The job with this id; an avatar group's id names its newest unfinished look."""
        job = self.job_machine.get(job_id)
        if job is not None:
            return job
        group = self.avatar_handlers.groups.get(job_id)
        looks = [self.job_machine.get(i) for i in group["look_ids"]] if group else []
        jobs = [j for j in looks if j is not None]
        if not jobs:
            raise KeyError(job_id)
        return next((j for j in reversed(jobs) if not j.terminal), jobs[-1])

    def expire_video_urls(self) -> None:
        """Make every video link given so far answer 403, as an expired presigned URL does."""
        for video in self.videos.values():
            video.url_version += 1

    def truncate_downloads(self, times: int = 1) -> None:
        """Cut the next `times` video downloads off halfway (Content-Length promised more)."""
        self._videos.truncations += times

    def forget_session(self, session_id: str) -> None:
        """Make GET of the session 404, as HeyGen's session endpoint may once the video exists."""
        self.sessions[session_id].api = "gone"

    def creates(self) -> list[RecordedRequest]:
        """Every create request as recorded, faulted ones too (see `status` and `fault`)."""
        return [
            r
            for r in self.requests
            if r.method == "POST" and r.path in ("/v3/video-agents", "/v3/video-agents/sessions")
        ]

    def sessions_by_prompt(self) -> dict[str, list[FakeSession]]:
        """The sessions created for each prompt, oldest first.

        With one distinct prompt per item, "exactly one session per item" is
        `all(len(s) == 1 for s in fake.sessions_by_prompt().values())` over all the prompts.
        """
        grouped: dict[str, list[FakeSession]] = {}
        for session in self.sessions.values():
            grouped.setdefault(session.prompt, []).append(session)
        return grouped

    def sessions_by_key(self) -> dict[str | None, list[FakeSession]]:
        """The sessions created under each Idempotency-Key (None: creates without one).

        A key never makes two sessions (a repeat replays); an item that made two sessions
        did so under two keys, which `sessions_by_prompt` shows.
        """
        grouped: dict[str | None, list[FakeSession]] = {}
        for session in self.sessions.values():
            grouped.setdefault(session.idempotency_key, []).append(session)
        return grouped

    def active_jobs(self) -> int:
        return self.machine.active_jobs()

    # -- webhooks ------------------------------------------------------------------------------

    def _notify(self, session: FakeSession, event_type: str) -> None:
        """A session ended: video_agent.success or video_agent.fail."""
        video = self.videos.get(session.video_id or "")
        url = video.as_json(self._site_url)["video_url"] if video and self._site_url else None
        data = {
            "session_id": session.session_id,
            "video_id": session.video_id,
            "callback_id": session.callback_id,
            "url": url,
        }
        self._publish(self._event(event_type, data), callback_url=session.callback_url)

    def _job_ended(self, job: FakeJob) -> None:
        """A job ended: the event its kind records (see _jobs.KINDS), if HeyGen has one."""
        kind = job.kind
        event_type = kind.success_event if job.succeeded else kind.failure_event
        if event_type is None:
            return
        data: dict[str, Any] = {
            kind.id_key: job.id,
            "id": job.id,
            "status": job.status,
            **{k: v for k, v in job.record.items() if k.endswith("_id") and isinstance(v, str)},
        }
        if job.callback_id is not None:
            data["callback_id"] = job.callback_id
        if job.failure_message is not None:
            data["failure_code"], data["failure_message"] = job.failure_code, job.failure_message
        if job.video is not None and job.succeeded and self._site_url:
            data["url"] = job.video.as_json(self._site_url)["video_url"]
        if job.items:
            data["counts_by_status"] = self.job_machine.batch_json(job)["counts_by_status"]
        self._publish(self._event(event_type, data), callback_url=job.callback_url)

    @staticmethod
    def _event(event_type: str, data: dict[str, Any]) -> FakeEvent:
        return FakeEvent(event_id=new_id("evt"), event_type=event_type, event_data=data)

    def _publish(self, event: FakeEvent, *, callback_url: str | None = None) -> None:
        """Every event FakeHeyGen records passes here: into the history (`fake.events`,
        GET /v3/webhooks/events), then out to the registered endpoints and the job's own
        callback_url, from background tasks (_webhook_sender.py), never inside the request
        that made the job end."""
        self.events.append(event)
        loop = self._loop
        if loop is None or loop.is_closed():
            return  # not serving: the history still has it
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._deliveries.schedule(event, callback_url)
        else:  # a test on another thread moved a job (tests/fake_thread.py)
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._deliveries.schedule, event, callback_url)

    async def _tick(self, every: float) -> None:
        """Catch every job up with the clock, so the ones due to end do, and deliver."""
        while True:
            await asyncio.sleep(every)
            self.machine.tick_all()
            self.job_machine.tick_all()


__all__ = ["FakeHeyGen"]
