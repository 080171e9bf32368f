"""HeyGen's operations as the generator sees them, read from heygen-openapi.v3.json."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import config

SCHEMA_PATH = Path(__file__).parent.parent / "heygen_async" / "testing" / "heygen-openapi.v3.json"
METHODS = ("get", "post", "put", "patch", "delete")


@dataclass
class Param:
    name: str
    schema: dict[str, Any]
    required: bool


@dataclass
class Operation:
    method: str  # "GET", ...
    path: str
    spec: dict[str, Any]
    group: str  # the client attribute: "avatars"
    namespace: tuple[str, ...]  # ("avatars", "looks")
    name: str  # the method: "get"
    path_params: list[Param] = field(default_factory=list)
    query: list[Param] = field(default_factory=list)
    body: dict[str, Any] | None = None  # the JSON body's schema
    multipart: dict[str, Any] | None = None  # the multipart form's schema
    reply: dict[str, Any] | None = None  # the reply's whole schema

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)

    @property
    def var(self) -> str:
        """The x-cli-var (`AvatarLooksGet`), or one made alike for the sessions API."""
        var = self.spec.get("x-cli-var")
        if var:
            return str(var)
        return camel(self.group) + camel(self.name)

    @property
    def hand_written(self) -> bool:
        return self.key in config.HAND_WRITTEN

    @property
    def call(self) -> str:
        return ".".join(("client", *self.namespace, self.name))

    @property
    def paginated(self) -> bool:
        props = (self.reply or {}).get("properties", {})
        return "has_more" in props and "next_token" in props

    @property
    def limit(self) -> Param | None:
        return next((p for p in self.query if p.name == "limit"), None)

    @property
    def query_args(self) -> list[Param]:
        """The query parameters the caller names (a list manages limit and token itself)."""
        if self.paginated:
            return [p for p in self.query if p.name not in ("limit", "token")]
        return self.query

    @property
    def data(self) -> dict[str, Any] | None:
        """The schema of the reply's `data`, None where the schema says nothing of it."""
        data = (self.reply or {}).get("properties", {}).get("data")
        return data if isinstance(data, dict) else None


def camel(words: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in re.split(r"[-_ ]", words) if w)


def snake(word: str) -> str:
    return word.replace("-", "_")


def load() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return document


def operations(document: dict[str, Any]) -> list[Operation]:
    """Every operation of the document, with its SDK call (the naming rule of operations.md)."""
    found = []
    for path, item in document["paths"].items():
        for method in METHODS:
            spec = item.get(method)
            if spec is None:
                continue
            found.append(_operation(method.upper(), path, spec))
    return found


def _operation(method: str, path: str, spec: dict[str, Any]) -> Operation:
    command = spec.get("x-cli-command")
    if (method, path) in config.SESSION_CALLS:
        group, name = config.SESSION_CALLS[(method, path)]
        namespace: tuple[str, ...] = (group,)
    elif command in config.CALL_NAMES:
        group, name = config.CALL_NAMES[command]
        namespace = (group,)
    elif isinstance(command, str) and command.startswith("heygen "):
        words = command.split()[1:]
        if words[0] not in config.GROUPS:
            raise SystemExit(f"{method} {path}: CLI group {words[0]!r} is not in config.GROUPS")
        group = config.GROUPS[words[0]]
        namespace = (group, *(snake(w) for w in words[1:-1]))
        name = snake(words[-1])
    else:
        raise SystemExit(f"{method} {path}: no x-cli-command and not in config.SESSION_CALLS")
    op = Operation(method, path, spec, group, namespace, name)
    for param in spec.get("parameters", ()):
        target = op.path_params if param["in"] == "path" else op.query
        if param["in"] in ("path", "query"):
            target.append(
                Param(param["name"], param.get("schema", {}), bool(param.get("required")))
            )
    order = re.findall(r"{(\w+)}", path)
    op.path_params.sort(key=lambda p: order.index(p.name))
    content = spec.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        op.body = content["application/json"]["schema"]
    if "multipart/form-data" in content:
        op.multipart = content["multipart/form-data"]["schema"]
    reply = spec.get("responses", {}).get("200", {})
    op.reply = reply.get("content", {}).get("application/json", {}).get("schema")
    return op
