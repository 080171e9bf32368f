"""Limits on create calls: the `Limiter` protocol and its implementations.

`InProcessLimiter` is the default behind `AsyncHeyGen(max_concurrent_creates=...)`;
`RedisLimiter` shares the cap and the 429 cool-down among processes and machines
(`pip install heygen-async[redis]`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._limits import InProcessLimiter, Limiter

if TYPE_CHECKING:
    from ._redis_limiter import RedisLimiter

__all__ = ["InProcessLimiter", "Limiter", "RedisLimiter"]


def __getattr__(name: str) -> Any:
    if name == "RedisLimiter":  # loaded when first used (PEP 562)
        from ._redis_limiter import RedisLimiter

        return RedisLimiter
    raise AttributeError(f"module 'heygen_async.limits' has no attribute {name!r}")
