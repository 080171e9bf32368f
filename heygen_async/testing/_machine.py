"""The job state machines: sessions move along their flow on the fake's clock, or on request."""

from __future__ import annotations

import time
from collections.abc import Callable

from ._clock import Clock
from ._state import PAUSES, FakeSession, FakeVideo, new_id

Notify = Callable[[FakeSession, str], None]
# How long a new job runs, from its create to its end (FakeHeyGen(job_duration=)).
Duration = Callable[[], float]


class StateMachine:
    """Every session and video, and the rules that move them.

    With `step_seconds` set, a session enters its next state each `step_seconds` of `clock`
    time (checked lazily, whenever it is looked at); with None, only `advance` moves it.
    With `duration`, each new session draws its run time from it, its steps spread evenly.
    `notify(session, event_type)` hears of "video_agent.success" and "video_agent.fail".
    """

    def __init__(
        self,
        *,
        clock: Clock,
        step_seconds: float | None,
        video_size: int,
        notify: Notify,
        duration: Duration | None = None,
    ) -> None:
        self.clock = clock
        self.step_seconds = step_seconds
        self.duration = duration
        self.video_size = video_size
        self.notify = notify
        self.sessions: dict[str, FakeSession] = {}
        self.videos: dict[str, FakeVideo] = {}

    def start(
        self,
        *,
        api: str,
        mode: str,
        prompt: str,
        flow: tuple[str, ...],
        callback_url: str | None,
        callback_id: str | None,
        idempotency_key: str | None = None,
    ) -> FakeSession:
        session = FakeSession(
            session_id=new_id("sess"),
            api=api,
            mode=mode,
            prompt=prompt,
            flow=flow,
            callback_url=callback_url,
            callback_id=callback_id,
            idempotency_key=idempotency_key,
            entered_at=self.clock.now(),
        )
        if self.duration is not None:
            session.step_seconds = self.duration() / max(1, len(flow) - 1)
        self.sessions[session.session_id] = session
        return session

    def active_jobs(self) -> int:
        return sum(1 for s in self.sessions.values() if not s.terminal)

    def tick(self, session: FakeSession) -> None:
        """Catch the session up with the clock (a no-op without `step_seconds`)."""
        step = self.step_seconds if session.step_seconds is None else session.step_seconds
        if step is None:
            return
        now = self.clock.now()
        while (
            not session.terminal
            and session.status not in PAUSES
            and now - session.entered_at >= step
        ):
            entered = session.entered_at
            self.step(session)
            session.entered_at = entered + step
            if session.terminal:
                session.ended_at = session.entered_at  # when it was due, however late seen

    def tick_all(self) -> None:
        for session in self.sessions.values():
            self.tick(session)

    def step(self, session: FakeSession) -> None:
        """Move the session to the next state of its flow (terminal sessions stay put)."""
        if session.terminal:
            return
        flow = session.flow
        index = flow.index(session.status) if session.status in flow else session.step
        if index + 1 < len(flow):
            self.enter(session, flow[index + 1])

    def enter(self, session: FakeSession, status: str) -> None:
        """Put the session in `status`, with what HeyGen does on the way in."""
        session.status = status
        session.entered_at = self.clock.now()
        if session.terminal:
            session.ended_at = session.entered_at
        if status in session.flow:
            session.step = session.flow.index(status)
        if status == "reviewing":
            self._draft(session)
        elif status == "generating" and session.video_id is None:
            video = FakeVideo(new_id("vid"), session.session_id, size=self.video_size)
            self.videos[video.video_id] = video
            session.video_id = video.video_id
            session.title = f"Video for: {session.prompt[:40]}"
            session.say("model", "Rendering your video now.")
        elif status == "completed":
            if session.video_id is not None:
                video = self.videos[session.video_id]
                if video.status != "failed":
                    video.status, video.completed_at = "completed", int(time.time())
            session.say("model", "Your video is ready.")
            self.notify(session, "video_agent.success")
        elif status == "failed":
            self.notify(session, "video_agent.fail")

    def fail_session(self, session: FakeSession, message: str) -> None:
        session.say("model", message, "error")
        self.enter(session, "failed")

    def fail_video(self, video: FakeVideo, code: str, message: str) -> None:
        video.status, video.failure_code = "failed", code
        video.failure_message = message or "The renderer gave up."
        self.enter(self.sessions[video.session_id], "failed")

    def stop(self, session: FakeSession) -> None:
        """Stop a running session: completed if its video is done, failed otherwise."""
        if session.terminal:
            return
        video = self.videos.get(session.video_id or "")
        self.enter(session, "completed" if video and video.status == "completed" else "failed")
        session.say("model", "Session stopped.")

    @staticmethod
    def _draft(session: FakeSession) -> None:
        resource_id = new_id("res")
        session.resources.append(
            {
                "resource_id": resource_id,
                "resource_type": "draft",
                "source_type": "generated",
                "url": f"https://files.example/drafts/{resource_id}.json",
                "thumbnail_url": None,
                "preview_url": f"https://files.example/drafts/{resource_id}.png",
                "created_at": int(time.time()),
                "metadata": {"scenes": 5},
            }
        )
        session.say(
            "model",
            "Here is the storyboard. Reply to approve or ask for changes.",
            "resource",
            resource_ids=[resource_id],
        )
