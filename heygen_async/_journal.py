"""The batch journal: one JSON line per step of each item, flushed as it happens.

A re-run with the same input and journal reads it back: finished items are skipped, items
with a session id are polled instead of created again, and a create that may or may not have
reached HeyGen is sent again with the same Idempotency-Key, so HeyGen replays it.

Each item's Idempotency-Key is derived from the journal's identity (a random id in its first
line, the one record that is fsynced) and the item's key, so even a journal whose last records
were lost (power cut, a copy taken mid-run) replays instead of creating again. Per-record
fsync is therefore not needed for safety (benchmarks/journal.py measures what it would cost);
records are flushed to the OS, which survives a kill -9.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import IO, Any

from ._errors import (
    APIConnectionError,
    APIError,
    ConfigurationError,
    LimiterError,
    VideoFailedError,
)
from ._requests import new_uuid4

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
    """Whether HeyGen may have acted on a create that failed (so its key must be reused).

    In doubt: a lost connection or a timeout, a 5xx, a 409 (``request_in_progress``: the first
    attempt is running at HeyGen), a 429, a 2xx that could not be read (HeyGen accepted it),
    and a limiter failure (an earlier attempt of the call may have been sent). Only an answer
    that proves nothing was created is a clean failure: another 4xx, or a refusal before any
    I/O (ValidationError, ConfigurationError).
    """
    if isinstance(error, APIConnectionError | LimiterError):
        return True
    if isinstance(error, APIError):
        return not 400 <= error.status < 500 or error.status in (409, 429)
    return False


def transient(error: BaseException) -> bool:
    """Whether the same create (same key) tried again later may well succeed: everything in
    doubt. A job that failed or a wait that ran out is final."""
    return in_doubt(error)


class Journal:
    """Appends item records to a JSON-lines file and remembers the latest state of each item."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.items: dict[str, dict[str, Any]] = {}
        self.identity: str | None = None  # set by open(): in every derived Idempotency-Key
        self._file: IO[str] | None = None

    def open(self) -> Journal:
        """Read the journal back (creating it if need be) and lock it for this run.

        Raises ConfigurationError when another run holds it, when it is not a journal, or
        when the file system refuses it (the OSError is chained).
        """
        try:
            return self._open()
        except OSError as exc:
            self.close()
            raise ConfigurationError(f"cannot use the journal {self.path}: {exc}") from exc

    def _open(self) -> Journal:
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
                if "journal" in record and self.identity is None:
                    self.identity = str(record["journal"])
                    continue
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
        if self.identity is None:
            # A new journal (or one written before journals had an identity): the one record
            # that must reach the disk, since every derived key depends on it.
            self.identity = new_uuid4()
            handle.write(json.dumps({"journal": self.identity, "version": 2}) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        return self

    def generation(self, key: str) -> int:
        """Which create of item `key` a run sends: the last one's again (HeyGen replays it),
        unless that one failed cleanly (a 4xx that proves nothing was created)."""
        entry = self.items.get(key) or {}
        generation = entry.get("generation", 0)
        if type(generation) is not int:
            generation = 0
        if entry.get("status") == FAILED and entry.get("in_doubt") is False:
            generation += 1
        return generation

    def idempotency_key(self, key: str, generation: int) -> str:
        """The Idempotency-Key of create number `generation` of item `key`: derived from the
        journal's identity, so the same in every run, whatever records were lost."""
        assert self.identity is not None, "journal not open"
        return f"hgj-{self.identity}-{key}-{generation}"

    def close(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.flush()
                os.fsync(self._file.fileno())
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None

    def get(self, key: str) -> dict[str, Any] | None:
        return self.items.get(key)

    def record(self, key: str, **fields: Any) -> None:
        """Append a record for `key` and flush it to the OS (it survives a kill -9).

        Raises ConfigurationError when the file system refuses (disk full, ...): a batch that
        cannot record its progress stops rather than create what it could not resume.
        """
        assert self._file is not None, "journal not open"
        record = {"key": key, **fields}
        try:
            self._file.write(json.dumps(record, separators=(",", ":")) + "\n")
            self._file.flush()
        except OSError as exc:
            raise ConfigurationError(f"cannot write the journal {self.path}: {exc}") from exc
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
