"""AsyncHeyGen: configuration, lifecycle, and the wiring of resources onto one pipeline."""

from __future__ import annotations

import asyncio
import functools
import os
import time
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypedDict
from urllib.parse import urlsplit

from . import _constants as C
from ._api import Api
from ._errors import ConfigurationError
from ._gen_client import RESOURCE_NAMES, Resources
from ._limits import InProcessLimiter, Limiter
from ._logging import configure_from_env
from ._pipeline import Clock, Pipeline, Sleep
from ._retry import RetryPolicy
from ._transport import AiohttpTransport, Timeout, Transport, user_agent
from .models._checks import is_loopback

if TYPE_CHECKING:
    import aiohttp

    from .resources.sessions import Sessions
    from .resources.styles import Styles

_UNSET: Any = object()
# The resources, made on first use by the cached properties of AsyncHeyGen and Resources.
_RESOURCES = ("sessions", "styles", *RESOURCE_NAMES)


class ClientOptions(TypedDict, total=False):
    """The keyword options of `AsyncHeyGen` (and so of `HeyGen`), as one typed set."""

    base_url: str | None
    timeout: float | Timeout | None
    retry: RetryPolicy | None
    max_concurrent_creates: int
    http_session: aiohttp.ClientSession | None
    default_headers: Mapping[str, str] | None
    allow_insecure: bool
    limiter: Limiter | None
    transport: Transport | None
    max_response_bytes: int
    sleep: Sleep | None
    clock: Clock | None


@functools.cache
def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # ~5 ms: only when needed

    try:
        return version("heygen-async")
    except PackageNotFoundError:  # running from a source tree
        return "0+unknown"


def _check_base_url(base_url: str, allow_insecure: bool) -> str:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"base_url must be an http(s) URL, not {base_url!r}")
    if parts.username or parts.password:
        raise ConfigurationError("base_url must not carry credentials")
    if parts.scheme == "http" and not allow_insecure and not is_loopback(parts.hostname):
        raise ConfigurationError(
            f"refusing plain http:// to {parts.hostname}: the API key would travel unencrypted; "
            "use https://, or pass allow_insecure=True"
        )
    return base_url.rstrip("/")


