"""Avatars: identities (groups) and their looks. HeyGen's public ones are a fixed catalogue;
yours are made by POST /v3/avatars, one look job each (a prompt, a photo, or footage of a
person, which waits in pending_consent until POST /v3/avatars/{group_id}/consent)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ._http import HTTPFailure, invalid, json_body
from ._idempotency import Reply
from ._jobs import FakeJob
from ._resources import Replies
from ._state import new_id

if TYPE_CHECKING:
    from ._fake import FakeHeyGen

NOT_FOUND = "avatar_not_found"
# What each kind of create makes (the look's avatar_type).
AVATAR_TYPES = {"prompt": "photo_avatar", "photo": "photo_avatar", "digital_twin": "digital_twin"}
_PUBLIC = (("Anna", "female"), ("Marcus", "male"))


class AvatarHandlers:
    def __init__(self, fake: FakeHeyGen, replies: Replies) -> None:
        self.fake = fake
        self.replies = replies
        self.groups: dict[str, dict[str, Any]] = {}
        self.looks: dict[str, dict[str, Any]] = {}
        for index, (name, gender) in enumerate(_PUBLIC):
            group = self._group(f"{name.lower()}_public", name, "public", gender=gender)
            for n, kind in enumerate(("studio_avatar", "photo_avatar")):
                self._look(group, f"{name.lower()}_look_{n}", f"{name} {n + 1}", kind)
            group["created_at"] = 1_700_000_000 + index

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/v3/avatars", self.create),
            web.get("/v3/avatars", self.list_groups),
            web.get("/v3/avatars/looks", self.list_looks),
            web.get("/v3/avatars/looks/{look_id}", self.get_look),
            web.patch("/v3/avatars/looks/{look_id}", self.update_look),
            web.delete("/v3/avatars/looks/{look_id}", self.delete_look),
            web.get("/v3/avatars/{group_id}", self.get_group),
            web.delete("/v3/avatars/{group_id}", self.delete_group),
            web.post("/v3/avatars/{group_id}/consent", self.consent),
        ]

    # -- state ---------------------------------------------------------------------------

    def _group(self, group_id: str, name: str, ownership: str, **extra: Any) -> dict[str, Any]:
        group = {
            "id": group_id,
            "name": name,
            "ownership": ownership,
            "created_at": int(time.time()),
            "look_ids": [],
            "default_voice_id": None,
            "preview_image_url": f"https://files.example/avatars/{group_id}.jpg",
            **extra,
        }
        self.groups[group_id] = group
        return group

    def _look(
        self, group: dict[str, Any], look_id: str, name: str, avatar_type: str
    ) -> dict[str, Any]:
        look = {
            "id": look_id,
            "name": name,
            "avatar_type": avatar_type,
            "group_id": group["id"],
            "ownership": group["ownership"],
            "gender": group.get("gender"),
            "preferred_orientation": "portrait",
            "supported_api_engines": ["avatar_iv"],
            "tags": [],
            "preview_image_url": f"https://files.example/avatars/{look_id}.jpg",
            "preview_video_url": f"https://files.example/avatars/{look_id}.mp4",
        }
        self.looks[look_id] = look
        group["look_ids"].append(look_id)
        return look

    def job_of(self, look: dict[str, Any]) -> FakeJob | None:
        return self.fake.job_machine.get(look["id"])

    def look_json(self, look: dict[str, Any]) -> dict[str, Any]:
        job = self.job_of(look)
        data = {**look, "status": job.status if job else "completed"}
        if job is not None and job.status == "failed":
            data["error"] = {"code": job.failure_code, "message": job.failure_message}
        return data

    def group_json(self, group: dict[str, Any]) -> dict[str, Any]:
        looks = [self.look_json(self.looks[i]) for i in group["look_ids"] if i in self.looks]
        statuses = [look["status"] for look in looks]
        status = next(
            (s for s in ("pending_consent", "processing") if s in statuses),
            "failed" if statuses and all(s == "failed" for s in statuses) else "completed",
        )
        data = {**group, "status": status, "looks_count": len(looks)}
        twin = any(look["avatar_type"] == "digital_twin" for look in looks)
        data["consent_status"] = (
            ("pending" if status == "pending_consent" else "approved") if twin else None
        )
        failed = next((look["error"] for look in looks if "error" in look), None)
        if failed is not None and status == "failed":
            data["error"] = failed
        return data

    def group_for(self, request: web.Request) -> dict[str, Any]:
        group = self.groups.get(request.match_info["group_id"])
        if group is None:
            raise HTTPFailure(404, NOT_FOUND, "Avatar group not found.")
        return group

    def look_for(self, request: web.Request) -> dict[str, Any]:
        look = self.looks.get(request.match_info["look_id"])
        if look is None:
            raise HTTPFailure(404, NOT_FOUND, "Avatar look not found.")
        return look

    # -- handlers ------------------------------------------------------------------------

    async def create(self, request: web.Request) -> web.Response:
        payload = json_body(request)

        async def produce() -> Reply:
            kind = payload["type"]
            group = self._target_group(payload)
            look_id = new_id("look")
            look = self._look(group, look_id, payload["name"], AVATAR_TYPES.get(kind, kind))
            self.fake.job_machine.start(
                f"avatar_{kind}", {"avatar_group_id": group["id"]}, job_id=look_id
            )
            data = {"avatar_group": self.group_json(group), "avatar_item": self.look_json(look)}
            return 200, self.replies.shape(request, {"data": data})

        return await self.fake.idempotency.run(request, produce)

    def _target_group(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The group named by avatar_group_id (or by avatar_id's look), else a new one."""
        group_id = payload.get("avatar_group_id")
        look_id = payload.get("avatar_id")
        if look_id:
            look = self.looks.get(look_id)
            if look is None:
                raise invalid(f"Avatar {look_id} does not exist.", "avatar_id")
            if group_id and look["group_id"] != group_id:
                raise invalid("avatar_id must belong to avatar_group_id.", "avatar_id")
            group_id = look["group_id"]
        if group_id:
            group = self.groups.get(group_id)
            if group is None or group["ownership"] != "private":
                raise HTTPFailure(404, NOT_FOUND, f"Avatar group {group_id} not found.")
            return group
        return self._group(new_id("avg"), payload["name"], "private")

    async def list_groups(self, request: web.Request) -> web.Response:
        ownership = request.query.get("ownership")
        items = [
            self.group_json(g)
            for g in reversed(list(self.groups.values()))
            if ownership is None or g["ownership"] == ownership
        ]
        return self.replies.page(request, items)

    async def list_looks(self, request: web.Request) -> web.Response:
        query = request.query
        items = [
            self.look_json(look)
            for look in reversed(list(self.looks.values()))
            if all(
                query.get(key) in (None, look[key])
                for key in ("group_id", "avatar_type", "ownership")
            )
        ]
        return self.replies.page(request, items)

    async def get_look(self, request: web.Request) -> web.Response:
        return self.replies.data(request, self.look_json(self.look_for(request)))

    async def update_look(self, request: web.Request) -> web.Response:
        look = self.look_for(request)
        name = json_body(request).get("name")
        if name is not None:
            look["name"] = name
        return self.replies.data(request, self.look_json(look))

    async def delete_look(self, request: web.Request) -> web.Response:
        look = self.look_for(request)
        self._forget_look(look["id"])
        return self.replies.data(request, {"id": look["id"]})

    async def get_group(self, request: web.Request) -> web.Response:
        return self.replies.data(request, self.group_json(self.group_for(request)))

    async def delete_group(self, request: web.Request) -> web.Response:
        group = self.group_for(request)
        for look_id in list(group["look_ids"]):
            self._forget_look(look_id)
        del self.groups[group["id"]]
        return self.replies.data(request, {"id": group["id"]})

    def _forget_look(self, look_id: str) -> None:
        look = self.looks.pop(look_id, None)
        self.fake.job_machine.jobs.pop(look_id, None)
        if look is not None and look["group_id"] in self.groups:
            self.groups[look["group_id"]]["look_ids"].remove(look_id)

    async def consent(self, request: web.Request) -> web.Response:
        """The person's consent: their looks waiting in pending_consent go on processing."""
        group = self.group_for(request)
        waiting = [
            job
            for look_id in group["look_ids"]
            if (job := self.fake.job_machine.get(look_id)) is not None
            and job.status == "pending_consent"
        ]
        if not waiting:
            raise invalid(f"Avatar group {group['id']} is not waiting for consent.")
        for job in waiting:
            self.fake.job_machine.step(job)
        data = {
            "avatar_group": self.group_json(group),
            "url": f"https://app.heygen.example/consent/{group['id']}",
        }
        return self.replies.data(request, data)
