"""The exported surface of heygen_async is pinned: changing it must be deliberate."""

from __future__ import annotations

import heygen_async as hg

EXPECTED = {
    "APIConnectionError",
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
    "BatchProgress",
    "BatchResult",
    "ConfigurationError",
    "ConflictError",
    "CreateSessionRequest",
    "CreateVideoAgentRequest",
    "HeyGen",
    "HeyGenError",
    "InsufficientCreditError",
    "InternalServerError",
    "MessageReceipt",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitError",
    "RetryPolicy",
    "SendMessageRequest",
    "Session",
    "SessionFailedError",
    "SessionMessage",
    "SessionResource",
    "SessionStatus",
    "SessionSummary",
    "Style",
    "Timeout",
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
}


def test_all_is_pinned() -> None:
    assert set(hg.__all__) == EXPECTED
    assert len(hg.__all__) == len(EXPECTED)
    for name in hg.__all__:
        assert getattr(hg, name) is not None


def test_error_tree() -> None:
    assert issubclass(hg.ValidationError, ValueError)
    assert issubclass(hg.APITimeoutError, hg.APIConnectionError)
    for cls in (
        hg.BadRequestError,
        hg.AuthenticationError,
        hg.InsufficientCreditError,
        hg.PermissionDeniedError,
        hg.NotFoundError,
        hg.ConflictError,
        hg.PayloadTooLargeError,
        hg.UnprocessableEntityError,
        hg.RateLimitError,
        hg.InternalServerError,
        hg.APIResponseValidationError,
    ):
        assert issubclass(cls, hg.APIError)
    for cls in (
        hg.ConfigurationError,
        hg.ValidationError,
        hg.APIConnectionError,
        hg.APIError,
        hg.SessionFailedError,
        hg.VideoFailedError,
        hg.WaitTimeoutError,
        hg.WebhookVerificationError,
    ):
        assert issubclass(cls, hg.HeyGenError)


def test_version_is_the_distribution_version() -> None:
    from importlib.metadata import version

    assert hg.__version__ == version("heygen-async")


def test_py_typed_is_shipped() -> None:
    from pathlib import Path

    assert (Path(hg.__file__).parent / "py.typed").is_file()
