"""Every job kind but sessions: their flows, the jobs FakeHeyGen holds, and the rules that move
them (one step each `step_seconds` of the fake's clock, or when a test says), batches that
add up their items, and the webhook event a job records when it ends.

Sessions keep their own machine (_machine.py): they pause for messages and make videos.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import attrs

from ._clock import Clock
from ._state import FakeVideo, new_id

FAILED = "failed"


@attrs.frozen
class JobKind:
    """How one kind of job lives: its statuses in order (the last one ends it well), the ones
    that wait for a person (`pauses`), its id prefix, and the webhook events its end records
    (None: HeyGen's event-type enum has none for it) with the key its id goes under."""

    name: str
    prefix: str
    flow: tuple[str, ...]
    success_event: str | None
    failure_event: str | None
    id_key: str
    pauses: frozenset[str] = frozenset()


# The job kinds of operations.md, with the statuses of HeyGen's schema for each.
KINDS: dict[str, JobKind] = {
    kind.name: kind
    for kind in (
        JobKind(
            "ai_clipping",
            "clip",
            ("pending", "running", "completed"),
            "ai_clipping.success",
            "ai_clipping.fail",
            "job_id",
        ),
        # One file of a direct-upload batch: it waits for its bytes and the batch's complete.
        JobKind(
            "asset",
            "ast",
            ("pending_upload", "processing", "completed"),
            None,
            None,
            "asset_id",
            frozenset({"pending_upload"}),
        ),
        JobKind(
            "avatar_prompt",
            "look",
            ("processing", "completed"),
            "photo_avatar_generation.success",
            "photo_avatar_generation.fail",
            "avatar_id",
        ),
        JobKind(
            "avatar_photo",
            "look",
            ("processing", "completed"),
            "photo_avatar_train.success",
            "photo_avatar_train.fail",
            "avatar_id",
        ),
        # Footage of a person: nothing happens until they consent.
        JobKind(
            "avatar_digital_twin",
            "look",
            ("pending_consent", "processing", "completed"),
            "instant_avatar.success",
            "instant_avatar.fail",
            "avatar_id",
            frozenset({"pending_consent"}),
        ),
        JobKind(
            "background_removal",
            "bgr",
            ("pending", "processing", "completed"),
            None,
            None,
            "job_id",
        ),
        # HeyGen's lipsync is the video-translate engine: its events are video_translate.*.
        JobKind(
            "lipsync",
            "lip",
            ("pending", "running", "completed"),
            "video_translate.success",
            "video_translate.fail",
            "lipsync_id",
        ),
        JobKind(
            "video_translation",
            "vt",
            ("pending", "running", "completed"),
            "video_translate.success",
            "video_translate.fail",
            "video_translation_id",
        ),
        JobKind(
            "proofread",
            "pr",
            ("processing", "completed"),
            "proofread_creation.success",
            "proofread_creation.fail",
            "proofread_id",
        ),
        JobKind(
            "video",
            "vid",
            ("pending", "processing", "completed"),
            "avatar_video.success",
            "avatar_video.fail",
            "video_id",
        ),
        JobKind(
            "voice_clone",
            "vc",
            ("processing", "complete"),
            None,
            None,
            "voice_id",
        ),
        JobKind(
            "batch",
            "batch",
            ("processing", "completed"),
            "batch.finished",
            "batch.finished",
            "batch_id",
        ),
    )
}

# A batch item's status in HeyGen's batch schema (queued/processing/completed/failed).
ITEM_STATUS = {
    "pending": "queued",
    "pending_upload": "queued",
    "running": "processing",
    "processing": "processing",
    "completed": "completed",
    "complete": "completed",
    "failed": "failed",
}


@attrs.define
class FakeJob:
    """One job: where it is in its kind's flow, what it was created with (`record`), and how
    it failed. A batch's `items` are its jobs' ids; its status follows theirs."""

    id: str
    kind: JobKind
    status: str
    entered_at: float
    created_at: int = attrs.field(factory=lambda: int(time.time()))
    completed_at: int | None = None
    record: dict[str, Any] = attrs.field(factory=dict)
    callback_url: str | None = None
    callback_id: str | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    batch_id: str | None = None
    item_index: int | None = None
    items: list[str] = attrs.field(factory=list)
    batch_of: str | None = None  # a batch: the kind of its items
    video: FakeVideo | None = None  # a video job: the video it renders
    step_seconds: float | None = None  # this job's own pace (FakeHeyGen(job_duration=))

    @property
    def terminal(self) -> bool:
        return self.status in (self.kind.flow[-1], FAILED, "cancelled")

    @property
    def succeeded(self) -> bool:
        return self.status == self.kind.flow[-1]

    @property
    def progress(self) -> int:
        if self.succeeded:
            return 100
        flow = self.kind.flow
        step = flow.index(self.status) if self.status in flow else 0
        return int(100 * step / max(1, len(flow) - 1))

    def as_json(self) -> dict[str, Any]:
        """What HeyGen shows of any job (each reply keeps the fields its schema declares)."""
        data: dict[str, Any] = {
            **self.record,
            "id": self.id,
            self.kind.id_key: self.id,
            "status": self.status,
            "progress": self.progress,
            "created_at": self.created_at,
            "completed_at": self.completed_at,
            "callback_id": self.callback_id,
            "failure_code": self.failure_code,
            "failure_message": self.failure_message,
            "error": self.failure_message,
        }
        if self.succeeded:
            files = f"https://files.example/{self.kind.name}/{self.id}"
            data |= {
                "video_url": f"{files}.mp4",
                "audio_url": f"{files}.mp3",
                "caption_url": f"{files}.srt",
                "srt_caption_url": f"{files}.srt",
                "vtt_caption_url": f"{files}.vtt",
                "thumbnail_url": f"{files}.jpg",
                "duration": 42.0,
            }
        return data


Publish = Callable[[FakeJob], None]


class JobMachine:
    """Every job by id, and the rules that move them.

    With `step_seconds` set, a job enters its next status each `step_seconds` of `clock` time
    (checked lazily, whenever it is looked at) unless it waits in a pause; with None, only
    `step`/`enter` move it. With `duration`, each new job draws its run time from it, its
    steps spread evenly. `publish(job)` hears of each job that ends.
    """

    def __init__(
        self,
        *,
        clock: Clock,
        step_seconds: Callable[[], float | None],
        duration: Callable[[], float] | None = None,
    ) -> None:
        self.clock = clock
        self.step_seconds = step_seconds
        self.duration = duration
        self.jobs: dict[str, FakeJob] = {}
        self.publish: Publish = lambda job: None

    def start(
        self,
        kind: str,
        record: Mapping[str, Any] | None = None,
        *,
        job_id: str | None = None,
        callback_url: str | None = None,
        callback_id: str | None = None,
    ) -> FakeJob:
        spec = KINDS[kind]
        job = FakeJob(
            id=job_id or new_id(spec.prefix),
            kind=spec,
            status=spec.flow[0],
            entered_at=self.clock.now(),
            record=dict(record or {}),
            callback_url=callback_url,
            callback_id=callback_id,
        )
        if self.duration is not None:
            job.step_seconds = self.duration() / max(1, len(spec.flow) - 1)
        self.jobs[job.id] = job
        return job

    def start_batch(self, items: list[FakeJob], *, title: str | None, item_kind: str) -> FakeJob:
        batch = self.start("batch", {"title": title, "total_items": len(items)})
        batch.items = [item.id for item in items]
        batch.batch_of = item_kind
        for index, item in enumerate(items):
            item.batch_id, item.item_index = batch.id, index
        return batch

    def of_kind(self, *names: str) -> Iterator[FakeJob]:
        """The jobs of these kinds, newest first (caught up with the clock)."""
        for job in reversed(list(self.jobs.values())):
            if job.kind.name in names or (job.batch_of in names and job.kind.name == "batch"):
                self.tick(job)
                yield job

    def get(self, job_id: str, *names: str) -> FakeJob | None:
        """The job with this id if it is of one of these kinds, caught up with the clock."""
        job = self.jobs.get(job_id)
        if job is None or (names and job.kind.name not in names):
            return None
        self.tick(job)
        return job

    def items(self, batch: FakeJob) -> list[FakeJob]:
        return [self.jobs[i] for i in batch.items if i in self.jobs]

    # -- moving jobs ---------------------------------------------------------------------

    def tick(self, job: FakeJob) -> None:
        """Catch the job up with the clock (a batch: its items, then its own status)."""
        if job.items:
            for item in self.items(job):
                self.tick(item)
            self._settle(job)
            return
        step = self.step_seconds() if job.step_seconds is None else job.step_seconds
        if step is None:
            return
        now = self.clock.now()
        while not job.terminal and job.status not in job.kind.pauses:
            if now - job.entered_at < step:
                break
            entered = job.entered_at
            self.step(job)
            job.entered_at = entered + step

    def tick_all(self) -> None:
        for job in list(self.jobs.values()):
            self.tick(job)

    def step(self, job: FakeJob) -> None:
        """One status further along the flow (a batch: each of its items one further)."""
        if job.items:
            for item in self.items(job):
                self.step(item)
            self._settle(job)
            return
        if job.terminal:
            return
        flow = job.kind.flow
        index = flow.index(job.status) if job.status in flow else 0
        if index + 1 < len(flow):
            self.enter(job, flow[index + 1])

    def enter(self, job: FakeJob, status: str) -> None:
        """Put the job in `status` (a batch: every item that has not ended)."""
        if job.items:
            for item in self.items(job):
                if not item.terminal:
                    self.enter(item, status)
            self._settle(job)
            return
        was_terminal = job.terminal
        job.status = status
        job.entered_at = self.clock.now()
        if job.video is not None:
            _render(job)
        if job.terminal and not was_terminal:
            job.completed_at = int(time.time())
            self._ended(job)

    def fail(self, job: FakeJob, code: str, message: str) -> None:
        """End the job `failed` with this code and message (a batch: every unfinished item)."""
        if job.items:
            for item in self.items(job):
                if not item.terminal:
                    self.fail(item, code, message)
            self._settle(job)
            return
        job.failure_code, job.failure_message = code, message
        self.enter(job, FAILED)

    def _ended(self, job: FakeJob) -> None:
        self.publish(job)
        if job.batch_id is not None and job.batch_id in self.jobs:
            self._settle(self.jobs[job.batch_id])

    def _settle(self, batch: FakeJob) -> None:
        """A batch is processing until every item ends: then completed, or failed if all did."""
        items = self.items(batch)
        if batch.terminal or not items or not all(i.terminal for i in items):
            return
        status = FAILED if all(i.status == FAILED for i in items) else "completed"
        batch.status, batch.completed_at = status, int(time.time())
        self._ended(batch)

    # -- views ---------------------------------------------------------------------------

    def batch_json(self, batch: FakeJob, page: Iterable[FakeJob] | None = None) -> dict[str, Any]:
        items = self.items(batch)
        counts: dict[str, int] = {}
        for item in items:
            status = ITEM_STATUS.get(item.status, item.status)
            counts[status] = counts.get(status, 0) + 1
        return {
            "batch_id": batch.id,
            "status": batch.status,
            "title": batch.record.get("title"),
            "created_at": batch.created_at,
            "total_items": len(items),
            "counts_by_status": counts,
            "items": [self.item_json(i) for i in (items if page is None else page)],
        }

    @staticmethod
    def item_json(item: FakeJob) -> dict[str, Any]:
        """A job as a batch item, and as an entry of the statuses lists."""
        error = (
            {"code": item.failure_code, "message": item.failure_message}
            if item.status == FAILED
            else None
        )
        return {
            "item_index": item.item_index,
            "batch_id": item.batch_id,
            "status": ITEM_STATUS.get(item.status, item.status),
            "video_id": item.id,
            "error": error,
        }


def _render(job: FakeJob) -> None:
    """A video job's status is its video's (as GET /v3/videos/{id} shows it)."""
    video = job.video
    assert video is not None
    video.status = job.status
    if job.status == "completed":
        video.completed_at = int(time.time())
    elif job.status == FAILED:
        video.failure_code = job.failure_code
        video.failure_message = job.failure_message
