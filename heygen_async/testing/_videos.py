"""Handlers for videos (made by sessions, by POST /v3/videos and by templates), their batches
and statuses, and the video files their links point at."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from ._http import HTTPFailure
from ._jobs import FakeJob, JobMachine
from ._resources import Collection, Replies
from ._state import FakeVideo, new_id

if TYPE_CHECKING:
    from ._fake import FakeHeyGen


class VideoHandlers:
    def __init__(self, fake: FakeHeyGen) -> None:
        self.fake = fake
        self.truncations = 0  # downloads still to cut off halfway
        self.replies: Replies | None = None  # set by build_app

    def collection(self) -> Collection:
        return Collection(
            path="/v3/videos",
            id_param="video_id",
            kinds=("video",),
            make=lambda payload: [self.start(payload)],
            created=lambda jobs: {
                "video_id": jobs[0].id,
                "status": jobs[0].status,
                "output_format": jobs[0].record.get("output_format", "mp4"),
            },
            batch="videos",
            crud=False,
        )

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/v3/videos", self.list_videos),
            web.get("/v3/videos/statuses", self.statuses),
            web.get("/v3/videos/{vid}", self.get_video),
            web.delete("/v3/videos/{vid}", self.delete_video),
            web.get("/files/{name}", self.file),
        ]

    def start(self, payload: dict[str, Any]) -> FakeJob:
        """A video rendered from a create's (or a template's) body: a job that drives it."""
        video_id = new_id("vid")
        video = FakeVideo(
            video_id, "", status="pending", size=self.fake.video_size, title=payload.get("title")
        )
        self.fake.videos[video_id] = video
        job = self.fake.job_machine.start(
            "video",
            {k: payload[k] for k in ("title", "output_format", "folder_id") if k in payload},
            job_id=video_id,
            callback_url=payload.get("callback_url"),
            callback_id=payload.get("callback_id"),
        )
        job.video = video
        return job

    def _video(self, request: web.Request) -> FakeVideo:
        """The video the path names, caught up with the clock (via its session or job)."""
        video = self.fake.videos.get(request.match_info["vid"])
        if video is None:
            raise HTTPFailure(404, "not_found", "Video not found.")
        self._tick(video)
        return video

    def _tick(self, video: FakeVideo) -> None:
        session = self.fake.sessions.get(video.session_id)
        if session is not None:
            self.fake.machine.tick(session)
        self.fake.job_machine.get(video.video_id)  # a job catches up when looked at

    def video_json(self, video: FakeVideo) -> dict[str, Any]:
        data = video.as_json(self.fake.url)
        job = self.fake.job_machine.jobs.get(video.video_id)
        if job is not None:
            data |= {"callback_id": job.callback_id, "folder_id": job.record.get("folder_id")}
        return data

    async def get_video(self, request: web.Request) -> web.Response:
        assert self.replies is not None
        return self.replies.data(request, self.video_json(self._video(request)))

    async def list_videos(self, request: web.Request) -> web.Response:
        assert self.replies is not None
        title = request.query.get("title")
        folder = request.query.get("folder_id")
        items = []
        for video in reversed(list(self.fake.videos.values())):
            self._tick(video)
            data = self.video_json(video)
            if title is not None and title.lower() not in (data["title"] or "").lower():
                continue
            if folder is not None and data.get("folder_id") != folder:
                continue
            items.append(data)
        return self.replies.page(request, items)

    async def delete_video(self, request: web.Request) -> web.Response:
        assert self.replies is not None
        video = self._video(request)
        del self.fake.videos[video.video_id]
        self.fake.job_machine.jobs.pop(video.video_id, None)
        return self.replies.data(request, {"id": video.video_id, "deleted": True})

    async def statuses(self, request: web.Request) -> web.Response:
        """Every video named (`video_ids`) and every item of each batch named (`batch_ids`)."""
        assert self.replies is not None
        ids = [i for i in request.query.get("video_ids", "").split(",") if i]
        batch_ids = {i for i in request.query.get("batch_ids", "").split(",") if i}
        machine = self.fake.job_machine
        entries: list[dict[str, Any]] = []
        for batch_id in sorted(batch_ids):
            batch = machine.get(batch_id, "batch")
            if batch is not None and batch.batch_of == "video":
                entries += [JobMachine.item_json(item) for item in machine.items(batch)]
        for video_id in ids if ids or batch_ids else list(self.fake.videos):
            video = self.fake.videos.get(video_id)
            if video is None:
                continue
            self._tick(video)
            job = machine.jobs.get(video_id)
            entry = JobMachine.item_json(job) if job is not None else {"video_id": video_id}
            entries.append(entry | {"status": video.status})
        return self.replies.page(request, entries, default_limit=100)

    async def file(self, request: web.Request) -> web.StreamResponse:
        """A presigned-looking link: 403 once `expire_video_urls` bumped its version."""
        name = request.match_info["name"]
        video = self.fake.videos.get(name.rsplit(".", 1)[0])
        if video is None or video.status != "completed":
            raise HTTPFailure(404, "not_found", "No such file.")
        if request.query.get("v") != str(video.url_version):
            return web.Response(status=403, text="<Error><Code>AccessDenied</Code></Error>")
        content = video.content()
        response = web.StreamResponse(headers={"Content-Type": "video/mp4"})
        response.content_length = len(content)
        await response.prepare(request)
        cut = self.truncations > 0
        if cut:
            self.truncations -= 1
            content = content[: len(content) // 2]
        for start in range(0, len(content), 1 << 16):
            await response.write(content[start : start + (1 << 16)])
        if cut and request.transport is not None:
            request.transport.close()  # half the promised bytes, then the connection drops
            return response
        await response.write_eof()
        return response
