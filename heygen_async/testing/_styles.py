"""Handler for the style catalogue (GET /v3/video-agents/styles): a fixed list, paged."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ._http import page

STYLE_TAGS = ("cinematic", "retro-tech", "iconic-artist", "pop-culture", "handmade", "print")
STYLES: list[dict[str, Any]] = [
    {
        "style_id": f"style_{i:02d}",
        "name": f"{tag.replace('-', ' ').title()} {i}",
        "thumbnail_url": f"https://files.example/styles/{i}.png",
        "preview_video_url": f"https://files.example/styles/{i}.mp4",
        "tags": [tag],
        "aspect_ratio": ("16:9", "9:16", "1:1")[i % 3],
    }
    for i, tag in enumerate(STYLE_TAGS * 4)
]


class StyleHandlers:
    def routes(self) -> list[web.RouteDef]:
        return [web.get("/v3/video-agents/styles", self.list_styles)]

    async def list_styles(self, request: web.Request) -> web.Response:
        tag = request.query.get("tag")
        items = [s for s in STYLES if tag is None or tag in s["tags"]]
        items, nxt = page(items, request, default_limit=20)
        return web.json_response({"data": items, "has_more": nxt is not None, "next_token": nxt})
