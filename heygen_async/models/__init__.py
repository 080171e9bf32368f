"""attrs models of the HeyGen Video Agent API, one module per area."""

from .assets import Asset
from .files import AssetBase64, AssetId, AssetUrl, FileInput
from .sessions import (
    SESSION_NEEDS_INPUT_STATUSES,
    SESSION_TERMINAL_STATUSES,
    CreateSessionRequest,
    CreateVideoAgentRequest,
    MessageReceipt,
    SendMessageRequest,
    SendVideoAgentMessageRequest,
    Session,
    SessionMessage,
    SessionResource,
    SessionStatus,
    SessionSummary,
)
from .styles import Style
from .users import Account
from .videos import VIDEO_TERMINAL_STATUSES, Video, VideoStatus

__all__ = [
    "SESSION_NEEDS_INPUT_STATUSES",
    "SESSION_TERMINAL_STATUSES",
    "VIDEO_TERMINAL_STATUSES",
    "Account",
    "Asset",
    "AssetBase64",
    "AssetId",
    "AssetUrl",
    "CreateSessionRequest",
    "CreateVideoAgentRequest",
    "FileInput",
    "MessageReceipt",
    "SendMessageRequest",
    "SendVideoAgentMessageRequest",
    "Session",
    "SessionMessage",
    "SessionResource",
    "SessionStatus",
    "SessionSummary",
    "Style",
    "Video",
    "VideoStatus",
]
