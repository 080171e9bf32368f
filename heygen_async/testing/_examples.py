"""Deterministic, schema-valid values from HeyGen's schemas: what FakeHeyGen fills in for fields
a reply needs and its state does not hold, and what tests send as a minimal request.

`example(schema)` builds a value the schema accepts (the first enum value, the first variant of
a union, the discriminator's first value); `conform(schema, value)` projects a stored record
onto a reply schema: every declared field, the record's value where the schema accepts it, an
example (or null, for an optional nullable field) where it does not.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._schema import SchemaError, SchemaValidator

URL = "https://files.example/x"
TIMESTAMP = 1_700_000_000
ISO_TIME = "2024-01-02T03:04:05Z"


class Examples:
    """Examples and projections for the schemas of one OpenAPI document."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.validator = SchemaValidator(document)

    def example(self, schema: Mapping[str, Any], name: str = "", *, minimal: bool = False) -> Any:
        """A value `schema` accepts; `minimal` leaves out the optional fields of objects."""
        schema = self.validator.resolve(schema)
        if "discriminator" in schema and ("oneOf" in schema or "anyOf" in schema):
            return self._discriminated(schema, name, minimal)
        for key in ("oneOf", "anyOf"):
            if schema.get(key):
                return self.example(schema[key][0], name, minimal=minimal)
        if schema.get("allOf"):
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                value = self.example(part, name, minimal=minimal)
                if isinstance(value, dict):
                    merged.update(value)
            return merged
        if "enum" in schema:
            return schema["enum"][0]
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            required = set(schema.get("required", ()))
            return {
                key: self.example(sub, key, minimal=minimal)
                for key, sub in schema.get("properties", {}).items()
                if not minimal or key in required
            }
        if kind == "array":
            count = max(1, schema.get("minItems", 1))
            items = schema.get("items") or {"type": "string"}
            return [self.example(items, name, minimal=minimal) for _ in range(count)]
        if kind == "integer":
            return _bounded(TIMESTAMP if name.endswith("_at") else 3, schema)
        if kind == "number":
            return _bounded(1.5, schema)
        if kind == "boolean":
            return False
        if kind == "string":
            return _string(schema, name)
        return {}

    def _discriminated(self, schema: Mapping[str, Any], name: str, minimal: bool) -> Any:
        field = schema["discriminator"]["propertyName"]
        variants = list(schema.get("oneOf") or schema.get("anyOf") or ())
        mapping: Mapping[str, str] = schema["discriminator"].get("mapping", {})
        for kind, ref in mapping.items():
            try:
                target = self.validator.resolve({"$ref": ref})
            except (KeyError, TypeError):
                # HeyGen names variants it does not publish: find the one whose
                # discriminator says "Must be 'kind'", else the first.
                target = next(
                    (v for v in variants if f"'{kind}'" in _describe(self.validator, v, field)),
                    variants[0] if variants else {},
                )
            value = self.example(target, name, minimal=minimal)
            if isinstance(value, dict):
                value[field] = kind
                return value
        return self.example(variants[0], name, minimal=minimal) if variants else {}

    def valid(self, schema: Mapping[str, Any], value: Any) -> bool:
        try:
            self.validator.validate(schema, value)
        except (SchemaError, RecursionError):
            return False
        return True

    def conform(self, schema: Mapping[str, Any], value: Any, name: str = "") -> Any:
        """`value` as `schema` describes it: declared fields only, each valid, none missing."""
        schema = self.validator.resolve(schema)
        properties = schema.get("properties")
        if isinstance(value, dict) and properties and not _is_union(schema):
            required = set(schema.get("required", ()))
            out: dict[str, Any] = {}
            for key, sub in properties.items():
                sub = self.validator.resolve(sub)
                if key in value:
                    out[key] = self.conform(sub, value[key], key)
                elif key in required or not sub.get("nullable"):
                    out[key] = self.example(sub, key)
                else:
                    out[key] = None
            return out
        if isinstance(value, list) and schema.get("type") == "array":
            items = schema.get("items") or {}
            return [self.conform(items, item, name) for item in value]
        return value if self.valid(schema, value) else self.example(schema, name)


def _is_union(schema: Mapping[str, Any]) -> bool:
    return any(key in schema for key in ("oneOf", "anyOf", "allOf"))


def _describe(validator: SchemaValidator, variant: Mapping[str, Any], field: str) -> str:
    resolved = validator.resolve(variant)
    prop = validator.resolve(resolved.get("properties", {}).get(field, {}))
    return str(prop.get("description", ""))


def _bounded(value: float, schema: Mapping[str, Any]) -> Any:
    low = schema.get("minimum")
    high = schema.get("maximum")
    if low is not None and value < low:
        value = low + (1 if schema.get("exclusiveMinimum") else 0)
    if high is not None and value > high:
        value = high - (1 if schema.get("exclusiveMaximum") else 0)
    return int(value) if schema.get("type") == "integer" else float(value)


def _string(schema: Mapping[str, Any], name: str) -> str:
    if name.endswith("_at"):
        text = ISO_TIME
    elif name.endswith("url") or schema.get("format") == "uri":
        text = URL
    elif name == "email" or schema.get("format") == "email":
        text = "fake@example.com"
    else:
        text = f"{name or 'value'}_1"
    low = schema.get("minLength", 0)
    high = schema.get("maxLength")
    if len(text) < low:
        text += "x" * (low - len(text))
    if high is not None:
        text = text[:high]
    return text
