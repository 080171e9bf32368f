"""heygen-async: an asyncio-first SDK for HeyGen's API (the Video Agent and all of v3).

Names are loaded when first used (PEP 562): `import heygen_async` stays cheap however much of
HeyGen's API the package covers, and `hg.AsyncHeyGen` costs what the client needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time, `__getattr__` below
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


# Each public name and the module that defines it ("." + name: a submodule).
_LAZY = {
    "APIConnectionError": "._errors",
    "APIError": "._errors",
    "APIResponseValidationError": "._errors",
    "APITimeoutError": "._errors",
    "Account": ".models",
    "ActionRequiredError": "._errors",
    "Asset": ".models",
    "AssetBase64": ".models",
    "AssetId": ".models",
    "AssetUrl": ".models",
    "AsyncHeyGen": "._client",
    "AuthenticationError": "._errors",
    "BadRequestError": "._errors",
    "BatchOptions": ".batch",
    "BatchProgress": ".batch",
    "BatchResult": ".batch",
    "ConfigurationError": "._errors",
    "ConflictError": "._errors",
    "CreateSessionRequest": ".models",
    "CreateVideoAgentRequest": ".models",
    "FileInput": ".models",
    "HeyGen": "._sync",
    "HeyGenError": "._errors",
    "InsufficientCreditError": "._errors",
    "InternalServerError": "._errors",
    "JobFailedError": "._errors",
    "LimiterError": "._errors",
    "MessageReceipt": ".models",
    "NotFoundError": "._errors",
    "PayloadTooLargeError": "._errors",
    "PermissionDeniedError": "._errors",
    "RateLimitError": "._errors",
    "RetryPolicy": "._retry",
    "SendMessageRequest": ".models",
    "SendVideoAgentMessageRequest": ".models",
    "Session": ".models",
    "SessionFailedError": "._errors",
    "SessionMessage": ".models",
    "SessionResource": ".models",
    "SessionStatus": ".models",
    "SessionSummary": ".models",
    "Style": ".models",
    "Timeout": "._transport",
    "Transport": "._transport",
    "UnprocessableEntityError": "._errors",
    "ValidationError": "._errors",
    "Video": ".models",
    "VideoFailedError": "._errors",
    "VideoStatus": ".models",
    "WaitTimeoutError": "._errors",
    "WebhookVerificationError": "._errors",
    "limits": ".limits",
    "webhooks": ".webhooks",
}


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import version

        return version("heygen-async")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'heygen_async' has no attribute {name!r}")
    if module == f".{name}":
        value = importlib.import_module(module, __name__)
    else:
        value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
