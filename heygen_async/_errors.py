"""The exceptions heygen-async raises.

```
HeyGenError
├── ConfigurationError
├── ValidationError (also ValueError)
├── APIConnectionError
│   └── APITimeoutError
├── APIError                      status, code, message, param, request_id, headers, body
│   ├── BadRequestError 400       ├── ConflictError 409
│   ├── AuthenticationError 401   ├── PayloadTooLargeError 413
│   ├── InsufficientCreditError 402 ├── UnprocessableEntityError 422
│   ├── PermissionDeniedError 403 ├── RateLimitError 429 (retry_after)
│   ├── NotFoundError 404         ├── InternalServerError 5xx
│   └── APIResponseValidationError (a 2xx reply that is not what the API documents)
├── JobFailedError                            (job: the last state of a failed job)
│   └── SessionFailedError / VideoFailedError (session / video: the last state)
├── ActionRequiredError                       (job: waits for its owner, e.g. consent)
├── WaitTimeoutError                          (the last state seen)
├── LimiterError                              (the shared limiter, e.g. Redis, failed)
└── WebhookVerificationError                  (reason: signature | timestamp | payload)
```
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:  # the models import this module: only type checkers may import them here
    from .models.sessions import Session
    from .models.videos import Video

__all__ = [
    "APIConnectionError",
    "ActionRequiredError",
    "APIError",
    "APIResponseValidationError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "HeyGenError",
    "InsufficientCreditError",
    "InternalServerError",
    "JobFailedError",
    "LimiterError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitError",
    "SessionFailedError",
    "UnprocessableEntityError",
    "ValidationError",
    "VideoFailedError",
    "WaitTimeoutError",
    "WebhookVerificationError",
]


class HeyGenError(Exception):
    """Base class of every error heygen-async raises."""


class ConfigurationError(HeyGenError):
    """The client is configured in a way that cannot work (no API key, insecure URL, ...)."""


class ValidationError(HeyGenError, ValueError):
    """Input was refused before anything was sent; `field` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class APIConnectionError(HeyGenError):
    """The request did not get an HTTP response (DNS, refused, reset, TLS, ...)."""


class APITimeoutError(APIConnectionError):
    """The request, or the call's deadline, timed out."""


class APIError(HeyGenError):
    """HeyGen answered with an error status.

    `code` is HeyGen's error code (or one derived from the status when the body is not
    HeyGen's envelope), `body` the raw text of the reply, `request_id` its X-Request-Id.
    """

    status_code: ClassVar[int | None] = None

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        param: str | None = None,
        doc_url: str | None = None,
        request_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        body: str = "",
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.param = param
        self.doc_url = doc_url
        self.request_id = request_id
        self.headers: Mapping[str, str] = headers if headers is not None else {}
        self.body = body
        self.retry_after = retry_after
        super().__init__(self._describe())

    def _describe(self) -> str:
        text = f"{self.status} {self.code}: {self.message}"
        if self.param:
            text += f" (param {self.param})"
        if self.request_id:
            text += f" (request id {self.request_id})"
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        kwargs = {
            "param": self.param,
            "doc_url": self.doc_url,
            "request_id": self.request_id,
            "headers": dict(self.headers),
            "body": self.body,
            "retry_after": self.retry_after,
        }
        return (_rebuild_api_error, (type(self), self.status, self.code, self.message, kwargs))


def _rebuild_api_error(
    cls: type[APIError], status: int, code: str, message: str, kwargs: dict[str, Any]
) -> APIError:
    return cls(status, code, message, **kwargs)


class BadRequestError(APIError):
    status_code = 400


class AuthenticationError(APIError):
    status_code = 401


class InsufficientCreditError(APIError):
    status_code = 402


class PermissionDeniedError(APIError):
    status_code = 403


class NotFoundError(APIError):
    status_code = 404


class ConflictError(APIError):
    status_code = 409


class PayloadTooLargeError(APIError):
    status_code = 413


class UnprocessableEntityError(APIError):
    status_code = 422


class RateLimitError(APIError):
    """429: slow down. `retry_after` is the server's wait in seconds, when it gave one."""

    status_code = 429


class InternalServerError(APIError):
    """Any 5xx reply."""


class APIResponseValidationError(APIError):
    """A successful reply whose body is not what the API documents (not JSON, fields missing)."""


class JobFailedError(HeyGenError):
    """A job (a video, a translation, a lipsync, an avatar's training, ...) ended failed or
    cancelled; `job` is its last state (the typed model of its `get`)."""

    def __init__(self, message: str, job: Any) -> None:
        super().__init__(message)
        self.job = job


class ActionRequiredError(HeyGenError):
    """A job waits for its owner (an avatar's `pending_consent`, a session's
    `waiting_for_input`): a `wait` would never end. `job` is its last state."""

    def __init__(self, message: str, job: Any) -> None:
        super().__init__(message)
        self.job = job


class SessionFailedError(JobFailedError):
    """A Video Agent session ended in `failed`, or needs input a `wait` cannot give it.

    `session` is the last state seen; its `messages` usually say why.
    """

    def __init__(self, message: str, session: Session) -> None:
        super().__init__(message, session)
        self.session = session


class VideoFailedError(JobFailedError):
    """A video ended in `failed`; `video` carries `failure_code` and `failure_message`."""

    def __init__(self, message: str, video: Video) -> None:
        super().__init__(message, video)
        self.video = video


class WaitTimeoutError(HeyGenError, TimeoutError):
    """`wait` ran past its timeout; `last` is the last state seen (or None)."""

    def __init__(self, message: str, last: Session | Video | None) -> None:
        super().__init__(message)
        self.last = last


class LimiterError(HeyGenError):
    """The limiter behind `max_concurrent_creates` could not be used (Redis down, paused,
    restarting). Nothing was sent to HeyGen; the call retries it like a dropped connection."""


class WebhookVerificationError(HeyGenError):
    """A webhook failed verification; `reason` is "signature", "timestamp" or "payload"."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


STATUS_ERRORS: dict[int, type[APIError]] = {
    cls.status_code: cls
    for cls in (
        BadRequestError,
        AuthenticationError,
        InsufficientCreditError,
        PermissionDeniedError,
        NotFoundError,
        ConflictError,
        PayloadTooLargeError,
        UnprocessableEntityError,
        RateLimitError,
    )
    if cls.status_code is not None
}


def error_class_for(status: int) -> type[APIError]:
    """The APIError subclass for an HTTP status."""
    if status >= 500:
        return InternalServerError
    return STATUS_ERRORS.get(status, APIError)
