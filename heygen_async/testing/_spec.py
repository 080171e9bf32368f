"""HeyGen's OpenAPI document (the copy shipped in this package) and request checks against it."""

from __future__ import annotations

import functools
import importlib.resources
import json
import re
from collections.abc import Mapping
from typing import Any

from ._schema import SchemaError, SchemaValidator

DOCUMENT = "heygen-openapi.v3.json"
_METHODS = ("get", "post", "put", "patch", "delete")
_INTEGER = re.compile(r"[+-]?\d+")


@functools.cache
def load_document() -> dict[str, Any]:
    """HeyGen's OpenAPI 3.0 document, as shipped in heygen_async.testing (read once)."""
    text = importlib.resources.files(__package__).joinpath(DOCUMENT).read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


class Operation:
    """One operation of the document: checks a request's query and JSON body against it."""

    def __init__(
        self, method: str, template: str, spec: Mapping[str, Any], validator: SchemaValidator
    ) -> None:
        self.method = method
        self.template = template
        self.spec = spec
        self.validator = validator
        self.query = {p["name"]: p for p in spec.get("parameters", ()) if p.get("in") == "query"}
        content = spec.get("requestBody", {}).get("content", {})
        json_body = content.get("application/json")
        self.body_schema: Mapping[str, Any] | None = json_body["schema"] if json_body else None

    def check_query(self, query: Mapping[str, str]) -> None:
        """Raise SchemaError for a missing, mistyped or out-of-range query parameter.

        Parameters the document does not declare are ignored.
        """
        for name, parameter in self.query.items():
            if name not in query:
                if parameter.get("required"):
                    raise SchemaError(name, f"{name} is required.")
                continue
            schema = self.validator.resolve(parameter.get("schema", {}))
            self.validator.validate(schema, _from_query(query[name], schema, name), name)

    def check_body(self, body: Any) -> None:
        """Raise SchemaError when the decoded JSON body is not what the document asks for."""
        if self.body_schema is not None:
            self.validator.validate(self.body_schema, body)


class Spec:
    """The operations of HeyGen's document, found by method and concrete path."""

    def __init__(self, document: Mapping[str, Any] | None = None) -> None:
        self.document = document if document is not None else load_document()
        # HeyGen's v3 API refuses unknown fields, though its document leaves objects open.
        validator = SchemaValidator(self.document, closed_objects=True)
        self._routes: list[tuple[str, re.Pattern[str], Operation]] = []
        for template, item in self.document["paths"].items():
            pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")
            for method, spec in item.items():
                if method in _METHODS:
                    operation = Operation(method.upper(), template, spec, validator)
                    self._routes.append((method.upper(), pattern, operation))
        # Literal paths first, so /v3/video-agents/styles is not taken for /{session_id}.
        self._routes.sort(key=lambda r: r[1].pattern.count("[^/]+"))

    def operation(self, method: str, path: str) -> Operation | None:
        for route_method, pattern, operation in self._routes:
            if route_method == method and pattern.match(path):
                return operation
        return None


def _from_query(raw: str, schema: Mapping[str, Any], name: str) -> Any:
    """A query string's value as the type its schema declares (a string stays a string)."""
    kind = schema.get("type")
    if kind == "integer":
        if not _INTEGER.fullmatch(raw.strip()):
            raise SchemaError(name, f"{name} must be an integer.")
        return int(raw)
    if kind == "number":
        try:
            value = float(raw)
        except ValueError:
            raise SchemaError(name, f"{name} must be a number.") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise SchemaError(name, f"{name} must be a finite number.")
        return value
    if kind == "boolean":
        if raw not in ("true", "false"):
            raise SchemaError(name, f"{name} must be true or false.")
        return raw == "true"
    if kind == "array":
        return raw.split(",") if raw else []
    return raw
