"""RedisLimiter: the create cap and the 429 cool-down, shared by every worker on one Redis.

Keys (all under `namespace`):
- `{ns}:slots`   sorted set: one member per create in flight, scored by its lease expiry (ms).
                 A worker that dies stops renewing; its slots expire and are reclaimed.
- `{ns}:cooldown` a key whose TTL is the shared cool-down after a 429.
- `{ns}:rate`    sorted set of recent create start times, for `rate=(n, seconds)`.
- `{ns}:gone`    sorted set of abandoned slot tokens, scored by when they may be forgotten.
All times come from the Redis server's clock, so workers on different machines agree.

When Redis fails (down, paused, restarting, a script error), every call raises `LimiterError`
and the pipeline retries it within the call's deadline. A slot whose fate is unknown (its
acquire timed out or was cancelled, or its release failed) is "abandoned": the next time Redis
answers, it is removed and barred, so a command that a paused Redis runs late cannot take a
slot nobody will give back. Failing that, every slot is a lease and expires by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import random
import time
import urllib.parse
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from ._errors import ConfigurationError, LimiterError
from ._logging import logger
from ._loopbound import LoopBound

T = TypeVar("T")

# The limiter's commands are tiny scripts that Redis answers in well under a millisecond, so
# a Redis that says nothing for 2 s is stalled (paused, swapping, blocked by someone's slow
# command): the call fails with LimiterError and the pipeline's backoff retries it, instead
# of the call hanging for as long as the stall lasts. A connect gets 2 s: on a LAN it takes
# milliseconds, and 2 s still covers one lost SYN (Linux resends it after 1 s).
DEFAULT_SOCKET_TIMEOUT = 2.0
DEFAULT_SOCKET_CONNECT_TIMEOUT = 2.0

# KEYS: slots, cooldown, rate, gone. ARGV: token, cap, lease_ms, rate_n, rate_window_ms.
# Returns {code, wait_ms}: 0 taken; 1 cooling down; 2 no free slot; 3 over the rate;
# 4 the token was abandoned (its caller gave up; only a late, unread request sees this).
# Run twice with one token (a retry after a lost reply), it answers 0 again: the slot is held.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
if redis.call('ZSCORE', KEYS[4], ARGV[1]) then return {4, 0} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return {0, 0} end
local cooldown = redis.call('PTTL', KEYS[2])
if cooldown > 0 then return {1, cooldown} end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return {2, 0} end
local rate_n = tonumber(ARGV[4])
if rate_n > 0 then
  local window = tonumber(ARGV[5])
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - window)
  if redis.call('ZCARD', KEYS[3]) >= rate_n then
    local oldest = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
    return {3, tonumber(oldest[2]) + window - now}
  end
  redis.call('ZADD', KEYS[3], now, ARGV[1])
  redis.call('PEXPIRE', KEYS[3], window)
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
return {0, 0}
"""

# KEYS: slots. ARGV: lease_ms, token... Pushes the lease of every token still held.
_RENEW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[i])
end
return 0
"""

# KEYS: cooldown. ARGV: ms. Never shortens a longer cool-down.
_COOLDOWN = """
local ms = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[1]) < ms then redis.call('SET', KEYS[1], '1', 'PX', ms) end
return 0
"""

# KEYS: slots, gone. ARGV: lease_ms, token... Frees abandoned slots, and bars their tokens for
# a lease, in case their acquire is still on its way (buffered by a paused Redis).
_ABANDON = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 2, #ARGV do
  redis.call('ZREM', KEYS[1], ARGV[i])
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[1]), ARGV[i])
end
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[1]))
return 0
"""


