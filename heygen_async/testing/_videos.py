"""Handlers for videos (GET /v3/videos/{id}) and the video files their links point at."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from ._http import HTTPFailure

if TYPE_CHECKING:
    from ._fake import FakeHeyGen


class VideoHandlers:
    def __init__(self, fake: FakeHeyGen) -> None:
        self.fake = fake
        self.truncations = 0  # downloads still to cut off halfway

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/v3/videos/{vid}", self.get_video),
            web.get("/files/{name}", self.file),
        ]

    async def get_video(self, request: web.Request) -> web.Response:
        video = self.fake.videos.get(request.match_info["vid"])
        if video is None:
            raise HTTPFailure(404, "not_found", "Video not found.")
        session = self.fake.sessions.get(video.session_id)
        if session is not None:
            self.fake.machine.tick(session)
        return web.json_response({"data": video.as_json(self.fake.url)})

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
