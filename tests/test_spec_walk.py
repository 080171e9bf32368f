"""Walks HeyGen's schema: every operation has its SDK call, sends what the schema accepts, and
reads whatever the schema allows back.

The walk iterates the document (not the SDK's registry), so an operation added to
heygen-openapi.v3.json without an SDK call fails here. Arguments and replies are drawn by
Hypothesis from the schemas themselves (OpenAPI translated to JSON Schema by
`tests.openapi_jsonschema`); what the SDK sends is checked with `jsonschema`, a validator
that is not the SDK's own, so the two can disagree.
"""

from __future__ import annotations

import asyncio
import collections.abc
import inspect
import json
import typing
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import attrs
import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

import heygen_async as hg
from codegen.config import SCHEMA_FORMATS
from heygen_async.resources._gen_registry import CALLS
from heygen_async.testing import MockResponse, MockTransport
from heygen_async.testing._mock import MockRequest
from tests.jsonschema_strategies import from_schema
from tests.openapi import SPEC
from tests.openapi_jsonschema import json_schema
from tests.operations_table import OPERATIONS

DOCUMENT: dict[str, Any] = json.loads(SPEC.read_text("utf-8"))
BASE = "https://api.test"
METHODS = ("get", "post", "put", "patch", "delete")
DOCUMENTED = {(method, path): call for method, path, call in OPERATIONS}

# operations.md's naming rule, for an operation the table does not list yet.
GROUPS = {
    "ai-clipping": "ai_clipping",
    "asset": "assets",
    "audio": "audio",
    "avatar": "avatars",
    "background-removal": "background_removals",
    "brand": "brand",
    "lipsync": "lipsyncs",
    "template": "templates",
    "user": "users",
    "video-agent": "video_agents",
    "video-translate": "video_translations",
    "video": "videos",
    "voice": "voices",
    "webhook": "webhooks",
}

# The rows of operations.md whose "returns" column says None.
RETURNS_NONE = {"client.sessions.stop", "client.webhooks.endpoints.delete"}

# Disagreements between the SDK and the schema (or operations.md) this walk found, with the
# fix: each test fails once the defect is fixed (strict xfail), so its entry goes then.
KNOWN_DEFECTS: dict[str, str] = {}

