"""Limits on create calls: the `Limiter` protocol and its implementations.

`InProcessLimiter` is the default behind `AsyncHeyGen(max_concurrent_creates=...)`.
"""

from ._limits import InProcessLimiter, Limiter

__all__ = ["InProcessLimiter", "Limiter"]
