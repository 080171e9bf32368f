"""Video Agent sessions: what you send to create and steer one, and what HeyGen answers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

import attrs

from . import _checks
from .files import FileInput, check_files, to_files


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


def _documented_order(_: type, fields: list[attrs.Attribute[Any]]) -> list[attrs.Attribute[Any]]:
    """Put each family's own fields where its documented signature (and JSON body) has them.

    A field with ``metadata={"after": name}`` moves to just after `name`; the shared fields of
    the base class keep their order.
    """
    ordered = [f for f in fields if "after" not in f.metadata]
    for field in fields:
        if "after" in field.metadata:
            at = next(i for i, f in enumerate(ordered) if f.name == field.metadata["after"])
            ordered.insert(at + 1, field)
    return ordered


def _optional_id(*, after: str | None = None) -> Any:
    metadata = {} if after is None else {"after": after}
    return attrs.field(default=None, kw_only=True, validator=_checks.optional_id, metadata=metadata)


def _files() -> Any:
    return attrs.field(default=None, kw_only=True, converter=to_files, validator=check_files)


@attrs.frozen
class _CreateFields:
    """The fields both create bodies share; each API's request class adds its own."""

    prompt: str = attrs.field(validator=_checks.text)
    avatar_id: str | None = _optional_id()
    voice_id: str | None = _optional_id()
    style_id: str | None = _optional_id()
    orientation: Orientation | None = attrs.field(
        default=None, kw_only=True, validator=_checks.orientation
    )
    files: tuple[FileInput, ...] | None = _files()
    callback_url: str | None = attrs.field(
        default=None, kw_only=True, validator=_checks.callback_url
    )
    callback_id: str | None = attrs.field(
        default=None, kw_only=True, validator=_checks.optional_str
    )
    incognito_mode: bool = attrs.field(default=False, kw_only=True, validator=_checks.boolean)


@attrs.frozen(field_transformer=_documented_order)
class CreateSessionRequest(_CreateFields):
    """The body of POST /v3/video-agents/sessions (the interactive sessions API)."""

    auto_proceed: bool = attrs.field(
        default=False, kw_only=True, validator=_checks.boolean, metadata={"after": "files"}
    )


@attrs.frozen(field_transformer=_documented_order)
class CreateVideoAgentRequest(_CreateFields):
    """The body of POST /v3/video-agents (the current API; it has no `auto_proceed`)."""

    mode: Mode = attrs.field(
        default="generate",
        kw_only=True,
        validator=_checks.one_of("generate", "chat"),
        metadata={"after": "prompt"},
    )
    brand_kit_id: str | None = _optional_id(after="style_id")


@attrs.frozen
class _MessageFields:
    """The fields both send-message bodies share; each API's request class adds its own."""

    message: str = attrs.field(validator=_checks.text)
    avatar_id: str | None = _optional_id()
    voice_id: str | None = _optional_id()
    files: tuple[FileInput, ...] | None = _files()


@attrs.frozen
class SendMessageRequest(_MessageFields):
    """The body of POST /v3/video-agents/sessions/{id}/messages (the interactive sessions API).

    `auto_proceed=None` leaves the field out (HeyGen's default, False).
    """

    auto_proceed: bool | None = attrs.field(
        default=None, kw_only=True, validator=_checks.optional_boolean
    )


@attrs.frozen(field_transformer=_documented_order)
class SendVideoAgentMessageRequest(_MessageFields):
    """The body of POST /v3/video-agents/{id} (the current API; it has no `auto_proceed`)."""

    brand_kit_id: str | None = _optional_id(after="voice_id")


@attrs.frozen(kw_only=True)
class SessionMessage:
    """One visible message of a session (newest first in `Session.messages`)."""

    role: str
    content: str
    type: str  # "text", "resource" or "error" today; kept as sent
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
    # In every reply; None only on a Session the SDK rebuilds from a batch journal.
    created_at: datetime | None = attrs.field(default=None, metadata=_checks.ALWAYS_IN_REPLIES)
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
    created_at: datetime
    title: str | None = None


@attrs.frozen(kw_only=True)
class MessageReceipt:
    """HeyGen's acknowledgement of a message: the run it started."""

    session_id: str
    run_id: str
    title: str | None = None


@attrs.frozen(kw_only=True)
class StopReceipt:
    """HeyGen's acknowledgement of `video_agents.stop`: the session it will stop."""

    session_id: str


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
