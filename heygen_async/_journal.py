"""The batch journal: one JSON line per step of each item, flushed as it happens.

A re-run with the same input and journal reads it back: finished items are skipped, items
with a session id are polled instead of created again, and a create that may or may not have
reached HeyGen is sent again with the same Idempotency-Key, so HeyGen replays it.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import IO, Any

from ._errors import (
    APIConnectionError,
    ConfigurationError,
    InternalServerError,
    RateLimitError,
    VideoFailedError,
)

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory lock
    fcntl = None  # type: ignore[assignment]

# The states an item goes through, in order.
CREATING = "creating"  # about to send the create: in doubt until the next line
CREATED = "created"  # HeyGen gave a session id
COMPLETED = "completed"  # the session finished and its video is ready (wait mode)
DOWNLOADED = "downloaded"  # the video is on disk (wait mode with a download dir)
FAILED = "failed"


def in_doubt(error: BaseException) -> bool:
    """Whether a failed create may still have reached HeyGen (so its key must be reused)."""
    return isinstance(error, (APIConnectionError, InternalServerError, RateLimitError))


class Journal:
    """Appends item records to a JSON-lines file and remembers the latest state of each item."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.items: dict[str, dict[str, Any]] = {}
        self._file: IO[str] | None = None

    def open(self) -> Journal:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+", encoding="utf-8")
        if fcntl is not None:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                raise ConfigurationError(
                    f"the journal {self.path} is in use by another running batch"
                ) from None
        handle.seek(0)
        for number, line in enumerate(handle, 1):
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
                key = record["key"]
            except (ValueError, KeyError, TypeError):
                # A line cut short by a crash mid-write: everything before it still counts.
                if not line.startswith("{"):
                    handle.close()
                    raise ConfigurationError(
                        f"{self.path}:{number} is not a heygen-async journal line"
                    ) from None
                continue
            self.items.setdefault(key, {}).update(record)
        handle.seek(0, os.SEEK_END)
        if handle.tell() and not _ends_with_newline(self.path):
            handle.write("\n")  # finish a line a crash cut short, so the next one parses
        self._file = handle
        return self

    def close(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None

    def get(self, key: str) -> dict[str, Any] | None:
        return self.items.get(key)

    def record(self, key: str, **fields: Any) -> None:
        """Append a record for `key` and flush it to the OS (it survives a kill -9)."""
        assert self._file is not None, "journal not open"
        record = {"key": key, **fields}
        self._file.write(json.dumps(record, separators=(",", ":")) + "\n")
        self._file.flush()
        self.items.setdefault(key, {}).update(record)


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as f:
        f.seek(-1, os.SEEK_END)
        return f.read(1) == b"\n"


def describe_error(error: BaseException) -> dict[str, Any]:
    """An error as JSON: its class, message, and HeyGen's status, code and request id."""
    described: dict[str, Any] = {"type": type(error).__name__, "message": str(error)}
    for name in ("status", "code", "request_id"):
        value = getattr(error, name, None)
        if value is not None:
            described[name] = value
    if isinstance(error, VideoFailedError):
        described["video_id"] = error.video.id
    return described
