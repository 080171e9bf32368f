"""AI clipping, background removals and lipsyncs: job collections whose only specifics are
the fields they keep and what a finished job shows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._jobs import FakeJob
from ._resources import Collection, Make, job_starter

if TYPE_CHECKING:
    from ._fake import FakeHeyGen


def clipping_view(job: FakeJob) -> dict[str, Any]:
    """A clipping job; once completed, a clip per requested duration."""
    data = job.as_json()
    settings = job.record.get("output_settings") or {}
    durations = settings.get("duration_types") or ["60"]
    aspect = settings.get("aspect_ratio", "portrait")
    data["clips"] = (
        [
            {
                "id": f"{job.id}_clip{i}",
                "status": "completed",
                "aspect_ratio": aspect,
                "title": f"Clip {i + 1}",
                "duration_seconds": 180.0 if d == "long" else float(d),
                "video_url": f"https://files.example/clips/{job.id}_{i}.mp4",
                "thumbnail_url": f"https://files.example/clips/{job.id}_{i}.jpg",
                "virality_score": 90 - 10 * i,
            }
            for i, d in enumerate(durations)
        ]
        if job.succeeded
        else []
    )
    return data


def background_removal_view(job: FakeJob) -> dict[str, Any]:
    """A removal; once completed, a link per requested layer."""
    data = job.as_json()
    layers = job.record.get("layers") or ["foreground"]
    data["layers"] = (
        {layer: f"https://files.example/layers/{job.id}/{layer}.webm" for layer in layers}
        if job.succeeded
        else {}
    )
    return data


def _by_request_id(fake: FakeHeyGen, make: Make) -> Make:
    """Background removals dedupe on the body's `request_id` (not Idempotency-Key)."""

    def dedupe(payload: dict[str, Any]) -> list[FakeJob]:
        request_id = payload.get("request_id")
        if request_id:
            for job in fake.job_machine.of_kind("background_removal"):
                if job.record.get("request_id") == request_id:
                    return [job]
        return make(payload)

    return dedupe


def collections(fake: FakeHeyGen) -> list[Collection]:
    return [
        Collection(
            path="/v3/ai-clipping",
            id_param="job_id",
            kinds=("ai_clipping",),
            make=job_starter(fake, "ai_clipping", ("title", "input_language", "output_settings")),
            created=lambda jobs: clipping_view(jobs[0]),
            view=clipping_view,
        ),
        Collection(
            path="/v3/background-removals",
            id_param="job_id",
            kinds=("background_removal",),
            make=_by_request_id(
                fake, job_starter(fake, "background_removal", ("title", "layers", "request_id"))
            ),
            view=background_removal_view,
        ),
        Collection(
            path="/v3/lipsyncs",
            id_param="lipsync_id",
            kinds=("lipsync",),
            make=job_starter(fake, "lipsync", ("title", "folder_id", "mode")),
            created=lambda jobs: {"lipsync_id": jobs[0].id},
            updates=("title",),
            id_list="lipsync_ids",
            batch="lipsyncs",
        ),
    ]
