"""Batch creation: many sessions from any (async) iterable, bounded, ordered, resumable.

`sessions.create_many(...)` and `video_agents.create_many(...)` are the entry points; this
module holds what they share: `BatchResult`, `BatchProgress` and the worker pool.

A fixed pool of workers pulls requests from the input one at a time, so a generator of any
length is consumed lazily and only O(workers) requests and tasks are alive at once.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import inspect
import json
import os
import time
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
)
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, Unpack, cast

import attrs

from . import _constants as C
from . import _journal as J
from ._convert import unstructure
from ._errors import ConfigurationError, HeyGenError, SessionFailedError, ValidationError
from ._journal import Journal
from ._requests import build_model, idempotency_key
from .models import Session, SessionStatus, Video

if TYPE_CHECKING:
    from .resources.videos import Videos
    from .webhooks import WebhookReceiver


@attrs.frozen
class BatchResult:
    """The outcome of one input item: `session` when it was created, `error` when not.

    `request` is the item as it came from the input (a model, a dict or a prompt string).

    In wait mode `session` is the finished session and `video` its video; with a download
    directory, `path` is where the video was written. `resumed` marks an item a journal said
    was already done, which this run did not touch.
    """

    index: int
    request: Any
    session: Session | None = None
    error: BaseException | None = None
    video: Video | None = attrs.field(default=None, kw_only=True)
    path: Path | None = attrs.field(default=None, kw_only=True)
    resumed: bool = attrs.field(default=False, kw_only=True)

    @property
    def ok(self) -> bool:
        return self.error is None


@attrs.frozen(kw_only=True)
class BatchProgress:
    """A snapshot of a running batch, given to `on_progress`."""

    total: int | None
    started: int
    done: int
    succeeded: int
    failed: int
    resumed: int
    in_flight: int
    retried: int
    elapsed: float

    @property
    def rate(self) -> float:
        """Items finished per second so far."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds until the last item is expected to finish, when the total is known."""
        if self.total is None or self.rate <= 0:
            return None
        return max(0.0, (self.total - self.done) / self.rate)


ProgressHook = Callable[[BatchProgress], Awaitable[None] | None]


@attrs.frozen(kw_only=True)
class BatchTarget:
    """What a batch needs of the resource that runs it (`sessions` or `video_agents`)."""

    create: Callable[..., Awaitable[Session]]  # create(model, idempotency_key=key)
    request_class: type[Any]
    wait: Callable[..., Awaitable[Session]]  # wait(session_id, timeout=, poll_interval=)
    videos: Videos
    max_concurrent_creates: int
    retries: Callable[[], int]  # retries made so far by the client's calls
    sleep: Callable[[float], Awaitable[Any]]  # the client's (injectable) sleep and clock
    clock: Callable[[], float]


class BatchOptions(TypedDict, total=False):
    """The keyword options of `create_many` and `iter_create_many` (defaults in brackets).

    - return_exceptions [True]: a failed item becomes a result with `error`; False raises the
      first error once the other items are cancelled and awaited.
    - on_progress [None]: called with a BatchProgress at every start and finish of an item.
    - journal [None]: a JSON-lines file that makes the batch resumable (see the README).
    - concurrency [the limiter's cap]: workers pulling from the input.
    - wait [False]: also wait for each session to finish.
    - max_active [3]: unfinished sessions at once, with `wait=True`.
    - download_dir [None]: download each video here (needs `wait=True`).
    - poll_interval [2.0], wait_timeout [3600.0]: for each wait.
    - events [None]: a webhooks.WebhookReceiver: each wait reads its session when the
      session's event arrives instead of polling (see `wait(events=...)`).
    - total [len(requests) if it has one]: the number of items, for progress and ETA.
    - max_requeues [3]: how often an item that failed transiently (in doubt, or retryable:
      a dropped connection, a timeout, a 5xx, a 429, a 409, an unreadable reply, the
      limiter) is put back at the end of the queue and tried again with the same
      Idempotency-Key, after its retries ran out; 0 turns it off.
    - requeue_delay [5.0]: seconds before a put-back item is tried again (doubled each time).
    """

    return_exceptions: bool
    on_progress: ProgressHook | None
    journal: str | os.PathLike[str] | None
    concurrency: int | None
    wait: bool
    max_active: int | None
    download_dir: str | os.PathLike[str] | None
    poll_interval: float
    wait_timeout: float | None
    events: WebhookReceiver | None
    total: int | None
    max_requeues: int
    requeue_delay: float


