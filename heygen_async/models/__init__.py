"""attrs models of HeyGen's API, one module per area, loaded when first used (PEP 562)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._gen_index import MODULES as _GENERATED
from ._gen_index import __all__ as _GENERATED_ALL

if TYPE_CHECKING:
    from ._gen_index import *  # noqa: F403
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
        StopReceipt,
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
    "StopReceipt",
    "Style",
    "Video",
    "VideoStatus",
]


# Each public name and the module that defines it.
_LAZY = {
    "Account": ".users",
    "Asset": ".assets",
    "AssetBase64": ".files",
    "AssetId": ".files",
    "AssetUrl": ".files",
    "CreateSessionRequest": ".sessions",
    "CreateVideoAgentRequest": ".sessions",
    "FileInput": ".files",
    "MessageReceipt": ".sessions",
    "SESSION_NEEDS_INPUT_STATUSES": ".sessions",
    "SESSION_TERMINAL_STATUSES": ".sessions",
    "SendMessageRequest": ".sessions",
    "SendVideoAgentMessageRequest": ".sessions",
    "Session": ".sessions",
    "SessionMessage": ".sessions",
    "SessionResource": ".sessions",
    "SessionStatus": ".sessions",
    "SessionSummary": ".sessions",
    "StopReceipt": ".sessions",
    "Style": ".styles",
    "VIDEO_TERMINAL_STATUSES": ".videos",
    "Video": ".videos",
    "VideoStatus": ".videos",
}


# The generated models of HeyGen's whole API (`python -m codegen`).
_LAZY.update(_GENERATED)
__all__ += _GENERATED_ALL


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'heygen_async.models' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
