"""Voices: HeyGen's public catalogue, voices designed from a prompt, clones (a job that ends
`complete`), and speech synthesised with any of them."""

from __future__ import annotations

import hashlib
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ._http import HTTPFailure, json_body
from ._idempotency import Reply
from ._resources import Replies

if TYPE_CHECKING:
    from ._fake import FakeHeyGen

NOT_FOUND = "voice_not_found"
SECONDS_PER_WORD = 0.4
_PUBLIC = (
    ("Aria", "female", "English"),
    ("Ben", "male", "English"),
    ("Carmen", "female", "Spanish"),
    ("Didier", "male", "French"),
    ("Emi", "female", "Japanese"),
)


def _voice(voice_id: str, name: str, gender: str, language: str, kind: str) -> dict[str, Any]:
    return {
        "voice_id": voice_id,
        "name": name,
        "gender": gender,
        "language": language,
        "type": kind,
        "support_pause": True,
        "support_locale": kind == "public",
        "support_interactive_avatar": kind == "public",
        "preview_audio_url": f"https://files.example/voices/{voice_id}.mp3",
        "created_at": int(time.time()),
    }


class VoiceHandlers:
    def __init__(self, fake: FakeHeyGen, replies: Replies) -> None:
        self.fake = fake
        self.replies = replies
        self.voices: dict[str, dict[str, Any]] = {
            f"{name.lower()}_public": _voice(f"{name.lower()}_public", name, g, lang, "public")
            for name, g, lang in _PUBLIC
        }

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/v3/voices", self.design),
            web.get("/v3/voices", self.list_voices),
            web.post("/v3/voices/clone", self.clone),
            web.post("/v3/voices/speech", self.speech),
            web.get("/v3/voices/{voice_id}", self.get_voice),
            web.delete("/v3/voices/{voice_id}", self.delete_voice),
        ]

    def voice_json(self, voice: dict[str, Any]) -> dict[str, Any]:
        """A voice; a clone's status is its job's (processing, complete, failed)."""
        job = self.fake.job_machine.get(voice["voice_id"], "voice_clone")
        status = job.status if job is not None else "complete"
        data = {**voice, "status": status}
        if job is not None and job.status == "failed":
            data["failure_message"] = job.failure_message
        return data

    def voice_for(self, request: web.Request) -> dict[str, Any]:
        voice = self.voices.get(request.match_info["voice_id"])
        if voice is None:
            raise HTTPFailure(404, NOT_FOUND, "Voice not found.")
        return voice

    async def design(self, request: web.Request) -> web.Response:
        """Three private voices from a prompt; the same prompt and seed give the same voices."""
        payload = json_body(request)

        async def produce() -> Reply:
            seed = payload.get("seed", 0)
            digest = hashlib.sha256(f"{payload['prompt']}|{seed}".encode()).hexdigest()[:10]
            gender = payload.get("gender") or "female"
            language = payload.get("locale") or "en-US"
            voices = []
            for n in range(3):
                voice = _voice(f"vd_{digest}_{n}", f"Designed {n + 1}", gender, language, "private")
                self.voices[voice["voice_id"]] = voice
                voices.append(voice)
            return 200, self.replies.shape(request, {"data": {"seed": seed, "voices": voices}})

        return await self.fake.idempotency.run(request, produce)

    async def clone(self, request: web.Request) -> web.Response:
        payload = json_body(request)

        async def produce() -> Reply:
            job = self.fake.job_machine.start("voice_clone", {"name": payload["voice_name"]})
            language = payload.get("language") or "English"
            voice = _voice(job.id, payload["voice_name"], "unknown", language, "private")
            self.voices[job.id] = voice
            return 200, self.replies.shape(request, {"data": {"voice_clone_id": job.id}})

        return await self.fake.idempotency.run(request, produce)

    async def list_voices(self, request: web.Request) -> web.Response:
        query = request.query
        items = [
            self.voice_json(v)
            for v in self.voices.values()
            if query.get("type") in (None, v["type"])
            and query.get("gender") in (None, v["gender"])
            and query.get("language") in (None, v["language"])
        ]
        return self.replies.page(request, items)

    async def get_voice(self, request: web.Request) -> web.Response:
        return self.replies.data(request, self.voice_json(self.voice_for(request)))

    async def delete_voice(self, request: web.Request) -> web.Response:
        voice = self.voice_for(request)
        del self.voices[voice["voice_id"]]
        self.fake.job_machine.jobs.pop(voice["voice_id"], None)
        return self.replies.data(request, {"voice_id": voice["voice_id"]})

    async def speech(self, request: web.Request) -> web.Response:
        """The text spoken: one timestamp per word, SECONDS_PER_WORD each (over `speed`)."""
        payload = json_body(request)
        voice = self.voices.get(payload["voice_id"])
        if voice is None:
            raise HTTPFailure(404, NOT_FOUND, f"Voice {payload['voice_id']} not found.")
        if self.voice_json(voice)["status"] != "complete":
            raise HTTPFailure(400, "voice_not_usable", "The voice is not ready yet.")
        speed = payload.get("speed") or 1.0
        step = SECONDS_PER_WORD / speed if speed > 0 else SECONDS_PER_WORD
        words = payload["text"].split()
        stamps = [
            {"word": word, "start": round(i * step, 3), "end": round((i + 1) * step, 3)}
            for i, word in enumerate(words)
        ]
        digest = hashlib.sha256(f"{voice['voice_id']}|{payload['text']}".encode()).hexdigest()
        data = {
            "audio_url": f"https://files.example/speech/{digest[:16]}.mp3",
            "duration": round(len(words) * step, 3),
            "request_id": f"speech_{digest[:12]}",
            "word_timestamps": stamps,
        }
        return self.replies.data(request, data)
