"""heygen-async: an asyncio-first SDK for HeyGen's Video Agent API."""

from __future__ import annotations

from typing import Any

from . import limits, webhooks
from ._client import AsyncHeyGen
from ._errors import (
    ActionRequiredError,
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    HeyGenError,
    InsufficientCreditError,
    InternalServerError,
    JobFailedError,
    LimiterError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    SessionFailedError,
    UnprocessableEntityError,
    ValidationError,
    VideoFailedError,
    WaitTimeoutError,
    WebhookVerificationError,
)
from ._retry import RetryPolicy
from ._sync import HeyGen
from ._transport import Timeout, Transport
from .batch import BatchOptions, BatchProgress, BatchResult
from .models import (
    Account,
    Asset,
    AssetBase64,
    AssetId,
    AssetUrl,
    CreateSessionRequest,
    CreateVideoAgentRequest,
    FileInput,
    MessageReceipt,
    SendMessageRequest,
    SendVideoAgentMessageRequest,
    Session,
    SessionMessage,
    SessionResource,
    SessionStatus,
    SessionSummary,
    Style,
    Video,
    VideoStatus,
)

__all__ = [
    "APIConnectionError",
    "ActionRequiredError",
    "APIError",
    "APIResponseValidationError",
    "APITimeoutError",
    "Account",
    "Asset",
    "AssetBase64",
    "AssetId",
    "AssetUrl",
    "AsyncHeyGen",
    "AuthenticationError",
    "BadRequestError",
    "BatchOptions",
    "BatchProgress",
    "BatchResult",
    "ConfigurationError",
    "ConflictError",
    "CreateSessionRequest",
    "CreateVideoAgentRequest",
    "FileInput",
    "HeyGen",
    "HeyGenError",
    "InsufficientCreditError",
    "InternalServerError",
    "JobFailedError",
    "LimiterError",
    "MessageReceipt",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitError",
    "RetryPolicy",
    "SendMessageRequest",
    "SendVideoAgentMessageRequest",
    "Session",
    "SessionFailedError",
    "SessionMessage",
    "SessionResource",
    "SessionStatus",
    "SessionSummary",
    "Style",
    "Timeout",
    "Transport",
    "UnprocessableEntityError",
    "ValidationError",
    "Video",
    "VideoFailedError",
    "VideoStatus",
    "WaitTimeoutError",
    "WebhookVerificationError",
    "__version__",
    "limits",
    "webhooks",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import version

        return version("heygen-async")
    raise AttributeError(f"module 'heygen_async' has no attribute {name!r}")