class _Script:
    """A Lua script run by its SHA (EVALSHA), loaded again when Redis has lost it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.sha = hashlib.sha1(text.encode()).hexdigest()

    async def run(self, client: Any, keys: Sequence[str], args: Sequence[object]) -> Any:
        from redis.exceptions import NoScriptError

        try:
            return await client.evalsha(self.sha, len(keys), *keys, *map(str, args))
        except NoScriptError:  # a restarted Redis (or SCRIPT FLUSH) forgot every script
            await client.script_load(self.text)
            return await client.evalsha(self.sha, len(keys), *keys, *map(str, args))


_ACQUIRE_SCRIPT = _Script(_ACQUIRE)
_RENEW_SCRIPT = _Script(_RENEW)
_COOLDOWN_SCRIPT = _Script(_COOLDOWN)
_ABANDON_SCRIPT = _Script(_ABANDON)


class RedisLimiter:
    """A `Limiter` shared through Redis by every client with the same `url` and `namespace`.

    `max_concurrent_creates` caps creates in flight across all of them; each slot is a lease
    of `lease_seconds`, renewed while held and reclaimed if its worker dies. A 429 seen by
    one worker holds back the creates of all. `rate=(n, seconds)` also bounds how many creates
    start per interval. Needs `pip install heygen-async[redis]`.

    A Redis that is down, paused or restarting makes the limiter raise `LimiterError`, which
    the call retries with its backoff within its deadline; a Redis command that gets no answer
    within `socket_timeout` seconds (a connect: `socket_connect_timeout`) fails rather than
    hangs. Once Redis is back the same limiter works again. Leases are renewed through
    outages; a slot that cannot be given back expires with its lease.
    """

    def __init__(
        self,
        url: str,
        *,
        namespace: str = "heygen",
        max_concurrent_creates: int = 4,
        lease_seconds: float = 60.0,
        rate: tuple[int, float] | None = None,
        poll_interval: float = 0.05,
        socket_timeout: float = DEFAULT_SOCKET_TIMEOUT,
        socket_connect_timeout: float = DEFAULT_SOCKET_CONNECT_TIMEOUT,
    ) -> None:
        try:
            from redis.asyncio.connection import parse_url
        except ImportError:
            raise ConfigurationError(
                "RedisLimiter needs redis-py: pip install 'heygen-async[redis]'"
            ) from None
        if isinstance(max_concurrent_creates, bool) or not isinstance(max_concurrent_creates, int):
            raise ConfigurationError("max_concurrent_creates must be an int >= 1")
        if max_concurrent_creates < 1:
            raise ConfigurationError("max_concurrent_creates must be an int >= 1")
        if not lease_seconds > 0:
            raise ConfigurationError("lease_seconds must be > 0")
        if rate is not None and (len(rate) != 2 or int(rate[0]) < 1 or not rate[1] > 0):
            raise ConfigurationError("rate must be (n >= 1, seconds > 0)")
        if not socket_timeout > 0 or not socket_connect_timeout > 0:
            raise ConfigurationError("socket_timeout and socket_connect_timeout must be > 0")
        self._where = _redacted(url)
        try:
            parse_url(url)
        except ValueError as exc:
            raise ConfigurationError(f"not a Redis URL: {self._where} ({exc})") from None
        self.url = url
        self.namespace = namespace
        self.max_concurrent = max_concurrent_creates
        self.lease_seconds = lease_seconds
        self.rate = rate
        self.poll_interval = poll_interval
        self.socket_timeout = socket_timeout
        self.socket_connect_timeout = socket_connect_timeout
        self._secrets = _secrets(url)
        self._slots, self._cooldown, self._rate, self._gone = (
            f"{namespace}:{name}" for name in ("slots", "cooldown", "rate", "gone")
        )
        self._lease_ms = int(lease_seconds * 1000)
        self._held: list[str] = []
        # Slots whose fate is unknown, and when: freed and barred the next time Redis answers.
        self._abandoned: dict[str, float] = {}
        self._renewer: asyncio.Task[None] | None = None
        # redis-py's own annotations differ from release to release: held as Any on purpose.
        self._redis: LoopBound[Any] = LoopBound(
            self._connect, self._disconnect, _forget_client, what="RedisLimiter"
        )

    def __repr__(self) -> str:
        return (
            f"RedisLimiter({self._where!r}, namespace={self.namespace!r}, "
            f"max_concurrent_creates={self.max_concurrent}, held={len(self._held)})"
        )

    @property
    def in_flight(self) -> int:
        """Slots this process holds (the cap counts every worker's)."""
        return len(self._held)

    def _connect(self) -> Any:
        from redis.asyncio import Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff
        from redis.exceptions import ConnectionError

        return Redis.from_url(
            self.url,
            socket_timeout=self.socket_timeout,
            socket_connect_timeout=self.socket_connect_timeout,
            # One immediate retry on a dropped connection: after a Redis restart each pooled
            # connection is dead, and its first command would fail for nothing. Every command
            # here is idempotent (a token names its slot), so running one twice is harmless.
            # Never on a timeout: a stalled Redis fails the call, and the pipeline backs off.
            retry=Retry(NoBackoff(), 1, supported_errors=(ConnectionError,)),
        )

    async def _disconnect(self, client: Any) -> None:
        await self._stop_renewer()
        await self._call("close its connections", lambda _: client.aclose(), client=client)

    async def _call(
        self,
        doing: str,
        command: Callable[..., Awaitable[T]],
        *args: Any,
        client: Any = None,
    ) -> T:
        """`command(client, *args)`, with any failure of Redis raised as `LimiterError`."""
        from redis.exceptions import RedisError

        try:
            if client is None:
                client = self._redis.current() or await self._redis.get()
            return await command(client, *args)
        except (TimeoutError, RedisError, OSError) as exc:
            raise LimiterError(self._describe(doing, exc)) from exc

    def _describe(self, doing: str, exc: BaseException) -> str:
        detail = str(exc)
        for secret in self._secrets:
            detail = detail.replace(secret, "***")
        what = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
        return f"RedisLimiter could not {doing}: Redis at {self._where} failed ({what})"

    async def acquire(self) -> float:
        if self._abandoned:
            await self._give_back_abandoned()
        token = uuid.uuid4().hex
        rate_n, window_ms = (int(self.rate[0]), int(self.rate[1] * 1000)) if self.rate else (0, 0)
        keys = (self._slots, self._cooldown, self._rate, self._gone)
        try:
            while True:
                args = (token, self.max_concurrent, self._lease_ms, rate_n, window_ms)
                code, wait_ms = await self._call(
                    "take a create slot", _ACQUIRE_SCRIPT.run, keys, args
                )
                if code == 0:
                    self._held.append(token)
                    self._ensure_renewer()
                    return 0.0
                if code == 1:
                    return int(wait_ms) / 1000.0
                if code == 3:
                    await asyncio.sleep(max(int(wait_ms), 1) / 1000.0)
                elif code == 4:  # never for a live call; if it were, a fresh token is free
                    token = uuid.uuid4().hex
                else:
                    # No free slot anywhere: poll with jitter (releases are not pushed to waiters).
                    await asyncio.sleep(self.poll_interval * random.uniform(0.5, 1.5))
        except BaseException:
            # Redis may have run the script and the answer been lost (a timeout, a dropped
            # connection, a cancelled call): the slot, if taken, is given back later.
            if token not in self._held:
                self._abandoned[token] = time.monotonic()
            raise

    async def _give_back_abandoned(self) -> None:
        # A token abandoned a lease ago needs nothing: its slot, if taken, has expired. This
        # also bounds the list while Redis stays down and callers keep retrying.
        too_old = time.monotonic() - self.lease_seconds
        self._abandoned = {t: at for t, at in self._abandoned.items() if at > too_old}
        tokens = list(self._abandoned)
        if tokens:
            keys, args = (self._slots, self._gone), (self._lease_ms, *tokens)
            await self._call("give back abandoned create slots", _ABANDON_SCRIPT.run, keys, args)
            for token in tokens:
                self._abandoned.pop(token, None)

    async def release(self) -> None:
        """Give back a slot; if Redis fails, raises `LimiterError` (the lease expires it)."""
        if not self._held:
            return
        token = self._held.pop()
        try:
            await self._call("give back a create slot", lambda c: c.zrem(self._slots, token))
        except BaseException:
            self._abandoned[token] = time.monotonic()
            raise

    async def cooldown_remaining(self) -> float:
        ttl = await self._call("read the 429 cool-down", lambda c: c.pttl(self._cooldown))
        return max(0, int(ttl)) / 1000.0

    async def start_cooldown(self, seconds: float) -> None:
        if seconds <= 0:
            return
        ms = int(seconds * 1000)
        await self._call("share a 429 cool-down", _COOLDOWN_SCRIPT.run, (self._cooldown,), (ms,))

    async def aclose(self) -> None:
        """Close this loop's connections (held slots are left to their leases)."""
        await self._redis.aclose()

    def _ensure_renewer(self) -> None:
        if self._renewer is None or self._renewer.done():
            self._renewer = asyncio.get_running_loop().create_task(self._renew())

    async def _renew(self) -> None:
        """Keep the leases of held slots alive; stops when none are held.

        A failure is logged and tried again next round: a lease outlives two missed renewals,
        so an outage shorter than that costs no slot.
        """
        while self._held:
            await asyncio.sleep(self.lease_seconds / 3)
            if not self._held:
                break
            try:
                args = (self._lease_ms, *self._held)
                await self._call("renew its leases", _RENEW_SCRIPT.run, (self._slots,), args)
            except LimiterError as exc:
                logger.warning("%s; trying again in %.1fs", exc, self.lease_seconds / 3)
            except Exception:  # the task must outlive any surprise, or leases silently lapse
                logger.exception("RedisLimiter could not renew its leases")

    async def _stop_renewer(self) -> None:
        task, self._renewer = self._renewer, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _redacted(url: str) -> str:
    """`url` fit for a message: the user info and a `password=` query value masked."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return "<unparsable Redis URL>"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        user, colon, _ = userinfo.partition(":")
        # "user:password@" keeps the user; a lone "secret@" might be either: all masked.
        netloc = f"{user}:***@{host}" if colon and user else f"***@{host}"
    query = urllib.parse.urlencode(
        [
            (key, "***" if key.lower() == "password" else value)
            for key, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe="*",
    )
    return f"{parts.scheme}://{netloc}{parts.path}" + (f"?{query}" if query else "")


def _secrets(url: str) -> tuple[str, ...]:
    """What `_redacted` masks, as it may appear in a message: raw and URL-decoded."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return ()
    userinfo = parts.netloc.rpartition("@")[0]
    user, colon, password = userinfo.partition(":")
    found = {password if colon else user}
    found |= {v for k, v in urllib.parse.parse_qsl(parts.query) if k.lower() == "password"}
    found |= {urllib.parse.unquote(s) for s in found}
    return tuple(sorted((s for s in found if s), key=len, reverse=True))


def _forget_client(client: Any) -> None:
    """A Redis client whose loop is gone: nothing can be awaited; let its sockets go."""
    pool = getattr(client, "connection_pool", None)
    for connection in list(getattr(pool, "_available_connections", [])) + list(
        getattr(pool, "_in_use_connections", [])
    ):
        writer = getattr(connection, "_writer", None)
        transport = getattr(writer, "transport", None)
        sock = transport.get_extra_info("socket") if transport is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()
