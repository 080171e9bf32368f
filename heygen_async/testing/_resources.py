"""The generic half of FakeHeyGen's API: replies shaped by HeyGen's schema, and the routes of
every job collection (create, list, get, update, delete, batches, statuses) from one table.

Each reply is the fake's state projected onto the operation's 200 schema (`Replies`): fields
the state holds keep their values, fields it does not are filled with deterministic examples,
so every reply validates. Area modules (_avatars.py, _voices.py, ...) add what is specific.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import attrs
from aiohttp import web

from ._examples import Examples
from ._http import HTTPFailure, invalid, json_body, page
from ._idempotency import Reply
from ._jobs import FakeJob, JobMachine
from ._spec import Spec

if TYPE_CHECKING:
    from ._fake import FakeHeyGen

Make = Callable[[dict[str, Any]], list[FakeJob]]


class Replies:
    """Replies that validate against the answering operation's 200 schema."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.examples = Examples(spec.document)

    def shape(self, request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
        operation = self.spec.operation(request.method, request.path)
        if operation is None:
            return body
        content = operation.spec.get("responses", {}).get("200", {}).get("content", {})
        schema = content.get("application/json", {}).get("schema")
        if schema is None:
            return body
        shaped = self.examples.conform(schema, body)
        return shaped if isinstance(shaped, dict) else body

    def data(self, request: web.Request, data: Any) -> web.Response:
        return web.json_response(self.shape(request, {"data": data}))

    def page(
        self, request: web.Request, items: Sequence[dict[str, Any]], *, default_limit: int = 10
    ) -> web.Response:
        """One page of `items` for the request's `limit` and `token`."""
        chosen, nxt = page(items, request, default_limit=default_limit)
        body = {"data": chosen, "has_more": nxt is not None, "next_token": nxt}
        return web.json_response(self.shape(request, body))


@attrs.frozen
class Collection:
    """A collection of jobs at `path` ("/v3/lipsyncs"), its items at `path/{id_param}`.

    `make` turns a create's body into its jobs (None: no create route); `created` is the
    reply's `data` for them; `view` what list and get show of a job. `updates` are the
    fields PATCH may change. `id_list` and `batch` name the statuses list's id parameter and
    the batch body's list field (None: neither).
    """

    path: str
    id_param: str
    kinds: tuple[str, ...]
    not_found: str = "not_found"
    make: Make | None = None
    created: Callable[[list[FakeJob]], dict[str, Any]] = lambda jobs: jobs[0].as_json()
    view: Callable[[FakeJob], dict[str, Any]] = FakeJob.as_json
    updates: tuple[str, ...] = ()
    id_list: str | None = None
    batch: str | None = None
    crud: bool = True  # False: an area module serves list, get and delete itself


class JobRoutes:
    """create/list/get/update/delete (+ batches and statuses) for each Collection."""

    def __init__(self, fake: FakeHeyGen, replies: Replies) -> None:
        self.fake = fake
        self.replies = replies

    @property
    def machine(self) -> JobMachine:
        return self.fake.job_machine

    def routes(self, collection: Collection) -> list[web.RouteDef]:
        c = collection
        item = f"{c.path}/{{{c.id_param}}}"
        bind = functools.partial
        routes = []
        if c.crud:
            routes += [
                web.get(c.path, bind(self.list, c)),
                web.get(item, bind(self.get, c)),
                web.delete(item, bind(self.delete, c)),
            ]
        if c.make is not None:
            routes.append(web.post(c.path, bind(self.create, c)))
        if c.updates:
            routes.append(web.patch(item, bind(self.update, c)))
        if c.id_list is not None:
            routes.append(web.get(f"{c.path}/statuses", bind(self.statuses, c)))
        if c.batch is not None:
            routes.append(web.post(f"{c.path}/batches", bind(self.create_batch, c)))
            routes.append(web.get(f"{c.path}/batches/{{batch_id}}", bind(self.get_batch, c)))
        return routes

    def job(self, c: Collection, request: web.Request, param: str | None = None) -> FakeJob:
        """The job the path names, or HeyGen's 404."""
        job_id = request.match_info[param or c.id_param]
        job = self.machine.get(job_id, *c.kinds)
        if job is None:
            raise HTTPFailure(404, c.not_found, f"No {c.kinds[0].replace('_', ' ')} {job_id}.")
        return job

    async def create(self, c: Collection, request: web.Request) -> web.Response:
        assert c.make is not None
        make = c.make
        payload = json_body(request)

        async def produce() -> Reply:
            jobs = make(payload)
            return 200, self.replies.shape(request, {"data": c.created(jobs)})

        return await self.fake.idempotency.run(request, produce)

    async def list(self, c: Collection, request: web.Request) -> web.Response:
        items = [c.view(job) for job in self.machine.of_kind(*c.kinds) if job.batch_of is None]
        return self.replies.page(request, items)

    async def get(self, c: Collection, request: web.Request) -> web.Response:
        return self.replies.data(request, c.view(self.job(c, request)))

    async def update(self, c: Collection, request: web.Request) -> web.Response:
        job = self.job(c, request)
        payload = json_body(request)
        job.record.update({k: payload[k] for k in c.updates if k in payload})
        return self.replies.data(request, c.view(job))

    async def delete(self, c: Collection, request: web.Request) -> web.Response:
        job = self.job(c, request)
        del self.machine.jobs[job.id]
        return self.replies.data(request, {"id": job.id, "deleted": True, job.kind.id_key: job.id})

    async def statuses(self, c: Collection, request: web.Request) -> web.Response:
        """Each job named by id, then each item of each batch named (no names: every job)."""
        assert c.id_list is not None
        ids = _ids(request.query.get(c.id_list))
        batch_ids = _ids(request.query.get("batch_ids"))
        jobs = [j for j in self.machine.of_kind(*c.kinds) if j.batch_of is None]
        if ids or batch_ids:
            jobs = [j for j in reversed(jobs) if j.id in ids or j.batch_id in batch_ids]
        entries = [JobMachine.item_json(j) for j in jobs]
        return self.replies.page(request, entries, default_limit=100)

    async def create_batch(self, c: Collection, request: web.Request) -> web.Response:
        assert c.make is not None and c.batch is not None
        make, field = c.make, c.batch
        payload = json_body(request)

        async def produce() -> Reply:
            jobs: list[FakeJob] = []
            for index, entry in enumerate(payload[field]):
                if not isinstance(entry, dict):
                    raise invalid(f"{field}[{index}] must be an object.", f"{field}[{index}]")
                entry = dict(entry)
                if payload.get("callback_url") and not entry.get("callback_url"):
                    entry["callback_url"] = payload["callback_url"]
                jobs += make(entry)
            batch = self.machine.start_batch(jobs, title=payload.get("title"), item_kind=c.kinds[0])
            return 200, {"data": self.machine.batch_json(batch)}

        return await self.fake.idempotency.run(request, produce)

    async def get_batch(self, c: Collection, request: web.Request) -> web.Response:
        batch = self.machine.get(request.match_info["batch_id"], "batch")
        if batch is None or batch.batch_of not in c.kinds:
            raise HTTPFailure(404, "not_found", "Batch not found.")
        return self.replies.data(request, self.batch_page(batch, request))

    def batch_page(self, batch: FakeJob, request: web.Request) -> dict[str, Any]:
        """A batch with one page of its items (`limit`, `token`)."""
        chosen, nxt = page(
            [{"id": i} for i in batch.items], request, default_limit=self.default_batch_page
        )
        items = [self.machine.jobs[i["id"]] for i in chosen if i["id"] in self.machine.jobs]
        data = self.machine.batch_json(batch, items)
        return data | {"has_more": nxt is not None, "next_token": nxt}

    default_batch_page = 20


def _ids(raw: str | None) -> set[str]:
    return {part.strip() for part in (raw or "").split(",") if part.strip()}


def job_starter(fake: FakeHeyGen, kind: str, fields: Sequence[str] = ()) -> Make:
    """A `make` that starts one job of `kind`, keeping these body fields in its record."""

    def make(payload: dict[str, Any]) -> list[FakeJob]:
        record = {k: payload[k] for k in fields if k in payload}
        return [
            fake.job_machine.start(
                kind,
                record,
                callback_url=payload.get("callback_url"),
                callback_id=payload.get("callback_id"),
            )
        ]

    return make
