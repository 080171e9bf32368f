"""RedisLimiter: the create cap and the 429 cool-down, shared by every worker on one Redis.

Keys (all under `namespace`):
- `{ns}:slots`   sorted set: one member per create in flight, scored by its lease expiry (ms).
                 A worker that dies stops renewing; its slots expire and are reclaimed.
- `{ns}:cooldown` a key whose TTL is the shared cool-down after a 429.
- `{ns}:rate`    sorted set of recent create start times, for `rate=(n, seconds)`.
All times come from the Redis server's clock, so workers on different machines agree.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from typing import Any

from ._errors import ConfigurationError
from ._loopbound import LoopBound

# KEYS: slots, cooldown, rate. ARGV: token, cap, lease_ms, rate_n, rate_window_ms.
# Returns {code, wait_ms}: 0 taken; 1 cooling down; 2 no free slot; 3 over the rate.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
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


class RedisLimiter:
    """A `Limiter` shared through Redis by every client with the same `url` and `namespace`.

    `max_concurrent_creates` caps creates in flight across all of them; each slot is a lease
    of `lease_seconds`, renewed while held and reclaimed if its worker dies. A 429 seen by
    one worker holds back the creates of all. `rate=(n, seconds)` also bounds how many creates
    start per interval. Needs `pip install heygen-async[redis]`.
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
    ) -> None:
        try:
            import redis.asyncio  # noqa: F401
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
        self.url = url
        self.namespace = namespace
        self.max_concurrent = max_concurrent_creates
        self.lease_seconds = lease_seconds
        self.rate = rate
        self.poll_interval = poll_interval
        self._keys = [f"{namespace}:slots", f"{namespace}:cooldown", f"{namespace}:rate"]
        self._held: list[str] = []
        self._renewer: asyncio.Task[None] | None = None
        # redis-py's own annotations differ from release to release: held as Any on purpose.
        self._redis: LoopBound[Any] = LoopBound(
            self._connect, self._disconnect, _forget_client, what="RedisLimiter"
        )

    def __repr__(self) -> str:
        return (
            f"RedisLimiter(namespace={self.namespace!r}, "
            f"max_concurrent_creates={self.max_concurrent}, held={len(self._held)})"
        )

    @property
    def in_flight(self) -> int:
        """Slots this process holds (the cap counts every worker's)."""
        return len(self._held)

    def _connect(self) -> Any:
        from redis.asyncio import Redis

        return Redis.from_url(self.url)

    async def _disconnect(self, client: Any) -> None:
        await self._stop_renewer()
        await client.aclose()

    async def _client(self) -> Any:
        return self._redis.current() or await self._redis.get()

    async def acquire(self) -> float:
        client = await self._client()
        token = uuid.uuid4().hex
        rate_n, window_ms = (int(self.rate[0]), int(self.rate[1] * 1000)) if self.rate else (0, 0)
        lease_ms = int(self.lease_seconds * 1000)
        while True:
            args = (token, self.max_concurrent, lease_ms, rate_n, window_ms)
            code, wait_ms = await client.eval(_ACQUIRE, 3, *self._keys, *map(str, args))
            if code == 0:
                self._held.append(token)
                self._ensure_renewer()
                return 0.0
            if code == 1:
                return int(wait_ms) / 1000.0
            if code == 3:
                await asyncio.sleep(max(int(wait_ms), 1) / 1000.0)
                continue
            # No free slot anywhere: poll with jitter (releases are not pushed to waiters).
            await asyncio.sleep(self.poll_interval * random.uniform(0.5, 1.5))

    async def release(self) -> None:
        if not self._held:
            return
        token = self._held.pop()
        client = await self._client()
        await client.zrem(self._keys[0], token)

    async def cooldown_remaining(self) -> float:
        client = await self._client()
        ttl = await client.pttl(self._keys[1])
        return max(0, int(ttl)) / 1000.0

    async def start_cooldown(self, seconds: float) -> None:
        if seconds <= 0:
            return
        client = await self._client()
        await client.eval(_COOLDOWN, 1, self._keys[1], str(int(seconds * 1000)))

    async def aclose(self) -> None:
        await self._redis.aclose()

    def _ensure_renewer(self) -> None:
        if self._renewer is None or self._renewer.done():
            self._renewer = asyncio.get_running_loop().create_task(self._renew())

    async def _renew(self) -> None:
        """Keep the leases of held slots alive; stops when none are held."""
        lease_ms = int(self.lease_seconds * 1000)
        while self._held:
            await asyncio.sleep(self.lease_seconds / 3)
            if self._held:
                client = await self._client()
                await client.eval(_RENEW, 1, self._keys[0], str(lease_ms), *self._held)

    async def _stop_renewer(self) -> None:
        task, self._renewer = self._renewer, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


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
