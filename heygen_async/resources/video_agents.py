"""`client.video_agents`: the current Video Agent API (/v3/video-agents, with `mode`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from .. import _decode
from .._requests import page_size_of
from ..models import (
    CreateVideoAgentRequest,
    SendVideoAgentMessageRequest,
    Session,
    SessionResource,
    SessionSummary,
    StopReceipt,
    Video,
)
from ._gen_video_agents import VideoAgentsOperations
from .sessions import AgentSessions


class VideoAgents(AgentSessions, VideoAgentsOperations):
    """`client.video_agents`: one-shot (`mode="generate"`) or multi-turn (`mode="chat"`) sessions.

    `wait()` raises SessionFailedError when a session pauses for input it was not told to stop
    at (`until=`): a generate-mode session should never pause, so waiting would never end.
    The nested namespaces (`styles`, `resources`, `videos`) come from the generated
    `VideoAgentsOperations`; `list_videos` and `get_resource` are their documented aliases.
    """

    _create_path = "/v3/video-agents"
    _request_class = CreateVideoAgentRequest
    _message_class = SendVideoAgentMessageRequest
    _returns_on = frozenset()

    def _message_path(self, session_id: str) -> str:
        return self._session_path(session_id)

    async def stop(self, session_id: str) -> StopReceipt:
        """Stop the session's run at its next checkpoint (partial results are kept)."""
        path = f"{self._session_path(session_id)}/stop"
        return await self._api.write("POST", path, {}, StopReceipt)

    async def create(
        self,
        request: CreateVideoAgentRequest | None = None,
        /,
        *,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> Session:
        """Create a session: POST /v3/video-agents (mode "generate" unless told "chat").

        Validates before sending; every attempt carries the same Idempotency-Key.
        """
        call = self._create_request(request, idempotency_key, fields)
        status, headers, body = await self._api.send(call)
        return _decode.data_model(status, headers, body, Session)

    def list(self, *, page_size: int = 20) -> AsyncIterator[SessionSummary]:
        """Every session of the account, newest first, fetched page by page as you iterate."""
        query = {"limit": page_size_of(page_size)}
        return self._api.paginate(self._create_path, query, SessionSummary)

    def list_videos(self, session_id: str) -> AsyncIterator[Video]:
        """Every video made in the session, newest first (alias of `videos.list`)."""
        return self.videos.list(session_id)

    async def get_resource(self, session_id: str, resource_id: str) -> SessionResource:
        """One resource of a session: a storyboard draft, an image, ... (alias of
        `resources.get`)."""
        return await self.resources.get(session_id, resource_id)
