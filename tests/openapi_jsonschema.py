"""HeyGen's OpenAPI 3.0 schemas as plain JSON Schema, for real validators and generators.

OpenAPI 3.0 is not JSON Schema: `nullable` is its own keyword, `$ref`s point into the
document, and `discriminator` picks a `oneOf` variant by one property's value. HeyGen's
variants often leave that property a bare string (`"type": {"type": "string"}`), so two
variants of the same shape (a digital twin and a photo avatar both take `name` and `file`)
both match, and plain `oneOf` refuses every such body. `json_schema` translates:

- `$ref` is inlined; `nullable: true` adds "null" to `type` (and to `enum`);
- each variant of a discriminated union has its property pinned to its mapping value, found
  from the variant's `$ref`, its shape (the component the mapping names), its `enum` or
  `default`, or the value its description quotes ("Must be 'photo' ..."); a variant that
  none of those identify accepts the values no other variant claims;
- `closed=True` closes every object that lists its properties (`additionalProperties:
  false`), as HeyGen's v3 API refuses unknown request fields although the document leaves
  them open;
- OpenAPI-only keywords (`discriminator`, `x-*`, `example`) and `format: binary` go.
"""

from __future__ import annotations

import re
from typing import Any

_DROPPED = {"discriminator", "example", "deprecated", "readOnly", "writeOnly", "xml"}
_QUOTED = re.compile(r"'([^']+)'")


def json_schema(schema: Any, document: dict[str, Any], *, closed: bool = False) -> Any:
    """`schema` (a part of `document`) as a self-contained JSON Schema."""
    return _Translator(document, closed).schema(schema)


class _Translator:
    def __init__(self, document: dict[str, Any], closed: bool) -> None:
        self.document = document
        self.closed = closed

    def resolve(self, schema: Any) -> Any:
        while isinstance(schema, dict) and "$ref" in schema:
            target: Any = self.document
            for part in schema["$ref"].lstrip("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            schema = target
        return schema

    def schema(self, schema: Any) -> Any:
        schema = self.resolve(schema)
        if not isinstance(schema, dict):
            return schema
        out: dict[str, Any] = {}
        for key, value in schema.items():
            if key in _DROPPED or key.startswith("x-") or key == "nullable":
                continue
            if key == "format" and value == "binary":
                continue
            if key == "properties":
                out[key] = {name: self.schema(s) for name, s in value.items()}
            elif key in ("items", "not") or (key == "additionalProperties" and value is not True):
                out[key] = self.schema(value) if isinstance(value, dict) else value
            elif key in ("oneOf", "anyOf", "allOf"):
                out[key] = [self.schema(s) for s in value]
            else:
                out[key] = value
        if "discriminator" in schema:
            self._pin_variants(schema, out)
        if self.closed and "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        if schema.get("nullable"):
            out = _nullable(out)
        return out

    def _pin_variants(self, original: dict[str, Any], out: dict[str, Any]) -> None:
        discriminator = original["discriminator"]
        prop = discriminator["propertyName"]
        union = "oneOf" if "oneOf" in original else "anyOf"
        variants = original.get(union, [])
        mapping: dict[str, str] = discriminator.get("mapping") or {
            v["$ref"].rsplit("/", 1)[-1]: v["$ref"] for v in variants if "$ref" in v
        }
        keys = [self._key_of(v, prop, mapping) for v in variants]
        unclaimed = [k for k in mapping if k not in keys]
        translated = out[union]
        for index, key in enumerate(keys):
            allowed = [key] if key is not None else unclaimed
            variant = translated[index]
            props = variant.setdefault("properties", {})
            props[prop] = {**props.get(prop, {"type": "string"}), "enum": allowed}
            if prop not in variant.get("required", []):
                variant["required"] = [*variant.get("required", []), prop]
        if keys.count(None) > 1:
            # The document cannot tell these variants apart: any that fits will do.
            out["anyOf"] = out.pop(union)

    def _key_of(self, variant: dict[str, Any], prop: str, mapping: dict[str, str]) -> str | None:
        """The mapping value that selects `variant`, None if nothing in the document says."""
        for key, ref in mapping.items():
            if variant.get("$ref") == ref:
                return key
        resolved = self.resolve(variant)
        for key, ref in mapping.items():
            try:
                named = self.resolve({"$ref": ref})
            except (KeyError, TypeError):
                continue
            if set(named.get("properties", {})) == set(resolved.get("properties", {})) and set(
                named.get("required", [])
            ) == set(resolved.get("required", [])):
                return key
        field = self.resolve(resolved.get("properties", {}).get(prop, {}))
        enum = field.get("enum") or []
        if len(enum) == 1 and enum[0] in mapping:
            return str(enum[0])
        if field.get("default") in mapping:
            return str(field["default"])
        quoted = [q for q in _QUOTED.findall(field.get("description", "")) if q in mapping]
        if len(set(quoted)) == 1:
            return str(quoted[0])
        return None


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    kind = schema.get("type")
    if isinstance(kind, str):
        schema = {**schema, "type": [kind, "null"]}
        if "enum" in schema and None not in schema["enum"]:
            schema["enum"] = [*schema["enum"], None]
        return schema
    if kind is None:
        return {"anyOf": [{"type": "null"}, schema]}
    return schema
