"""The types of HeyGen's blocking resources, for type checkers.

`HeyGen` builds its resources at run time from AsyncHeyGen's, so they cannot drift; these
Protocols give them static types. tests/test_workers.py checks that every method here has the
same parameters as its async twin. The generated operations' Protocols are generated too
(`_gen_sync_types.py`, by `python -m codegen`); the hand-written ones below extend them.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterable, Collection, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, Unpack

from . import _constants as C
from ._gen_sync_types import (
    SyncAssetsOperations,
    SyncUsersOperations,
    SyncVideoAgentsOperations,
    SyncVideosOperations,
)
from ._polling import ProgressCallback
from .batch import BatchOptions, BatchResult
from .models import (
    Asset,
    CreateSessionRequest,
    CreateVideoAgentRequest,
    FileInput,
    MessageReceipt,
    Session,
    SessionResource,
    SessionSummary,
    StopReceipt,
    Style,
    Video,
)
from .resources._files import FileSource
from .resources.videos import DownloadProgress

if TYPE_CHECKING:
    from .webhooks import WebhookReceiver


class SyncAgentSessions(Protocol):
    def get(self, session_id: str) -> Session: ...

    def send_message(
        self,
        session_id: str,
        message: str,
        *,
        files: Sequence[FileInput] | None = None,
        **fields: Any,
    ) -> MessageReceipt: ...

    def wait(
        self,
        session_id: str,
        *,
        until: str | Collection[str] | None = None,
        timeout: float | None = C.DEFAULT_WAIT_TIMEOUT,
        poll_interval: float = C.DEFAULT_POLL_INTERVAL,
        max_poll_interval: float = C.DEFAULT_POLL_MAX_INTERVAL,
        on_progress: ProgressCallback[Session | Video] | None = None,
        events: WebhookReceiver | None = None,
    ) -> Session: ...

    def create_many(
        self, requests: Iterable[Any] | AsyncIterable[Any], **options: Unpack[BatchOptions]
    ) -> list[BatchResult]: ...

    def iter_create_many(
        self, requests: Iterable[Any] | AsyncIterable[Any], **options: Unpack[BatchOptions]
    ) -> Iterator[BatchResult]: ...


class SyncSessions(SyncAgentSessions, Protocol):
    def stop(self, session_id: str) -> None: ...

    def create(
        self,
        request: CreateSessionRequest | None = None,
        /,
        *,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> Session: ...

    def list_resources(
        self,
        session_id: str,
        *,
        resource_ids: Sequence[str] | None = None,
        type: str | None = None,
        source: str | None = None,
        page_size: int = 8,
    ) -> Iterator[SessionResource]: ...


class SyncVideoAgents(SyncAgentSessions, SyncVideoAgentsOperations, Protocol):
    def stop(self, session_id: str) -> StopReceipt: ...

    def create(
        self,
        request: CreateVideoAgentRequest | None = None,
        /,
        *,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> Session: ...

    def list(self, *, page_size: int = 20) -> Iterator[SessionSummary]: ...

    def list_videos(self, session_id: str) -> Iterator[Video]: ...

    def get_resource(self, session_id: str, resource_id: str) -> SessionResource: ...


class SyncStyles(Protocol):
    def list(self, *, tag: str | None = None, page_size: int = 20) -> Iterator[Style]: ...


class SyncVideos(SyncVideosOperations, Protocol):
    def get(self, video_id: str) -> Video: ...

    def wait(
        self,
        video_id: str,
        *,
        timeout: float | None = C.DEFAULT_WAIT_TIMEOUT,
        poll_interval: float = C.DEFAULT_POLL_INTERVAL,
        max_poll_interval: float = C.DEFAULT_POLL_MAX_INTERVAL,
        on_progress: ProgressCallback[Video] | None = None,
        events: WebhookReceiver | None = None,
    ) -> Video: ...

    def download(
        self,
        video: Video | str,
        dest: str | os.PathLike[str],
        *,
        on_progress: DownloadProgress | None = None,
    ) -> Path: ...


class SyncAssets(SyncAssetsOperations, Protocol):
    def upload(
        self,
        file: FileSource,
        *,
        content_type: str | None = None,
        filename: str | None = None,
    ) -> Asset: ...


class SyncUsers(SyncUsersOperations, Protocol):
    """Blocking `client.users` (`me()` is generated)."""
