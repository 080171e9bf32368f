"""`client.sessions`: the interactive sessions API (/v3/video-agents/sessions...)."""

from __future__ import annotations

from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Collection,
    Iterable,
    Sequence,
)
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn, Unpack

import attrs

from .. import _constants as C
from .. import _decode, batch
from .._api import Api, PageShape
from .._errors import HeyGenError, NotFoundError, SessionFailedError
from .._polling import Poller, ProgressCallback
from .._requests import Kind, Request, build_model, encode, idempotency_key, page_size_of, path_id
from ..batch import BatchOptions, BatchResult, BatchTarget
from ..models import (
    CreateSessionRequest,
    CreateVideoAgentRequest,
    FileInput,
    MessageReceipt,
    SendMessageRequest,
    SendVideoAgentMessageRequest,
    Session,
    SessionResource,
    SessionStatus,
    Video,
)
from ..models.sessions import SESSION_NEEDS_INPUT_STATUSES
from ..models.videos import VideoStatus
from ._base import Resource

if TYPE_CHECKING:
    from ..webhooks import WebhookReceiver
from .videos import Videos, failure, poll_video


class AgentSessions(Resource):
    """What both session APIs share; subclasses name their paths and request model."""

    _create_path: ClassVar[str]
    _request_class: ClassVar[type[CreateSessionRequest] | type[CreateVideoAgentRequest]]
    _message_class: ClassVar[type[SendMessageRequest] | type[SendVideoAgentMessageRequest]]
    # Statuses at which a plain `wait()` stops without raising.
    _returns_on: ClassVar[frozenset[str]]

    def __init__(self, api: Api, videos: Videos) -> None:
        super().__init__(api)
        self._videos = videos

    def _session_path(self, session_id: str) -> str:
        return f"{self._create_path}/{path_id('session_id', session_id)}"

    def _message_path(self, session_id: str) -> str:
        raise NotImplementedError

    def _create_request(self, request: Any, key: str | None, fields: dict[str, Any]) -> Request:
        """The create's Request, validated (ValidationError before any I/O)."""
        model = build_model(self._request_class, request, fields, "request")
        return Request(
            "POST",
            self._create_path,
            kind=Kind.CREATE,
            body=encode(model),
            idempotency_key=idempotency_key(key),
        )

    async def _create(self, request: Any, key: str | None, fields: dict[str, Any]) -> Session:
        # The hot path of every batch: no intermediate coroutine between here and the
        # pipeline (`create` of each API repeats these two lines for the same reason).
        status, headers, body = await self._api.send(self._create_request(request, key, fields))
        return _decode.data_model(status, headers, body, Session)

    async def get(self, session_id: str) -> Session:
        """The session's current state (status, progress, video_id, last 40 messages)."""
        return await self._api.get(self._session_path(session_id), Session)

    async def send_message(
        self,
        session_id: str,
        message: str,
        *,
        files: Sequence[FileInput] | None = None,
        **fields: Any,
    ) -> MessageReceipt:
        """Answer the agent, approve its storyboard, or ask for a revision."""
        path = self._message_path(session_id)
        model = build_model(
            self._message_class,
            None,
            {"message": message, "files": files, **fields},
            "message",
        )
        return await self._api.write("POST", path, model, MessageReceipt)

    async def wait(
        self,
        session_id: str,
        *,
        until: str | Collection[str] | None = None,
        timeout: float | None = C.DEFAULT_WAIT_TIMEOUT,
        poll_interval: float = C.DEFAULT_POLL_INTERVAL,
        max_poll_interval: float = C.DEFAULT_POLL_MAX_INTERVAL,
        on_progress: ProgressCallback[Session | Video] | None = None,
        events: WebhookReceiver | None = None,
    ) -> Session:
        """Poll until the session reaches `until` (a status or several), or else until it is done.

        Without `until`, the session is polled until its `video_id` appears, and then the
        video (HeyGen's advice: the session may 404 once the video exists) until it completes.
        Raises SessionFailedError (session `failed`), VideoFailedError (video `failed`) or
        WaitTimeoutError (`timeout` seconds passed; carries the last state). `on_progress`
        gets every Session and Video seen, and may be a coroutine function.

        With `events` (a webhooks.WebhookReceiver), the session (and then its video) is read
        when its event arrives instead of polled, and at least every `events.fallback`
        seconds; deliveries the receiver missed are recovered from the delivery history.
        """
        path = self._session_path(session_id)
        targets = {until} if isinstance(until, str) else set(until or ())
        async with self._api.poller(
            f"session {session_id}",
            timeout=timeout,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            on_progress=on_progress,
            events=events,
        ) as poller:
            await poller.follow(session_id)
            if not targets and not self._returns_on:
                # Nothing to stop at before the end, which has an event: wait for it first.
                await poller.begin()
            return await self._poll(path, targets, poller)

    async def _poll(self, path: str, targets: set[str], poller: Poller) -> Session:
        while True:
            session = await self._api.get(path, Session)
            await poller.report(session)
            status = session.status
            if targets and status in targets:
                return session
            if status == SessionStatus.FAILED:
                await self._raise_failure(session)
            if status == SessionStatus.COMPLETED and (targets or session.video_id is None):
                return session
            if not targets:
                if session.video_id is not None:
                    return await self._finish_with_video(session, poller)
                if status in self._returns_on:
                    return session
                if status in SESSION_NEEDS_INPUT_STATUSES:
                    raise SessionFailedError(
                        f"session {session.session_id} needs input (status {status}); answer it "
                        "with send_message, or wait with until=... to stop at this state",
                        session,
                    )
            await poller.pause()

    async def _raise_failure(self, session: Session) -> NoReturn:
        """A failed session's video, when it has one, usually says why (failure_code)."""
        if session.video_id is not None:
            try:
                video = await self._videos.get(session.video_id)
            except HeyGenError:
                video = None
            if video is not None and video.status == VideoStatus.FAILED:
                raise failure(video)
        raise SessionFailedError(_failure_text(session), session)

    async def create_many(
        self, requests: Iterable[Any] | AsyncIterable[Any], **options: Unpack[BatchOptions]
    ) -> list[BatchResult]:
        """Create a session per request; results in input order.

        `requests` is any iterable or async iterable of request models, dicts of their
        fields, or prompt strings; it is consumed lazily by `concurrency` workers (default:
        the client's `max_concurrent_creates`). A failed item becomes a result with `error`
        (`return_exceptions=True`), or, with False, the first error is raised once the rest
        are cancelled. `wait=True` also waits for each session to finish (and downloads its
        video into `download_dir`), never holding more than `max_active` (default 3)
        unfinished sessions. With `journal=path`, progress is recorded so a re-run skips
        finished items and never creates one twice. Every option: `batch.BatchOptions`.
        """
        return await batch.run_ordered(self._batch_target(), requests, **options)

    def iter_create_many(
        self, requests: Iterable[Any] | AsyncIterable[Any], **options: Unpack[BatchOptions]
    ) -> AsyncGenerator[BatchResult, None]:
        """Like `create_many`, but yields each BatchResult as it completes.

        Close it early with `contextlib.aclosing(...)` (or let it finish): closing cancels
        the items still running and waits for them.
        """
        return batch.run(self._batch_target(), requests, **options)

    def _batch_target(self) -> BatchTarget:
        return BatchTarget(
            create=lambda model, idempotency_key: self._create(model, idempotency_key, {}),
            request_class=self._request_class,
            wait=self.wait,
            videos=self._videos,
            max_concurrent_creates=self._api.max_concurrent_creates,
            retries=lambda: self._api.retries,
            sleep=self._api.sleep,
            clock=self._api.clock,
        )

    async def _finish_with_video(self, session: Session, poller: Poller) -> Session:
        assert session.video_id is not None
        if poller.events is not None and session.status != SessionStatus.COMPLETED:
            # On events: a video still rendering is read when its event comes, not now.
            await poller.follow(session.video_id)
            await poller.pause()
        video = await poll_video(self._api, session.video_id, poller)
        if video.status == VideoStatus.FAILED:
            raise failure(video)
        if session.status == SessionStatus.COMPLETED or poller.events is not None:
            # Read already (and final), or on events, where a read costs what events save:
            # the session is done once its video is.
            return attrs.evolve(session, status=SessionStatus.COMPLETED, video_id=video.id)
        try:
            final = await self.get(session.session_id)
        except NotFoundError:
            final = session
        if final.status != SessionStatus.COMPLETED:
            final = attrs.evolve(final, status=SessionStatus.COMPLETED, video_id=video.id)
        return final


