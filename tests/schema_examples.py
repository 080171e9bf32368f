"""Deterministic example replies built from HeyGen's response schemas (for tests).

Every property of an object is filled (required or not), so a typed model that parses the
example has a field for each, of the right type.
"""

from __future__ import annotations

from typing import Any

URL = "https://files.example.com/x.mp4"


def example(schema: dict[str, Any], name: str = "") -> Any:
    """A value `schema` accepts (the first variant of a oneOf, the first enum value)."""
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return example(schema[key][0], name)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {k: example(v, k) for k, v in schema.get("properties", {}).items()}
    if kind == "array":
        return [example(schema.get("items") or {"type": "string"}, name)]
    if kind == "integer":
        return 1_700_000_000 if name.endswith("_at") else 3
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if kind == "string":
        if name.endswith("_at"):
            return "2024-01-02T03:04:05Z"
        if name.endswith("url") or schema.get("format") == "uri":
            return URL
        if name == "upload_headers":
            return {}
        return f"{name or 'value'}_1"
    return {}


def reply(schema: dict[str, Any]) -> Any:
    """A whole reply (`{"data": ...}`, with paging fields for a list) for a 200 schema.

    A list's example ends on its first page (`has_more` false).
    """
    body = example(schema)
    if not isinstance(body, dict):
        return {"data": body}
    if "has_more" in body:
        body["has_more"] = False
        body["next_token"] = None
    body.setdefault("data", {})
    return body
