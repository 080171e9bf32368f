"""The exported surface of heygen_async is pinned: changing it must be deliberate."""

from __future__ import annotations

from typing import Any

import heygen_async as hg

EXPECTED = {
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


def test_defaults_are_the_documented_ones() -> None:
    import inspect

    from heygen_async.limits import RedisLimiter

    policy = hg.RetryPolicy()
    assert policy.max_retries == 3
    assert policy.retry_statuses == {429, 500, 502, 503, 504}
    assert (policy.backoff_base, policy.backoff_max, policy.max_retry_after) == (0.5, 8.0, 60.0)
    assert policy.deadline is None
    assert policy.retry_server_errors_on_create is True

    client = hg.AsyncHeyGen("k")
    assert client.limiter.max_concurrent == 4  # type: ignore[attr-defined]
    parameters = inspect.signature(hg.AsyncHeyGen).parameters
    assert parameters["max_concurrent_creates"].default == 4
    assert parameters["allow_insecure"].default is False

    redis = RedisLimiter("redis://127.0.0.1:1")
    assert (redis.namespace, redis.max_concurrent, redis.lease_seconds, redis.rate) == (
        "heygen",
        4,
        60.0,
        None,
    )
    assert inspect.signature(hg.webhooks.verify).parameters["tolerance"].default == 300.0
    assert inspect.signature(client.styles.list).parameters["page_size"].default == 20


def test_every_public_name_resolves() -> None:
    for name in hg.__all__:
        assert getattr(hg, name) is not None, name
    assert set(dir(hg)) >= set(hg.__all__)


def test_import_heygen_async_loads_no_heavy_module() -> None:
    """Names load when first used: importing the package costs nearly nothing, and the
    client does not pull in cattrs, tenacity or aiohttp.web until they are needed."""
    import subprocess
    import sys

    probe = (
        "import sys, heygen_async as hg\n"
        "bare = {m for m in ('aiohttp', 'cattrs', 'tenacity') if m in sys.modules}\n"
        "hg.AsyncHeyGen('k')\n"
        "client = {m for m in ('cattrs', 'tenacity', 'aiohttp.web') if m in sys.modules}\n"
        "print(sorted(bare), sorted(client))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[] []"


def test_design_signatures_of_the_seams_and_webhooks() -> None:
    """The signatures DESIGN.md fixes for the transport seam, MockTransport and webhooks."""
    import inspect

    from heygen_async.testing import MockResponse, MockTransport
    from heygen_async.webhooks import WebhookReceiver

    def params(fn: Any) -> dict[str, Any]:
        return {
            name: (p.kind.name, p.default)
            for name, p in inspect.signature(fn).parameters.items()
            if name != "self"
        }

    assert params(hg.AsyncHeyGen)["transport"] == ("KEYWORD_ONLY", None)
    assert params(MockTransport) == {"handler": ("POSITIONAL_OR_KEYWORD", inspect.Parameter.empty)}
    assert params(MockResponse) == {
        "status": ("POSITIONAL_OR_KEYWORD", inspect.Parameter.empty),
        "json": ("KEYWORD_ONLY", None),
        "content": ("KEYWORD_ONLY", b""),
        "headers": ("KEYWORD_ONLY", None),
    }
    assert params(WebhookReceiver)["tolerance"] == ("KEYWORD_ONLY", 300.0)
    assert set(inspect.signature(WebhookReceiver.serve).parameters) >= {"host", "port"}
    client = hg.AsyncHeyGen("k")
    create = params(client.webhooks.endpoints.create)
    assert {k: create[k] for k in ("url", "events", "entity_id")} == {
        "url": ("KEYWORD_ONLY", None),
        "events": ("KEYWORD_ONLY", None),
        "entity_id": ("KEYWORD_ONLY", None),
    }
    history = params(client.webhooks.events.list)
    assert history["event_type"] == ("KEYWORD_ONLY", None)
    assert history["entity_id"] == ("KEYWORD_ONLY", None)
    for wait in (client.sessions.wait, client.videos.wait, client.lipsyncs.wait):
        assert params(wait)["events"] == ("KEYWORD_ONLY", None)
