"""Checks JSON bodies against HeyGen's OpenAPI document, the copy heygen_async.testing ships."""

from __future__ import annotations

import importlib.resources
import json
import re
from typing import Any

from openapi_schema_validator import OAS30Validator

SPEC = importlib.resources.files("heygen_async.testing").joinpath("heygen-openapi.v3.json")


class OpenAPI:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.routes: list[tuple[str, re.Pattern[str], dict[str, Any]]] = []
        for template, item in spec["paths"].items():
            pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")
            for method, operation in item.items():
                if method in ("get", "post", "put", "delete", "patch"):
                    self.routes.append((method.upper(), pattern, operation))
        # Literal paths first, so /v3/video-agents/styles is not taken for /{session_id}.
        self.routes.sort(key=lambda r: r[1].pattern.count("[^/]+"))

    @classmethod
    def load(cls) -> OpenAPI:
        return cls(json.loads(SPEC.read_text("utf-8")))

    def _resolve(self, node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                target: Any = self.spec
                for part in node["$ref"].lstrip("#/").split("/"):
                    target = target[part]
                return self._resolve(target)
            # oneOf with each variant's `type` enum already discriminates; the mapping's
            # string references would need a resolver for nothing.
            return {k: self._resolve(v) for k, v in node.items() if k != "discriminator"}
        if isinstance(node, list):
            return [self._resolve(v) for v in node]
        return node

    def operation(self, method: str, path: str) -> dict[str, Any]:
        for m, pattern, operation in self.routes:
            if m == method and pattern.match(path):
                return operation
        raise AssertionError(f"{method} {path} is not in the OpenAPI document")

    def check_request(self, method: str, path: str, body: Any) -> None:
        operation = self.operation(method, path)
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        OAS30Validator(self._resolve(schema)).validate(body)

    def check_response(self, method: str, path: str, status: int, body: Any) -> None:
        operation = self.operation(method, path)
        reply = operation["responses"].get(str(status))
        if reply is None:
            reply = operation["responses"]["500" if status >= 500 else "400"]
        schema = self._resolve(reply)["content"]["application/json"]["schema"]
        OAS30Validator(schema).validate(body)

    def check_exchange(self, recorded: Any) -> None:
        """A request FakeHeyGen recorded, and its reply, both as the document says."""
        if recorded.json is not None and recorded.method in ("POST", "PUT", "PATCH"):
            self.check_request(recorded.method, recorded.path, recorded.json)
        if recorded.response is not None:
            self.check_response(recorded.method, recorded.path, recorded.status, recorded.response)