class AsyncHeyGen(Resources):
    """The asyncio client for HeyGen's API: the Video Agent and every v3 operation.

    Construction does no I/O and needs no running event loop; the connection pool opens on
    first use and closes with `await client.aclose()` or `async with`. The client may be used
    again from a new event loop once the previous one has closed (asyncio.run per task).

    Raises ConfigurationError when there is no API key (argument or HEYGEN_API_KEY), or the
    base URL is plain http:// to a host that is not loopback (unless `allow_insecure`).
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | Timeout | None = None,
        retry: RetryPolicy | None = None,
        max_concurrent_creates: int = C.DEFAULT_MAX_CONCURRENT_CREATES,
        http_session: aiohttp.ClientSession | None = None,
        default_headers: Mapping[str, str] | None = None,
        allow_insecure: bool = False,
        limiter: Limiter | None = None,
        transport: Transport | None = None,
        max_response_bytes: int = C.DEFAULT_MAX_RESPONSE_BYTES,
        sleep: Sleep | None = None,
        clock: Clock | None = None,
    ) -> None:
        configure_from_env()
        key = api_key if api_key is not None else os.environ.get(C.API_KEY_ENV)
        if key is None:
            raise ConfigurationError(
                f"no API key: pass api_key=... or set the {C.API_KEY_ENV} environment variable"
            )
        if not isinstance(key, str) or not key.strip():
            raise ConfigurationError("the API key must be a non-empty string")
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise ConfigurationError(f"retry must be an hg.RetryPolicy, not {type(retry).__name__}")
        if transport is not None:
            if http_session is not None:
                raise ConfigurationError("pass a transport or an http_session, not both")
            if not isinstance(transport, Transport):
                raise ConfigurationError(
                    f"transport must implement heygen_async.Transport, not {type(transport)!r}"
                )
        if (
            isinstance(max_response_bytes, bool)
            or not isinstance(max_response_bytes, int)
            or max_response_bytes < 1
        ):
            raise ConfigurationError("max_response_bytes must be an int >= 1")
        url = base_url if base_url is not None else os.environ.get(C.BASE_URL_ENV)
        self._base_url = _check_base_url(url or C.DEFAULT_BASE_URL, allow_insecure)
        self._api_key = key.strip()
        self._allow_insecure = allow_insecure
        self._timeout = Timeout.coerce(timeout)
        self._retry = retry if retry is not None else RetryPolicy()
        self._sleep: Sleep = sleep if sleep is not None else asyncio.sleep
        self._clock: Clock = clock if clock is not None else time.monotonic
        self._default_headers = dict(default_headers or {})
        self._limiter: Limiter = (
            limiter
            if limiter is not None
            else InProcessLimiter(max_concurrent_creates, clock=self._clock)
        )
        self._max_concurrent_creates = max_concurrent_creates
        self._max_response_bytes = max_response_bytes
        # Only a transport this client made is closed by it (a caller's is the caller's).
        self._owns_transport = transport is None
        self._derived = False  # made by with_options: shares the pool, closes nothing
        self._transport: Transport = (
            transport if transport is not None else AiohttpTransport(session=http_session)
        )
        self._wire()

    def _wire(self) -> None:
        agent = f"{C.USER_AGENT_PREFIX}/{_package_version()}"
        if isinstance(self._transport, AiohttpTransport):
            agent = f"{agent} {user_agent()}"
        headers = {
            "Accept": "application/json",
            "User-Agent": agent,
            **self._default_headers,
            "x-api-key": self._api_key,
        }
        # Resources are made (and their modules imported) when first used; a new wiring
        # (with_options) forgets the ones made on the old one.
        for name in _RESOURCES:
            self.__dict__.pop(name, None)
        self._api = Api(
            Pipeline(
                base_url=self._base_url,
                headers=headers,
                transport=self._transport,
                retry=self._retry,
                timeout=self._timeout,
                limiter=self._limiter,
                sleep=self._sleep,
                clock=self._clock,
                max_response_bytes=self._max_response_bytes,
            )
        )

    @functools.cached_property
    def sessions(self) -> Sessions:
        """The interactive sessions API: /v3/video-agents/sessions..."""
        from .resources.sessions import Sessions

        return Sessions(self._api, self.videos)

    @functools.cached_property
    def styles(self) -> Styles:
        """The Video Agent's styles (also `video_agents.styles`)."""
        from .resources.styles import Styles

        return Styles(self._api)

    def __repr__(self) -> str:
        return (
            f"AsyncHeyGen(base_url={self._base_url!r}, api_key=<hidden>, "
            f"max_concurrent_creates={self._max_concurrent_creates})"
        )

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def retry(self) -> RetryPolicy:
        return self._retry

    @property
    def timeout(self) -> Timeout:
        return self._timeout

    @property
    def limiter(self) -> Limiter:
        return self._limiter

    def with_options(
        self,
        *,
        timeout: float | Timeout | None = _UNSET,
        retry: RetryPolicy | None = _UNSET,
        max_concurrent_creates: int = _UNSET,
        default_headers: Mapping[str, str] | None = _UNSET,
    ) -> AsyncHeyGen:
        """A client with some settings changed that shares this one's connection pool.

        It shares the limiter too, unless `max_concurrent_creates` is given. Closing the
        derived client leaves the shared pool open; close the original.
        """
        clone = object.__new__(AsyncHeyGen)
        clone.__dict__.update(self.__dict__)
        if timeout is not _UNSET:
            clone._timeout = Timeout.coerce(timeout)
        if retry is not _UNSET:
            if retry is not None and not isinstance(retry, RetryPolicy):
                raise ConfigurationError("retry must be an hg.RetryPolicy")
            clone._retry = retry if retry is not None else RetryPolicy()
        if max_concurrent_creates is not _UNSET:
            clone._limiter = InProcessLimiter(max_concurrent_creates, clock=self._clock)
            clone._max_concurrent_creates = max_concurrent_creates
        if default_headers is not _UNSET:
            clone._default_headers = dict(default_headers or {})
        clone._derived = True
        clone._wire()
        return clone

    async def aclose(self) -> None:
        """Close the connection pool this client opened (never a caller-owned session)."""
        if self._derived:
            return
        if self._owns_transport:
            await self._transport.aclose()
        await self._limiter.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
