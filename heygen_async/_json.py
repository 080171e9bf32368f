"""JSON in and out: orjson when installed (`pip install heygen-async[fast]`), else the stdlib.

Both produce the same bytes for what the SDK sends: compact separators, UTF-8 text as is.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

_stdlib_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_stdlib_decode = json.JSONDecoder().decode


def _stdlib_dumps(value: Any) -> bytes:
    return _stdlib_encode(value).encode()


def _stdlib_loads(data: bytes) -> Any:
    # JSON over HTTP is UTF-8 (RFC 8259); a body that is not raises ValueError like bad JSON.
    return _stdlib_decode(data.decode())


dumps: Callable[[Any], bytes]
loads: Callable[[bytes], Any]
BACKEND: str

try:
    import orjson
except ImportError:
    dumps, loads, BACKEND = _stdlib_dumps, _stdlib_loads, "json"
else:
    dumps, loads, BACKEND = orjson.dumps, orjson.loads, "orjson"