WALK = settings(
    max_examples=6,
    derandomize=True,
    deadline=None,
    database=None,
    # Shrinking replays every call through asyncio.run hundreds of times (minutes); the
    # failing example is printed whole instead (`note`).
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


# What the SDK checks beyond the schema, as formats of the values it draws for replies:
# `*_at` fields are timestamps (Unix seconds within datetime's years, or ISO 8601 text), the
# URLs the SDK fetches itself are absolute http(s), and upload headers are strings. Each is
# what HeyGen documents in the field's description; the schema types them loosely.
SECONDS = {"minimum": 0, "maximum": 253_402_300_799}  # up to 9999-12-31
CHECKED_URLS = {"video_url", "upload_url"}


def sdk_formats(schema: Any, name: str = "") -> Any:
    if isinstance(schema, list):
        return [sdk_formats(s, name) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {
        key: (
            {k: sdk_formats(v, k) for k, v in value.items()}
            if key == "properties"
            else sdk_formats(value, name)
            if key in ("items", "oneOf", "anyOf", "additionalProperties")
            else value
        )
        for key, value in schema.items()
    }
    kinds = out.get("type")
    kinds = [kinds] if isinstance(kinds, str) else kinds or []
    if name.endswith("_at") and ("integer" in kinds or "number" in kinds):
        out.update(SECONDS)
    if name.endswith("_at") and "string" in kinds:
        out["format"] = "date-time"
    if name in CHECKED_URLS and "string" in kinds:
        out["format"] = "http-url"
    if name == "upload_headers":
        out["additionalProperties"] = {"type": "string"}
    return out


# The hand-written session requests check more than the schema does (models/sessions.py):
# ids and texts must not be blank, a callback_url must be an http(s) URL. Their bodies are
# drawn within those checks. Their `files` take only the SDK's AssetUrl/AssetId/AssetBase64
# models, not the API's JSON objects (a defect: every generated call takes the JSON), so
# `files` is left out of what is drawn for them.
CHECKED_REQUESTS = {
    "client.video_agents.create",
    "client.video_agents.send_message",
    "client.sessions.create",
    "client.sessions.send_message",
}


def session_checks(schema: Any, name: str = "") -> Any:
    if isinstance(schema, list):
        return [session_checks(s, name) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {
        key: (
            {k: session_checks(v, k) for k, v in value.items()}
            if key == "properties"
            else session_checks(value, name)
            if key in ("items", "oneOf", "anyOf")
            else value
        )
        for key, value in schema.items()
    }
    if name == "" and "files" in out.get("properties", {}):
        out["properties"] = {k: v for k, v in out["properties"].items() if k != "files"}
    kinds = out.get("type")
    if "string" in ([kinds] if isinstance(kinds, str) else kinds or []) and "enum" not in out:
        if name.endswith("_id"):
            out["format"] = "id"
        elif name in ("prompt", "message"):
            out["format"] = "text"
        elif name.endswith("_url"):
            out["format"] = "http-url"
    return out


@dataclass(frozen=True)
class SpecOperation:
    method: str
    path: str
    spec: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)

    def params(self, where: str) -> list[dict[str, Any]]:
        return [p for p in self.spec.get("parameters", ()) if p["in"] == where]

    def body(self, content_type: str = "application/json") -> dict[str, Any] | None:
        content = self.spec.get("requestBody", {}).get("content", {})
        schema = content.get(content_type, {}).get("schema")
        return None if schema is None else json_schema(schema, DOCUMENT, closed=True)

    @property
    def reply(self) -> dict[str, Any]:
        """The reply's schema, as the SDK reads it (see `sdk_formats`). HeyGen's envelope
        always carries `data`, an object where the document says nothing of it."""
        schema = self.spec["responses"]["200"]["content"]["application/json"]["schema"]
        translated: dict[str, Any] = sdk_formats(json_schema(schema, DOCUMENT))
        properties = {"data": {"type": "object"}, **translated.get("properties", {})}
        required = sorted({"data", *translated.get("required", [])})
        return {**translated, "properties": properties, "required": required}

    @property
    def page(self) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
        """(where the items are, where the next cursor is) for a paginated list."""
        props = self.spec["responses"]["200"]["content"]["application/json"]["schema"]
        props = props.get("properties", {})
        if "has_more" in props and "next_token" in props:
            return ("data",), ("next_token",)
        data = props.get("data", {}).get("properties", {})
        if "next_cursor" in data:
            items = next(k for k, v in data.items() if v.get("type") == "array")
            return ("data", items), ("data", "next_cursor")
        return None

    @property
    def call(self) -> str:
        """The SDK call operations.md documents (its naming rule for an unlisted one)."""
        if self.key in DOCUMENTED:
            return DOCUMENTED[self.key]
        words = str(self.spec.get("x-cli-command", "")).split()[1:]
        if not words or words[0] not in GROUPS:
            return f"<no SDK call for {self}>"
        return ".".join(["client", GROUPS[words[0]], *(w.replace("-", "_") for w in words[1:])])


def spec_operations() -> list[SpecOperation]:
    return [
        SpecOperation(method.upper(), path, item[method])
        for path, item in DOCUMENT["paths"].items()
        for method in METHODS
        if method in item
    ]


SPEC_OPERATIONS = spec_operations()


def client_for(handler: Any) -> hg.AsyncHeyGen:
    async def no_sleep(_: float) -> None:
        await asyncio.sleep(0)

    return hg.AsyncHeyGen(
        api_key="k", base_url=BASE, transport=MockTransport(handler), sleep=no_sleep
    )


def at(client: hg.AsyncHeyGen, call: str) -> Any:
    """The object at a documented path such as `client.avatars.looks.get`."""
    target: Any = client
    for name in call.split(".")[1:]:
        target = getattr(target, name)
    return target


def _get(payload: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        payload = payload.get(key) if isinstance(payload, dict) else None
    return payload


def last_page(op: SpecOperation) -> dict[str, Any]:
    """An empty final page, in the operation's page shape."""
    items, _ = op.page or (("data",), ())
    if items == ("data",):
        return {"data": [], "has_more": False, "next_token": None}
    return {"data": {items[1]: [], "next_cursor": None}}


def query_value(schema: dict[str, Any], text: str) -> Any:
    """A query string value as the JSON type its schema names."""
    kind = schema.get("type")
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text)
    except ValueError:
        return text
    if kind == "boolean":
        return {"true": True, "false": False}.get(text, text)
    return text


def expected_path(op: SpecOperation, path_args: dict[str, str]) -> str:
    path = op.path
    for name, value in path_args.items():
        path = path.replace("{" + name + "}", quote(value, safe=""))
    return path


def check_fields(result: Any, data: Any, where: str) -> None:
    """Every field the model shares with the reply holds the reply's value (scalars)."""
    if not attrs.has(type(result)) or not isinstance(data, dict):
        return
    for field in attrs.fields(type(result)):
        if field.name not in data:
            continue
        got, sent = getattr(result, field.name), data[field.name]
        if attrs.has(type(got)):
            check_fields(got, sent, f"{where}.{field.name}")
        elif type(got) is type(sent) and isinstance(sent, (str, int, float, bool)):
            assert got == sent, f"{where}.{field.name}: sent {sent!r}, the model holds {got!r}"


# -- every operation has its call -----------------------------------------------------------


def test_the_walk_sees_every_operation_of_the_document() -> None:
    assert len(SPEC_OPERATIONS) == DOCUMENT["x-operation-count"]
    assert {op.key for op in SPEC_OPERATIONS} == set(DOCUMENTED), "operations.md is stale"


@pytest.mark.parametrize("op", SPEC_OPERATIONS, ids=str)
def test_every_operation_has_the_call_operations_md_names(op: SpecOperation) -> None:
    client = client_for(lambda _: MockResponse(500))
    target = at(client, op.call)  # AttributeError: the schema has an operation the SDK lacks
    assert callable(target), op.call
    assert CALLS.get(op.key) == op.call
    returns = typing.get_type_hints(target)["return"]
    is_iterator = typing.get_origin(returns) is collections.abc.AsyncIterator
    assert is_iterator == (op.page is not None), f"{op.call} returns {returns}"


# -- what is sent fits the schema, and any reply the schema allows parses --------------------


@st.composite
def arguments(draw: st.DrawFn, op: SpecOperation, target: Any) -> dict[str, Any]:
    """Path ids, query parameters and body fields for `op`, drawn from its schema."""
    signature = inspect.signature(target)
    path_args = {
        p["name"]: draw(st.from_regex(r"[A-Za-z0-9_.~-]{1,16}", fullmatch=True))
        for p in op.params("path")
    }
    query: dict[str, Any] = {}
    sent_query: dict[str, Any] = {}
    for param in op.params("query"):
        name, schema = param["name"], json_schema(param["schema"], DOCUMENT)
        if schema.get("type") == "string" and not param.get("allowEmptyValue"):
            # OpenAPI 3.0: a query value is not empty unless allowEmptyValue says so; the
            # SDK sending one is test_an_empty_query_value_is_not_sent's business.
            schema = {**schema, "minLength": 1}
        if op.page is not None and name == "token":
            continue
        if not param.get("required") and not draw(st.booleans()):
            continue
        value = draw(from_schema(schema))
        if name == "limit" and op.page is not None:
            query["page_size"] = value
        elif "Sequence" in str(signature.parameters[name].annotation):
            value = draw(st.from_regex(r"[A-Za-z0-9_]{1,8}", fullmatch=True))
            query[name] = [value]
        else:
            query[name] = value
        sent_query[name] = value
    body: dict[str, Any] | None = None
    schema = op.body()
    if schema is not None:
        if op.call in CHECKED_REQUESTS:
            schema = session_checks(schema)
        for name, fmt in SCHEMA_FORMATS.get(op.key, {}).items():
            # Where the SDK is stricter than the schema (an endpoint URL: https or loopback).
            schema = {
                **schema,
                "properties": {
                    **schema["properties"],
                    name: {**schema["properties"][name], "format": fmt},
                },
            }
        drawn = draw(from_schema(schema))
        # A keyword left None is not sent: the SDK has no way to send a top-level null.
        body = {k: v for k, v in drawn.items() if v is not None}
    reply = draw(from_schema(op.reply))
    return {
        "path": path_args,
        "query": query,
        "sent_query": sent_query,
        "body": body,
        "reply": reply,
    }


class Exchange:
    """The MockTransport handler: checks each request, answers the drawn reply once."""

    def __init__(self, op: SpecOperation, drawn: dict[str, Any]) -> None:
        self.op = op
        self.drawn = drawn
        self.requests: list[MockRequest] = []

    def __call__(self, request: MockRequest) -> MockResponse:
        self.requests.append(request)
        op, drawn = self.op, self.drawn
        url = urlsplit(request.url)
        assert request.method == op.method
        assert f"{url.scheme}://{url.netloc}" == BASE
        assert url.path == expected_path(op, drawn["path"])
        self.check_query(dict(parse_qsl(url.query, keep_blank_values=True)))
        if len(self.requests) > 1:  # a later page: the cursor the first page gave
            return MockResponse(200, json=last_page(op))
        self.check_body(request)
        return MockResponse(200, json=drawn["reply"])

    def check_query(self, query: dict[str, str]) -> None:
        params = {p["name"]: p for p in self.op.params("query")}
        # Two lists answer has_more/next_token but declare no `token` (a gap in HeyGen's
        # schema: every other list takes it); the SDK follows the cursor the same way.
        declared = set(params) | ({"token"} if self.op.page else set())
        assert set(query) <= declared, f"unknown query parameters {set(query) - declared}"
        for name, param in params.items():
            if param.get("required"):
                assert name in query, f"required query parameter {name} not sent"
        token = query.pop("token", None) if self.op.page else None
        if len(self.requests) > 1:
            _, cursor = self.op.page or ((), ())
            assert token == _get(self.drawn["reply"], cursor)
        else:
            assert token is None
        for name, text in query.items():
            assert text != "" or params[name].get("allowEmptyValue"), f"?{name}= is empty"
            schema = json_schema(params[name]["schema"], DOCUMENT)
            value = query_value(schema, text)
            Draft202012Validator(schema).validate(value)
            if name in self.drawn["sent_query"]:
                expected = self.drawn["sent_query"][name]
                assert value == expected or text == str(expected), name

    def check_body(self, request: MockRequest) -> None:
        schema = self.op.body()
        if schema is None:
            assert request.content == b"", f"{self.op} declares no body, sent {request.content!r}"
            return
        sent = request.json()
        Draft202012Validator(schema).validate(sent)
        drawn = self.drawn["body"]
        # A request model may send a field the caller left out, at the schema's default.
        defaults = {
            k: schema.get("properties", {}).get(k, {}).get("default")
            for k in sent.keys() - drawn.keys()
        }
        assert sent == {**defaults, **drawn}


async def run_call(op: SpecOperation, drawn: dict[str, Any]) -> tuple[Any, Exchange]:
    exchange = Exchange(op, drawn)
    async with client_for(exchange) as client:
        target = at(client, op.call)
        args = list(drawn["path"].values())
        kwargs = {**drawn["query"], **(drawn["body"] or {})}
        if op.page is not None:
            return [item async for item in target(*args, **kwargs)], exchange
        return await target(*args, **kwargs), exchange


def walk_cases() -> list[Any]:
    cases = []
    for op in SPEC_OPERATIONS:
        marks = []
        if op.call in KNOWN_DEFECTS:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_DEFECTS[op.call]))
        cases.append(pytest.param(op, id=str(op), marks=marks))
    return cases