_END: Any = object()


class _Item:
    __slots__ = ("idempotency_key", "index", "key", "model", "raw", "requeues", "session")

    def __init__(self, index: int, raw: Any, model: Any, key: str | None) -> None:
        self.index, self.raw, self.model, self.key = index, raw, model, key
        self.idempotency_key: str | None = None  # fixed at its first create, kept on requeue
        self.session: Session | None = None  # created already: a requeue only waits
        self.requeues = 0


class _Runner:
    """One batch: the input, the worker pool, the counters and the journal."""

    def __init__(
        self,
        target: BatchTarget,
        requests: Iterable[Any] | AsyncIterable[Any],
        *,
        return_exceptions: bool = True,
        on_progress: ProgressHook | None = None,
        journal: str | os.PathLike[str] | None = None,
        concurrency: int | None = None,
        wait: bool = False,
        max_active: int | None = None,
        download_dir: str | os.PathLike[str] | None = None,
        poll_interval: float = C.DEFAULT_POLL_INTERVAL,
        wait_timeout: float | None = C.DEFAULT_WAIT_TIMEOUT,
        events: WebhookReceiver | None = None,
        total: int | None = None,
        max_requeues: int = C.DEFAULT_MAX_REQUEUES,
        requeue_delay: float = C.DEFAULT_REQUEUE_DELAY,
    ) -> None:
        self.target = target
        self.return_exceptions = return_exceptions
        self.on_progress = on_progress
        self.wait = wait
        self.download_dir = Path(download_dir) if download_dir is not None else None
        if self.download_dir is not None and not wait:
            raise ValidationError("download_dir", "needs wait=True")
        self.poll_interval = poll_interval
        self.wait_timeout = wait_timeout
        if events is not None and not wait:
            raise ValidationError("events", "needs wait=True")
        self.events = events
        self.workers = _worker_count(concurrency, max_active, wait, target.max_concurrent_creates)
        self.max_requeues = _count("max_requeues", max_requeues)
        if (
            isinstance(requeue_delay, bool)
            or not isinstance(requeue_delay, (int, float))
            or not requeue_delay >= 0
        ):
            raise ValidationError("requeue_delay", f"must be a number >= 0, not {requeue_delay!r}")
        self.requeue_delay = float(requeue_delay)
        # Items put back after a transient failure, in the order they become ready again.
        self._requeued: collections.deque[tuple[float, _Item]] = collections.deque()
        self._input_done = False
        self.journal = Journal(journal) if journal is not None else None
        self.total = total if total is not None else _length_of(requests)
        self._source = requests
        self._sync: Iterator[Any] | None = None
        self._async: AsyncIterator[Any] | None = None
        self._pull_lock = asyncio.Lock()
        self._next_index = 0
        self._occurrences: dict[str, int] = {}
        self.started = self.done = self.succeeded = self.failed = self.resumed = 0
        self.requeued = 0
        self.in_flight = 0
        self._retries_at_start = target.retries()
        self._t0 = time.monotonic()

    # -- input -------------------------------------------------------------------------------

    def _open_source(self) -> None:
        source = self._source
        if isinstance(source, AsyncIterable):
            self._async = aiter(source)
        elif isinstance(source, Iterable) and not isinstance(source, (str, bytes, dict)):
            self._sync = iter(source)
        else:
            raise ValidationError("requests", "must be an iterable or async iterable of requests")

    async def _pull(self) -> _Item | None:
        """The next input item, or None when the input is exhausted."""
        if self._sync is not None:
            # next() cannot yield to the loop, so workers cannot interleave here.
            raw = next(self._sync, _END)
        else:
            assert self._async is not None
            async with self._pull_lock:  # one anext() at a time: async generators require it
                raw = await anext(self._async, _END)
        if raw is _END:
            return None
        index = self._next_index
        self._next_index += 1
        try:
            model = self._model(raw)
        except ValidationError as exc:
            return _Item(index, raw, exc, None)
        return _Item(index, raw, model, self._key(model))

    def _model(self, raw: Any) -> Any:
        cls = self.target.request_class
        if isinstance(raw, cls):
            return raw
        if isinstance(raw, dict):
            return build_model(cls, None, raw, "request")
        if isinstance(raw, str):
            return cls(raw)
        raise ValidationError(
            "request", f"must be a {cls.__name__}, a dict of its fields or a prompt str"
        )

    def _key(self, model: Any) -> str | None:
        """A stable name for the item across runs: its content, and which repeat of it it is."""
        if self.journal is None:
            return None
        canonical = json.dumps(unstructure(model), sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(canonical.encode()).hexdigest()[:24]
        seen = self._occurrences.get(digest, 0)
        self._occurrences[digest] = seen + 1
        return f"{digest}-{seen}"

    # -- running -----------------------------------------------------------------------------

    async def results(self) -> AsyncGenerator[BatchResult, None]:
        """Run the batch and yield each result as it completes."""
        self._open_source()
        if self.journal is not None:
            self.journal.open()
        # Bounded: a slow consumer holds the workers back instead of piling up results.
        queue: asyncio.Queue[BatchResult | BaseException | None] = asyncio.Queue(self.workers)
        workers = [asyncio.create_task(self._worker(queue)) for _ in range(self.workers)]
        try:
            finished = 0
            while finished < len(workers):
                result = await queue.get()
                if result is None:
                    finished += 1
                elif isinstance(result, BaseException):
                    raise result
                elif not self.return_exceptions and result.error is not None:
                    raise result.error
                else:
                    yield result
        finally:
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            if self.journal is not None:
                self.journal.close()

    async def _worker(self, queue: asyncio.Queue[BatchResult | BaseException | None]) -> None:
        try:
            while (item := await self._next()) is not None:
                if item.requeues == 0:
                    self.started += 1
                self.in_flight += 1
                await self._report()
                try:
                    result = await self._process(item)
                finally:
                    self.in_flight -= 1
                if result is None:  # put back for later: not done yet
                    continue
                self.done += 1
                if result.resumed:
                    self.resumed += 1
                elif result.ok:
                    self.succeeded += 1
                else:
                    self.failed += 1
                await self._report()
                await queue.put(result)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # a bug or a failing on_progress: stop the batch with it
            await queue.put(exc)
            return
        await queue.put(None)

    async def _next(self) -> _Item | None:
        """The next item to work on, or None when there is none left for this worker.

        A put-back item whose cool-down has passed goes first; then new input. Once the input
        is exhausted, or as many items wait as there are workers (a long outage must not pull
        the whole input into memory), a worker sleeps until the next put-back item is ready.
        """
        while True:
            if self._requeued:
                ready_at, item = self._requeued[0]
                wait = ready_at - self.target.clock()
                if wait <= 0 or self._input_done or len(self._requeued) >= self.workers:
                    self._requeued.popleft()
                    if wait > 0:
                        await self.target.sleep(wait)
                    return item
            if self._input_done:
                return None
            pulled = await self._pull()
            if pulled is not None:
                return pulled
            self._input_done = True

    def _requeue(self, item: _Item, error: HeyGenError) -> bool:
        """Put `item` back at the end of the queue if `error` was transient and it may."""
        if item.requeues >= self.max_requeues or not J.transient(error):
            return False
        delay = self.requeue_delay * 2.0 ** min(item.requeues, 30)
        item.requeues += 1
        self.requeued += 1
        self._requeued.append((self.target.clock() + delay, item))
        return True

    async def _report(self) -> None:
        if self.on_progress is None:
            return
        result = self.on_progress(self.progress())
        if inspect.isawaitable(result):
            await result

    def progress(self) -> BatchProgress:
        return BatchProgress(
            total=self.total,
            started=self.started,
            done=self.done,
            succeeded=self.succeeded,
            failed=self.failed,
            resumed=self.resumed,
            in_flight=self.in_flight,
            retried=self.target.retries() - self._retries_at_start,
            elapsed=time.monotonic() - self._t0,
        )

    async def _process(self, item: _Item) -> BatchResult | None:
        """The item's result, or None when it was put back to be tried again later."""
        if isinstance(item.model, ValidationError):
            return BatchResult(item.index, item.raw, None, item.model)
        entry = self.journal.get(item.key) if self.journal and item.key else None
        session = item.session
        try:
            if session is None and entry is not None and self._finished(entry):
                return self._resumed(item, entry)
            if session is None and entry is not None and entry.get("session_id"):
                # Never create it again: poll what exists (the video, once there is one).
                session = Session(session_id=entry["session_id"], video_id=entry.get("video_id"))
            elif session is None:
                session = await self._create(item, entry)
                item.session = session
                self._note(item, J.CREATED, session_id=session.session_id, error=None)
            if not self.wait:
                return BatchResult(item.index, item.raw, session, None)
            return await self._finish(item, session)
        except HeyGenError as exc:
            doubt = J.in_doubt(exc) if session is None else None
            requeued = self._requeue(item, exc)
            self._note_failure(item, exc, doubt, requeued)
            if requeued:
                return None
            return BatchResult(item.index, item.raw, session, exc)

    def _note_failure(
        self, item: _Item, error: HeyGenError, doubt: bool | None, requeued: bool
    ) -> None:
        fields: dict[str, Any] = {"error": J.describe_error(error), "in_doubt": doubt}
        if requeued:
            fields["requeued"] = item.requeues
        with contextlib.suppress(ConfigurationError):  # the journal itself may be what failed
            self._note(item, J.FAILED, **fields)

    def _finished(self, entry: dict[str, Any]) -> bool:
        status = entry.get("status")
        if self.download_dir is not None:
            return status == J.DOWNLOADED
        if self.wait:
            return status in (J.COMPLETED, J.DOWNLOADED)
        return status in (J.CREATED, J.COMPLETED, J.DOWNLOADED)

    def _resumed(self, item: _Item, entry: dict[str, Any]) -> BatchResult:
        session = Session(session_id=entry["session_id"], video_id=entry.get("video_id"))
        path = Path(entry["path"]) if entry.get("path") else None
        return BatchResult(item.index, item.raw, session, None, path=path, resumed=True)

    async def _create(self, item: _Item, entry: dict[str, Any] | None) -> Session:
        if item.idempotency_key is None:
            item.idempotency_key, generation = self._idempotency_key(item, entry)
            self._note(
                item, J.CREATING, idempotency_key=item.idempotency_key, generation=generation
            )
        return await self.target.create(item.model, idempotency_key=item.idempotency_key)

    def _idempotency_key(self, item: _Item, entry: dict[str, Any] | None) -> tuple[str, int | None]:
        """The key and its generation: the same for every attempt, requeue and resume of a
        create that may have reached HeyGen (it replays instead of creating again), a new one
        after a clean failure."""
        journal = self.journal
        if journal is None or item.key is None:
            return idempotency_key(None), None
        old = entry is not None and "generation" not in entry and entry.get("idempotency_key")
        if old and entry is not None and (entry.get("status") != J.FAILED or entry.get("in_doubt")):
            # Written before keys were derived: reuse the recorded key while in doubt.
            return str(entry["idempotency_key"]), None
        generation = journal.generation(item.key)
        return journal.idempotency_key(item.key, generation), generation

    async def _finish(self, item: _Item, session: Session) -> BatchResult:
        seen: list[Video] = []  # the videos the wait read: the last one is final, no re-read

        def keep_video(state: Session | Video) -> None:
            if isinstance(state, Video):
                seen.append(state)

        if session.video_id is not None:
            # Known from the journal: HeyGen's advice is to poll the video, not the session
            # (which may be gone by now).
            seen.append(
                await self.target.videos.wait(
                    session.video_id,
                    timeout=self.wait_timeout,
                    poll_interval=self.poll_interval,
                    events=self.events,
                )
            )
            done = attrs.evolve(session, status=SessionStatus.COMPLETED)
        else:
            done = await self.target.wait(
                session.session_id,
                timeout=self.wait_timeout,
                poll_interval=self.poll_interval,
                events=self.events,
                on_progress=keep_video,
            )
        if done.status != SessionStatus.COMPLETED:
            raise SessionFailedError(
                f"session {done.session_id} paused for input ({done.status}); unattended "
                "batches need sessions that proceed on their own (auto_proceed=True)",
                done,
            )
        video: Video | None = seen[-1] if seen and seen[-1].id == done.video_id else None
        path: Path | None = None
        if video is None and done.video_id is not None:
            video = await self.target.videos.get(done.video_id)
        self._note(item, J.COMPLETED, session_id=done.session_id, video_id=done.video_id)
        if self.download_dir is not None:
            if video is None:
                raise SessionFailedError(
                    f"session {done.session_id} finished without a video", done
                )
            self.download_dir.mkdir(parents=True, exist_ok=True)
            path = await self.target.videos.download(video, self.download_dir)
            self._note(item, J.DOWNLOADED, session_id=done.session_id, path=str(path))
        return BatchResult(item.index, item.raw, done, None, video=video, path=path)

    def _note(self, item: _Item, status: str, **fields: Any) -> None:
        if self.journal is not None and item.key is not None:
            self.journal.record(item.key, index=item.index, status=status, **fields)


def _count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(name, f"must be an int >= 0, not {value!r}")
    return value


def _worker_count(
    concurrency: int | None, max_active: int | None, wait: bool, max_concurrent_creates: int
) -> int:
    for name, value in (("concurrency", concurrency), ("max_active", max_active)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 1
        ):
            raise ValidationError(name, f"must be an int >= 1, not {value!r}")
    if wait:
        # Each worker holds at most one unfinished session: workers = sessions alive at once.
        return max_active if max_active is not None else C.DEFAULT_MAX_ACTIVE
    if concurrency is not None:
        return concurrency
    return max_concurrent_creates


def _length_of(requests: Any) -> int | None:
    try:
        return len(requests)
    except TypeError:
        return None


def run(
    target: BatchTarget, requests: Any, **options: Unpack[BatchOptions]
) -> AsyncGenerator[BatchResult, None]:
    """The results of a batch as they complete (see `AgentSessions.iter_create_many`)."""
    return _Runner(target, requests, **options).results()


async def run_ordered(
    target: BatchTarget, requests: Any, **options: Unpack[BatchOptions]
) -> list[BatchResult]:
    """Every result of a batch, in input order (see `AgentSessions.create_many`)."""
    results: list[BatchResult | None] = []
    stream = run(target, requests, **options)
    try:
        async for result in stream:
            # Indices arrive nearly in order: grow the list to fit, fill the gaps later.
            missing = result.index + 1 - len(results)
            if missing > 0:
                results.extend([None] * missing)
            results[result.index] = result
    finally:
        await stream.aclose()
    assert all(r is not None for r in results), "every index yields exactly one result"
    return cast(list[BatchResult], results)
