"""Video Agent sessions: what you send to create and steer one, and what HeyGen answers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

import attrs

from . import _checks
from .files import FileInput, check_files


class SessionStatus(StrEnum):
    """Session states HeyGen documents. Unknown states arrive as plain strings."""

    PROCESSING = "processing"  # interactive sessions API: the agent is working
    THINKING = "thinking"  # current API: the agent is working
    WAITING_FOR_INPUT = "waiting_for_input"
    REVIEWING = "reviewing"
    GENERATING = "generating"
    COMPLETED = "completed"
    FAILED = "failed"


SESSION_TERMINAL_STATUSES = frozenset({SessionStatus.COMPLETED, SessionStatus.FAILED})
# The agent is paused until someone answers; a generate-mode wait cannot answer it.
SESSION_NEEDS_INPUT_STATUSES = frozenset({SessionStatus.WAITING_FOR_INPUT, SessionStatus.REVIEWING})

Orientation = Literal["landscape", "portrait"]
Mode = Literal["generate", "chat"]


@attrs.frozen
class CreateSessionRequest:
    """The body of POST /v3/video-agents/sessions (the interactive sessions API)."""

    prompt: str = attrs.field(validator=_checks.text)
    avatar_id: str | None = attrs.field(default=None, kw_only=True, validator=_checks.optional_id)
    voice_id: str | None = attrs.field(default=None, kw_only=True, validator=_checks.optional_id)
    style_id: str | None = attrs.field(default=None, kw_only=True, validator=_checks.optional_id)
    orientation: Orientation | None = attrs.field(
        default=None, kw_only=True, validator=_checks.orientation
    )
    files: tuple[FileInput, ...] | None = attrs.field(
        default=None, kw_only=True, converter=_checks.to_tuple, validator=check_files
    )
    auto_proceed: bool = attrs.field(default=False, kw_only=True, validator=_checks.boolean)
    callback_url: str | None = attrs.field(
        default=None, kw_only=True, validator=_checks.callback_url
    )
    callback_id: str | None = attrs.field(
        default=None, kw_only=True, validator=_checks.optional_str
    )
    incognito_mode: bool = attrs.field(default=False, kw_only=True, validator=_checks.boolean)


@attrs.frozen
class CreateVideoAgentRequest:
    """The body of POST /v3/video-agents (the current API; it has no `auto_proceed`)."""

    prompt: str = attrs.field(validator=_checks.text)
    mode: Mode = attrs.field(
        default="generate", kw_only=True, validator=_checks.one_of("generate", "chat")
    )
    avatar_id: str | None = attrs.field(default=None, kw_only=True, validator=_checks.optional_id)
    voice_id: str | None = attrs.field(default=None, kw_only=True, validator=_checks.optional_id)
    style_id: str | None = attrs.field(default=None, kw_only=True, validator=_checks.optional_id)
    brand_kit_id: str | None = attrs.field(
        default=None, kw_only=True, validator=_checks.optional_id
    )
    orientation: Orientation | None = attrs.field(
        default=None, kw_only=True, validator=_checks.orientation
    )
    files: tuple[FileInput, ...] | None = attrs.field(
        default=None, kw_only=True, converter=_checks.to_tuple, validator=check_files
    )
    callback_url: str | None = attrs.field(
        default=None, kw_only=True, validator=_checks.callback_url
    )
    callback_id: str | None = attrs.field(
        default=None, kw_only=True, validator=_checks.optional_str
    )
    incognito_mode: bool = attrs.field(default=False, kw_only=True, validator=_checks.boolean)


@attrs.frozen
class SendMessageRequest:
    """The body of a follow-up message (both APIs; `auto_proceed` only on the sessions API)."""

    message: str = attrs.field(validator=_checks.text)
    avatar_id: str | None = attrs.field(default=None, kw_only=True, validator=_checks.optional_id)
    voice_id: str | None = attrs.field(default=None, kw_only=True, validator=_checks.optional_id)
    brand_kit_id: str | None = attrs.field(
        default=None, kw_only=True, validator=_checks.optional_id
    )
    files: tuple[FileInput, ...] | None = attrs.field(
        default=None, kw_only=True, converter=_checks.to_tuple, validator=check_files
    )
    auto_proceed: bool | None = attrs.field(default=None, kw_only=True)

    @auto_proceed.validator
    def _check_auto_proceed(self, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is not None:
            _checks.boolean(self, attribute, value)


@attrs.frozen(kw_only=True)
class SessionMessage:
    """One visible message of a session (newest first in `Session.messages`)."""

    role: str
    content: str
    type: str | None = None
    created_at: datetime | None = None
    resource_ids: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class Session:
    """A Video Agent session as HeyGen last reported it.

    `status` is a `SessionStatus` when HeyGen sent a known value, else the raw string; it is
    None for a create reply of the interactive sessions API, which carries no status.
    """

    session_id: str
    status: SessionStatus | str | None = None
    created_at: datetime | None = None
    video_id: str | None = None
    progress: int | None = None
    title: str | None = None
    messages: tuple[SessionMessage, ...] = ()

    @property
    def is_terminal(self) -> bool:
        return self.status in SESSION_TERMINAL_STATUSES

    @property
    def needs_input(self) -> bool:
        return self.status in SESSION_NEEDS_INPUT_STATUSES


@attrs.frozen(kw_only=True)
class SessionSummary:
    """One entry of `video_agents.list()`."""

    session_id: str
    created_at: datetime | None = None
    title: str | None = None


@attrs.frozen(kw_only=True)
class MessageReceipt:
    """HeyGen's acknowledgement of a message: the run it started."""

    session_id: str
    run_id: str | None = None
    title: str | None = None


@attrs.frozen(kw_only=True)
class SessionResource:
    """A storyboard draft, image, video, ... produced in (or uploaded to) a session."""

    resource_id: str
    resource_type: str
    source_type: str | None = None
    url: str | None = None
    thumbnail_url: str | None = None
    preview_url: str | None = None
    created_at: datetime | None = None
    metadata: dict[str, Any] | None = None