@pytest.mark.parametrize("op", walk_cases())
def test_each_call_sends_what_the_schema_accepts_and_parses_any_reply_it_allows(
    op: SpecOperation,
) -> None:
    if op.body("multipart/form-data") is not None:
        pytest.skip("multipart: tests/test_codegen.py sends a file through it")
    target = at(client_for(lambda _: MockResponse(500)), op.call)
    returns = typing.get_type_hints(target)["return"]

    @WALK
    @given(drawn=arguments(op, target))
    def walk(drawn: dict[str, Any]) -> None:
        note(f"{op.call}: {json.dumps(drawn, ensure_ascii=False)}")
        result, exchange = asyncio.run(run_call(op, drawn))
        reply = drawn["reply"]
        if op.page is not None:
            (item_cls,) = typing.get_args(returns)
            items, cursor = op.page
            first = _get(reply, items) or []  # left out (not required): an empty page
            assert [type(item) for item in result] == [item_cls] * len(first)
            for item, data in zip(result, first, strict=True):
                check_fields(item, data, op.call)
            more = reply.get("has_more", True) is not False and _get(reply, cursor)
            assert len(exchange.requests) == (2 if more else 1)
            return
        if op.call in RETURNS_NONE:
            assert result is None
            return
        assert result is not None, f"{op.call} returned None; operations.md says a model"
        if returns == dict[str, Any]:
            assert result == reply.get("data")
            return
        assert isinstance(result, returns)
        check_fields(result, reply.get("data"), op.call)

    walk()


async def test_an_empty_query_value_is_not_sent() -> None:
    """OpenAPI 3.0 query values may not be empty (allowEmptyValue defaults to false): Prism
    answers `?username=` with 422."""
    sent: list[str] = []

    def handler(request: MockRequest) -> MockResponse:
        sent.append(request.url)
        return MockResponse(200, json={"data": [], "has_more": False, "next_token": None})

    async with client_for(handler) as client:
        try:
            assert [a async for a in client.assets.list(username="")] == []
        except hg.ValidationError:
            return  # refused before any I/O: fine too
    assert "username=" not in sent[0]
