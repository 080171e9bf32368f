"""Limits on create calls: the `Limiter` protocol and its implementations.

`InProcessLimiter` is the default behind `AsyncHeyGen(max_concurrent_creates=...)`;
`RedisLimiter` shares the cap and the 429 cool-down among processes and machines
(`pip install heygen-async[redis]`).
"""

from ._limits import InProcessLimiter, Limiter
from ._redis_limiter import RedisLimiter

__all__ = ["InProcessLimiter", "Limiter", "RedisLimiter"]
