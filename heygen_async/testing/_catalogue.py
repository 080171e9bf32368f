"""HeyGen's read-only catalogues, as fixed lists the fake searches and pages: sounds, brand
kits and glossaries, stock images and icons, and templates (which generate videos)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from ._http import HTTPFailure, json_body
from ._idempotency import Reply
from ._resources import Replies

if TYPE_CHECKING:
    from ._fake import FakeHeyGen
    from ._videos import VideoHandlers

_MOODS = ("calm", "upbeat", "epic", "playful", "dark", "corporate")
SOUNDS: list[dict[str, Any]] = [
    {
        "id": f"snd_{i:02d}",
        "name": f"{mood.title()} {kind.replace('_', ' ')}",
        "description": f"A {mood} {kind.replace('_', ' ')} track.",
        "type": kind,
        "audio_url": f"https://files.example/sounds/{i:02d}.mp3",
        "duration": 30.0 + i,
        "peak_offset": 5.0,
    }
    for i, (mood, kind) in enumerate(
        (mood, kind) for kind in ("music", "sound_effects") for mood in _MOODS
    )
]
BRAND_KITS = [
    {"brand_kit_id": f"bk_{i}", "name": name, "colors": colors, "logo_url": None}
    for i, (name, colors) in enumerate(
        (("Acme", ["#ff0000", "#ffffff"]), ("Globex", ["#0044aa", "#f0f0f0"]))
    )
]
BRAND_GLOSSARIES = [
    {
        "brand_glossary_id": f"bg_{i}",
        "name": name,
        "created_at": "2024-01-02T03:04:05Z",
        "updated_at": "2024-01-02T03:04:05Z",
    }
    for i, name in enumerate(("Product names", "Legal terms"))
]
STOCK: list[dict[str, Any]] = [
    {
        "id": f"stock_{kind}_{i:02d}",
        "type": kind,
        "url": f"https://files.example/stock/{kind}/{word}.png",
        "width": 512,
        "height": 512,
        "orientation": "square",
        "is_transparent": kind == "icon",
        "words": {word, kind},
    }
    for kind in ("image", "icon")
    for i, word in enumerate(("city", "forest", "office", "ocean", "rocket", "coffee"))
]
TEMPLATES = [
    {
        "id": f"tpl_{i}",
        "name": name,
        "aspect_ratio": "16:9",
        "created_at": 1_700_000_000 + i,
        "updated_at": 1_700_000_000 + i,
        "thumbnail_url": f"https://files.example/templates/{i}.jpg",
        "scene_ids": [f"scene_{i}_{n}" for n in range(2)],
        "scenes": [
            {
                "scene_id": f"scene_{i}_{n}",
                "script": "Hello {{name}}!" if n == 0 else "Thanks for watching.",
                "variables": [{"name": "name", "variable_type": "text"}] if n == 0 else [],
            }
            for n in range(2)
        ],
        "variables": {"name": {"type": "text", "default": "there"}},
    }
    for i, name in enumerate(("Welcome", "Product update", "Onboarding"))
]


class CatalogueHandlers:
    def __init__(self, fake: FakeHeyGen, replies: Replies, videos: VideoHandlers) -> None:
        self.fake = fake
        self.replies = replies
        self.videos = videos

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/v3/audio/sounds", self.sounds),
            web.get("/v3/brand-kits", self.brand_kits),
            web.get("/v3/brand-glossaries", self.brand_glossaries),
            web.get("/v3/assets/search", self.search_assets),
            web.get("/v3/templates", self.templates),
            web.get("/v3/templates/{template_id}", self.template),
            web.post("/v3/templates/{template_id}", self.generate),
        ]

    async def sounds(self, request: web.Request) -> web.Response:
        """Sounds whose name or description shares a word with `query`, best first."""
        query = request.query
        words = set(query["query"].lower().split())
        kind = query.get("type")
        floor = float(query.get("min_score", 0))
        scored = []
        for sound in SOUNDS:
            text = set(f"{sound['name']} {sound['description']}".lower().replace(".", "").split())
            score = len(words & text) / max(1, len(words))
            if (kind is None or sound["type"] == kind) and score > 0 and score >= floor:
                scored.append(sound | {"score": round(score, 3)})
        scored.sort(key=lambda s: -s["score"])
        return self.replies.page(request, scored)

    async def brand_kits(self, request: web.Request) -> web.Response:
        return self.replies.page(request, BRAND_KITS)

    async def brand_glossaries(self, request: web.Request) -> web.Response:
        return self.replies.page(request, BRAND_GLOSSARIES)

    async def search_assets(self, request: web.Request) -> web.Response:
        """Stock images or icons (`type`) tagged with a word of `query`."""
        words = set(request.query["query"].lower().split())
        kind = request.query["type"]
        items = [
            {k: v for k, v in item.items() if k != "words"}
            for item in STOCK
            if item["type"] == kind and words & set(item["words"])
        ]
        return self.replies.page(request, items)

    async def templates(self, request: web.Request) -> web.Response:
        return self.replies.page(request, TEMPLATES)

    def _template(self, request: web.Request) -> dict[str, Any]:
        for template in TEMPLATES:
            if template["id"] == request.match_info["template_id"]:
                return template
        raise HTTPFailure(404, "not_found", "Template not found.")

    async def template(self, request: web.Request) -> web.Response:
        return self.replies.data(request, self._template(request))

    async def generate(self, request: web.Request) -> web.Response:
        """A video rendered from the template (a video job, as POST /v3/videos makes)."""
        template = self._template(request)
        payload = json_body(request)

        async def produce() -> Reply:
            body = payload | {"title": payload.get("title") or template["name"]}
            job = self.videos.start(body)
            data = self.videos.video_json(self.fake.videos[job.id])
            return 200, self.replies.shape(request, {"data": data})

        return await self.fake.idempotency.run(request, produce)
