"""The converter's two hot functions, loaded on first use, not at `import heygen_async`.

Building the cattrs converter (its hooks for every model) costs ~20 ms; a process that never
decodes a reply need not pay it, and one that does pays it once. `structure` and
`unstructure` here replace themselves with the converter's own on their first call, so later
calls cost nothing extra.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

_loaded: list[ModuleType] = []


def converter() -> ModuleType:
    """`heygen_async._convert`, imported the first time it is needed."""
    if not _loaded:
        from . import _convert

        global structure, unstructure
        structure, unstructure = _convert.structure, _convert.unstructure
        _loaded.append(_convert)
    return _loaded[0]


def _first_structure(data: Any, cls: Any) -> Any:
    return converter().structure(data, cls)


def _first_unstructure(obj: Any) -> Any:
    return converter().unstructure(obj)


# Callers look these up on the module (`_lazy.structure(...)`), so they see the real ones
# once `converter()` has run.
structure: Any = _first_structure
unstructure: Any = _first_unstructure
