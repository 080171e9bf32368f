"""Modules loaded on first use, not at `import heygen_async`.

Building the cattrs converter (its hooks for every model) costs ~20 ms; a process that never
decodes a reply need not pay it, and one that does pays it once.
"""

from __future__ import annotations

from types import ModuleType

_loaded: list[ModuleType] = []


def converter() -> ModuleType:
    """`heygen_async._convert`, imported the first time it is needed."""
    if not _loaded:
        from . import _convert

        _loaded.append(_convert)
    return _loaded[0]
