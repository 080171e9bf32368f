"""Video translations: one job per output language, batches of them, proofreads (a reviewed
subtitle file that then generates a translation), and the languages offered."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from ._http import HTTPFailure, invalid, json_body
from ._idempotency import Reply
from ._jobs import FakeJob
from ._resources import Collection, JobRoutes

if TYPE_CHECKING:
    from ._fake import FakeHeyGen

LANGUAGES = (
    "English",
    "Spanish",
    "French",
    "German",
    "Italian",
    "Portuguese",
    "Japanese",
    "Korean",
    "Chinese",
    "Hindi",
    "Arabic",
    "Dutch",
)
_KEPT = ("title", "input_language", "translate_audio_only", "folder_id")


class TranslationHandlers:
    def __init__(self, fake: FakeHeyGen, jobs: JobRoutes) -> None:
        self.fake = fake
        self.jobs = jobs
        self.proofreads = Collection(
            path="/v3/video-translations/proofreads",
            id_param="proofread_id",
            kinds=("proofread",),
        )

    def collection(self) -> Collection:
        return Collection(
            path="/v3/video-translations",
            id_param="video_translation_id",
            kinds=("video_translation",),
            make=self.translate,
            created=lambda jobs: {"video_translation_ids": [j.id for j in jobs]},
            updates=("title",),
            id_list="video_translation_ids",
            batch="video_translations",
        )

    def routes(self) -> list[web.RouteDef]:
        base = "/v3/video-translations"
        return [
            web.get(f"{base}/languages", self.languages),
            web.post(f"{base}/proofreads", self.create_proofreads),
            web.get(f"{base}/proofreads/{{proofread_id}}", self.get_proofread),
            web.post(f"{base}/proofreads/{{proofread_id}}/generate", self.generate),
            web.get(f"{base}/proofreads/{{proofread_id}}/srt", self.get_srt),
            web.put(f"{base}/proofreads/{{proofread_id}}/srt", self.put_srt),
        ]

    def translate(self, payload: dict[str, Any]) -> list[FakeJob]:
        """One translation job per output language."""
        record = {k: payload[k] for k in _KEPT if k in payload}
        return [
            self.fake.job_machine.start(
                "video_translation",
                record | {"output_language": language},
                callback_url=payload.get("callback_url"),
                callback_id=payload.get("callback_id"),
            )
            for language in payload["output_languages"] or ["English"]
        ]

    async def languages(self, request: web.Request) -> web.Response:
        return self.jobs.replies.data(request, {"languages": list(LANGUAGES)})

    async def create_proofreads(self, request: web.Request) -> web.Response:
        payload = json_body(request)

        async def produce() -> Reply:
            record = {k: payload[k] for k in _KEPT if k in payload}
            proofreads = [
                self.fake.job_machine.start(
                    "proofread",
                    record | {"output_language": language, "submitted_for_review": False},
                )
                for language in payload["output_languages"] or ["English"]
            ]
            data = {"proofread_ids": [p.id for p in proofreads], "status": "processing"}
            return 200, self.jobs.replies.shape(request, {"data": data})

        return await self.fake.idempotency.run(request, produce)

    async def get_proofread(self, request: web.Request) -> web.Response:
        proofread = self.jobs.job(self.proofreads, request)
        return self.jobs.replies.data(request, proofread.as_json())

    async def generate(self, request: web.Request) -> web.Response:
        """A translation made from a finished proofread (its reviewed subtitles)."""
        proofread = self.jobs.job(self.proofreads, request)
        payload = json_body(request)

        async def produce() -> Reply:
            if not proofread.succeeded:
                raise invalid(f"Proofread {proofread.id} is {proofread.status}, not completed.")
            record = {k: proofread.record[k] for k in _KEPT if k in proofread.record}
            translation = self.fake.job_machine.start(
                "video_translation",
                record
                | {
                    "output_language": proofread.record.get("output_language"),
                    "translate_audio_only": payload.get("translate_audio_only", False),
                },
                callback_url=payload.get("callback_url"),
                callback_id=payload.get("callback_id"),
            )
            data = {"video_translation_id": translation.id, "status": "processing"}
            return 200, self.jobs.replies.shape(request, {"data": data})

        return await self.fake.idempotency.run(request, produce)

    async def get_srt(self, request: web.Request) -> web.Response:
        proofread = self.jobs.job(self.proofreads, request)
        if not proofread.succeeded:
            raise HTTPFailure(404, "not_found", "The subtitles are not ready yet.")
        files = f"https://files.example/proofreads/{proofread.id}"
        data = {
            "srt_url": proofread.record.get("srt_url") or f"{files}/translated.srt",
            "original_srt_url": f"{files}/original.srt",
        }
        return self.jobs.replies.data(request, data)

    async def put_srt(self, request: web.Request) -> web.Response:
        """Replace the reviewed subtitles (a URL, or an uploaded asset)."""
        proofread = self.jobs.job(self.proofreads, request)
        srt = json_body(request)["srt"]
        asset = f"https://files.example/asset/{srt.get('asset_id')}"
        proofread.record["srt_url"] = srt.get("url") or asset
        proofread.record["submitted_for_review"] = True
        return self.jobs.replies.data(request, proofread.as_json())
