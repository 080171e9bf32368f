"""Hypothesis strategies for the JSON Schema that `tests.openapi_jsonschema` produces.

hypothesis-jsonschema would be the tool, but its last release (0.23.1) calls a Hypothesis
internal that Hypothesis 6.16x removed (`many.more`), and schemathesis, which this project
also uses, needs the newer Hypothesis. HeyGen's schemas use a small subset of JSON Schema, so
this covers exactly that subset: `type` (a name or a list), `enum`, `properties`,
`required`, `additionalProperties`, `items`, `minItems`/`maxItems`, `minLength`/
`maxLength`, `minimum`/`maximum`, `oneOf`, `anyOf`, and a few formats: `date-time` (ISO
8601), and ones of the tests' own: `http-url` (an absolute http(s) URL), `id` (a plain
identifier), `text` (not blank). Anything else raises, so a schema that
grows a keyword is noticed. Callers validate what they draw with a real validator anyway.

Objects that do not close themselves get a few unknown fields, as a server may add fields
at any time; strings are any UTF-8 text (no lone surrogates: they cannot cross the wire).
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from hypothesis import strategies as st
from jsonschema import Draft202012Validator

_KNOWN = {
    "type",
    "enum",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "oneOf",
    "anyOf",
    "default",
    "description",
    "title",
    "format",
}
_TEXT = st.characters(codec="utf-8")
_NAMES = st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
# Integers within a double's exact range: beyond it JSON parsers differ (RFC 8259, 6).
_BIG = 2**53
_INTEGERS = st.integers(-_BIG, _BIG)
_FLOATS = st.floats(-_BIG, _BIG, allow_nan=False, allow_infinity=False)
_SCALARS = st.none() | st.booleans() | _INTEGERS | _FLOATS | st.text(_TEXT)
_ANY_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(_NAMES, inner, max_size=2),
    max_leaves=4,
)


_FORMATS = {
    "date-time": st.datetimes(timezones=st.just(UTC)).map(
        lambda t: t.isoformat().replace("+00:00", "Z")
    ),
    "http-url": st.builds(
        "{}://{}.example/{}".format,
        st.sampled_from(["http", "https"]),
        st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True),
        st.from_regex(r"[A-Za-z0-9._~/-]{0,20}", fullmatch=True),
    ),
    # The SDK's own format where it is stricter than HeyGen's schema (codegen/config.py).
    "x-https-or-loopback": st.one_of(
        st.builds("https://{}.example/hooks".format, st.from_regex(r"[a-z]{1,8}", fullmatch=True)),
        st.builds("http://127.0.0.1:{}/hooks".format, st.integers(1, 65535)),
    ),
    "id": st.from_regex(r"[A-Za-z0-9_-]{1,16}", fullmatch=True),
    "text": st.text(_TEXT, min_size=1, max_size=12).filter(str.strip),
}


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values `schema` accepts (checked with jsonschema, so a wrong draw is never used)."""
    validator = Draft202012Validator(schema)
    return _strategy(schema).filter(validator.is_valid)


def _strategy(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    unknown = set(schema) - _KNOWN
    if unknown:
        raise NotImplementedError(f"keywords {sorted(unknown)} in {schema}")
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    for union in ("oneOf", "anyOf"):
        if union in schema:
            base = {k: v for k, v in schema.items() if k != union}
            return st.one_of([_strategy(_merge(base, v)) for v in schema[union]])
    kinds = schema.get("type")
    if kinds is None:
        kinds = ["object"] if "properties" in schema else None
    if kinds is None:
        return _ANY_JSON
    if isinstance(kinds, str):
        kinds = [kinds]
    return st.one_of([_of_type(kind, schema) for kind in kinds])


def _merge(base: dict[str, Any], variant: dict[str, Any]) -> dict[str, Any]:
    merged = {**base, **variant}
    if "properties" in base and "properties" in variant:
        merged["properties"] = {**base["properties"], **variant["properties"]}
        merged["required"] = sorted({*base.get("required", []), *variant.get("required", [])})
    return merged


def _of_type(kind: str, schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    low, high = schema.get("minimum", -_BIG), schema.get("maximum", _BIG)
    if kind == "integer":
        return st.integers(low, high)
    if kind == "number":
        whole = st.integers(int(-(-low // 1)), int(high // 1))
        return whole | st.floats(low, high, allow_nan=False, allow_infinity=False)
    if kind == "string" and schema.get("format") in _FORMATS:
        return _FORMATS[schema["format"]]
    if kind == "string":
        low = schema.get("minLength", 0)
        return st.text(_TEXT, min_size=low, max_size=schema.get("maxLength", low + 12))
    if kind == "array":
        low = schema.get("minItems", 0)
        high = min(schema.get("maxItems", low + 2), low + 2)
        return st.lists(_strategy(schema.get("items", {})), min_size=low, max_size=high)
    if kind == "object":
        return _object(schema)
    raise NotImplementedError(f"type {kind!r}")


def _object(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    properties: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", ()))
    known = st.fixed_dictionaries(
        {k: _strategy(properties.get(k, {})) for k in sorted(required)},
        optional={k: _strategy(v) for k, v in properties.items() if k not in required},
    )
    extra = schema.get("additionalProperties", True)
    if extra is False:
        return known
    values = _ANY_JSON if extra is True else _strategy(extra)
    unknown = st.dictionaries(_NAMES.filter(lambda k: k not in properties), values, max_size=2)
    return st.builds(lambda a, b: {**b, **a}, known, unknown)