class Sessions(AgentSessions):
    """`client.sessions`: create and steer interactive Video Agent sessions."""

    _create_path = "/v3/video-agents/sessions"
    _request_class = CreateSessionRequest
    _message_class = SendMessageRequest
    # An interactive session pauses for review by design: `wait()` returns there.
    _returns_on = frozenset(SESSION_NEEDS_INPUT_STATUSES)

    def _message_path(self, session_id: str) -> str:
        return f"{self._session_path(session_id)}/messages"

    async def stop(self, session_id: str) -> None:
        """Stop the session's run at its next checkpoint (partial results are kept)."""
        await self._api.write("POST", f"{self._session_path(session_id)}/stop", {}, None)

    async def create(
        self,
        request: CreateSessionRequest | None = None,
        /,
        *,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> Session:
        """Create an interactive session: POST /v3/video-agents/sessions.

        Pass a CreateSessionRequest or its fields as keywords. Raises ValidationError before
        sending anything if a field is invalid. Every attempt carries the same Idempotency-Key
        (yours, or a fresh uuid4), so a retried create never starts a second paid job.
        """
        call = self._create_request(request, idempotency_key, fields)
        status, headers, body = await self._api.send(call)
        return _decode.data_model(status, headers, body, Session)

    def list_resources(
        self,
        session_id: str,
        *,
        resource_ids: Sequence[str] | None = None,
        type: str | None = None,
        source: str | None = None,
        page_size: int = 8,
    ) -> AsyncIterator[SessionResource]:
        """Every resource of the session (storyboard drafts, images, ...), all pages."""
        path = f"{self._session_path(session_id)}/resources"
        query: dict[str, object] = {
            "resource_ids": ",".join(resource_ids) if resource_ids else None,
            "type": type,
            "source": source,
            "limit": page_size_of(page_size),
        }
        return self._api.paginate(path, query, SessionResource, _RESOURCE_PAGES)


_RESOURCE_PAGES = PageShape(items=("data", "resources"), cursor=("data", "next_cursor"))


def _failure_text(session: Session) -> str:
    errors = [m.content for m in session.messages if m.type == "error"]
    detail = errors[0] if errors else (session.messages[0].content if session.messages else "")
    text = f"session {session.session_id} failed"
    return f"{text}: {detail}" if detail else text
