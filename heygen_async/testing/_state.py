"""What FakeHeyGen keeps about each job: sessions, their flows, and videos."""

from __future__ import annotations

import itertools
import time
from typing import Any

import attrs

# Session state machines, one per kind of session. "reviewing" and "waiting_for_input" are
# pauses: only a message (or `FakeHeyGen.advance`) moves the session on from there. The
# flows run in _machine.py.
INTERACTIVE_FLOW = ("processing", "reviewing", "generating", "completed")
INTERACTIVE_AUTO_FLOW = ("processing", "generating", "completed")
GENERATE_FLOW = ("thinking", "generating", "completed")
CHAT_FLOW = ("thinking", "reviewing", "generating", "completed")
PAUSES = frozenset({"reviewing", "waiting_for_input"})
TERMINAL = frozenset({"completed", "failed"})

_ids = itertools.count(1)


def new_id(prefix: str) -> str:
    return f"{prefix}_{next(_ids):06d}"


@attrs.define
class FakeVideo:
    video_id: str
    session_id: str
    status: str = "processing"
    created_at: int = attrs.field(factory=lambda: int(time.time()))
    completed_at: int | None = None
    url_version: int = 0
    failure_code: str | None = None
    failure_message: str | None = None
    size: int = 256 * 1024
    title: str | None = None  # None: named after its session

    def as_json(self, base_url: str) -> dict[str, Any]:
        done = self.status == "completed"
        return {
            "id": self.video_id,
            "status": self.status,
            "title": self.title or f"Video of {self.session_id}",
            "created_at": self.created_at,
            "completed_at": self.completed_at,
            "video_url": (
                f"{base_url}/files/{self.video_id}.mp4?v={self.url_version}" if done else None
            ),
            "thumbnail_url": f"{base_url}/files/{self.video_id}.jpg" if done else None,
            "duration": 42.0 if done else None,
            "failure_code": self.failure_code,
            "failure_message": self.failure_message,
        }

    def content(self) -> bytes:
        """Deterministic bytes of `size` length (an mp4 header, then a repeating pattern)."""
        head = b"\x00\x00\x00\x18ftypmp42" + self.video_id.encode()
        pattern = (head + b"heygen-async fake video " * 8) or b"x"
        reps = self.size // len(pattern) + 1
        return (pattern * reps)[: self.size]


@attrs.define
class FakeSession:
    session_id: str
    api: str  # "sessions" (interactive API) or "video_agents" (current API)
    mode: str  # "interactive", "generate" or "chat"
    prompt: str
    flow: tuple[str, ...]
    callback_url: str | None = None
    callback_id: str | None = None
    idempotency_key: str | None = None  # of the create that made it
    step: int = 0
    status: str = ""
    created_at: int = attrs.field(factory=lambda: int(time.time()))
    entered_at: float = attrs.field(factory=time.monotonic)
    video_id: str | None = None
    messages: list[dict[str, Any]] = attrs.field(factory=list)
    resources: list[dict[str, Any]] = attrs.field(factory=list)
    title: str | None = None
    step_seconds: float | None = None  # this session's own pace (FakeHeyGen(job_duration=))
    ended_at: float | None = None  # the fake's clock when it completed or failed

    def __attrs_post_init__(self) -> None:
        self.status = self.flow[0]
        self.say("user", self.prompt)

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def progress(self) -> int:
        if self.status == "completed":
            return 100
        return int(100 * self.step / max(1, len(self.flow) - 1))

    def say(self, role: str, content: str, kind: str = "text", **extra: Any) -> None:
        self.messages.insert(
            0,
            {
                "role": role,
                "content": content,
                "type": kind,
                "created_at": int(time.time()),
                **extra,
            },
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "status": self.status,
            "created_at": self.created_at,
            "progress": self.progress,
            "title": self.title,
            "video_id": self.video_id,
            "messages": self.messages[:40],
        }
