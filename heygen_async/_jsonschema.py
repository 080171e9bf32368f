"""A small validator for the OpenAPI 3.0 schemas in HeyGen's document (no dependencies).

The SDK checks every request body and query against HeyGen's schema with it before any I/O
(`check_body`, `check_query`: they raise `ValidationError` naming the field); FakeHeyGen
checks what it receives with the same code (`heygen_async.testing._schema` re-exports it).

It covers the keywords the document uses: `$ref` to components, `type` with `nullable`,
`required`, `properties`, `additionalProperties`, `enum`, `minLength`/`maxLength`,
`minimum`/`maximum` (and their exclusive forms), `minItems`/`maxItems`, `items`, `oneOf`,
`anyOf`, `allOf` with `discriminator`, and `format: uri`. Anything else is ignored, as
JSON Schema ignores unknown keywords. A discriminator whose mapping names a schema the
document does not hold (HeyGen's names variants it does not publish) accepts a value that
matches any of the variants.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from ._convert import unstructure
from ._errors import ValidationError
from .models._checks import is_https_or_loopback

_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "array": "an array",
    "object": "an object",
}


# A format the SDK adds to HeyGen's schema (codegen/config.py, SCHEMA_FORMATS) where it is
# stricter than the schema: a URL HeyGen will send secrets or data to.
HTTPS_OR_LOOPBACK = "x-https-or-loopback"


class SchemaError(Exception):
    """A value the schema refuses: `param` is the field's path ("files[0].type"), None for
    the whole body; `message` is for people and names the field."""

    def __init__(self, param: str | None, message: str) -> None:
        super().__init__(message)
        self.param = param
        self.message = message


class SchemaValidator:
    """Checks values against schemas of one OpenAPI document (for its `$ref`s).

    `closed_objects`: an object schema that lists `properties` but says nothing of
    `additionalProperties` refuses unknown fields, as HeyGen's v3 API does although its
    document leaves them open.
    """

    def __init__(self, document: Mapping[str, Any], *, closed_objects: bool = False) -> None:
        self.document = document
        self.closed_objects = closed_objects

    def validate(self, schema: Mapping[str, Any], value: Any, param: str | None = None) -> None:
        """Raise SchemaError for the first thing in `value` that `schema` refuses."""
        schema = self.resolve(schema)
        name = param or "The body"
        if value is None:
            if schema.get("nullable") or "type" not in schema:
                return
            raise SchemaError(param, f"{name} must not be null.")
        expected = schema.get("type")
        if expected is not None and not _has_type(value, expected):
            raise SchemaError(param, f"{name} must be {_TYPE_NAMES.get(expected, expected)}.")
        if "enum" in schema and value not in schema["enum"]:
            allowed = ", ".join(str(v) for v in schema["enum"])
            raise SchemaError(param, f"{name} must be one of: {allowed}.")
        if isinstance(value, str):
            self._check_string(schema, value, param, name)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            _check_number(schema, value, param, name)
        elif isinstance(value, list):
            self._check_array(schema, value, param, name)
        elif isinstance(value, dict):
            self._check_object(schema, value, param)
        self._check_combinations(schema, value, param, name)

    def resolve(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        """Follow `$ref`s ("#/components/schemas/AssetUrl") to the schema they name."""
        seen = 0
        while "$ref" in schema:
            ref = schema["$ref"]
            if not isinstance(ref, str) or not ref.startswith("#/"):
                raise ValueError(f"only local references are supported, not {ref!r}")
            target: Any = self.document
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            schema = target
            seen += 1
            if seen > 32:
                raise ValueError(f"reference cycle at {ref!r}")
        return schema

    def _check_string(
        self, schema: Mapping[str, Any], value: str, param: str | None, name: str
    ) -> None:
        if "minLength" in schema and len(value) < schema["minLength"]:
            n = schema["minLength"]
            raise SchemaError(param, f"{name} must be at least {n} character{_s(n)} long.")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            n = schema["maxLength"]
            raise SchemaError(param, f"{name} must be at most {n} character{_s(n)} long.")
        if schema.get("format") == "uri":
            parts = urlsplit(value)
            if not parts.scheme or not (parts.netloc or parts.path):
                raise SchemaError(param, f"{name} must be an absolute URL.")
        if schema.get("format") == HTTPS_OR_LOOPBACK and not is_https_or_loopback(value):
            raise SchemaError(
                param,
                f"{name} must be an https:// URL (plain http:// only to a loopback host, "
                "for development).",
            )

    def _check_array(
        self, schema: Mapping[str, Any], value: list[Any], param: str | None, name: str
    ) -> None:
        if "minItems" in schema and len(value) < schema["minItems"]:
            n = schema["minItems"]
            raise SchemaError(param, f"{name} must have at least {n} item{_s(n)}.")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            n = schema["maxItems"]
            raise SchemaError(param, f"{name} must have at most {n} item{_s(n)}.")
        items = schema.get("items")
        if items is not None:
            for index, item in enumerate(value):
                self.validate(items, item, f"{param or ''}[{index}]")

    def _check_object(
        self, schema: Mapping[str, Any], value: dict[str, Any], param: str | None
    ) -> None:
        properties: Mapping[str, Any] = schema.get("properties", {})
        for key in schema.get("required", ()):
            if key not in value:
                raise SchemaError(_join(param, key), f"{_join(param, key)} is required.")
        extra = schema.get("additionalProperties")
        # `properties: {}` lists nothing: a free-form map (template variables, keyed by name).
        if extra is None and self.closed_objects and schema.get("properties"):
            extra = False
        for key, item in value.items():
            field = _join(param, key)
            if key in properties:
                self.validate(properties[key], item, field)
            elif extra is False:
                raise SchemaError(field, f"Unknown field {field}.")
            elif isinstance(extra, Mapping):
                self.validate(extra, item, field)

    def _check_combinations(
        self, schema: Mapping[str, Any], value: Any, param: str | None, name: str
    ) -> None:
        for part in schema.get("allOf", ()):
            self.validate(part, value, param)
        if "discriminator" in schema and isinstance(value, dict):
            self._check_discriminated(schema, value, param)
            return
        if "oneOf" in schema:
            errors, matched = self._try_each(schema["oneOf"], value, param)
            if matched == 0:
                raise _closest(errors, param, f"{name} matches none of the allowed forms.")
            if matched > 1:
                raise SchemaError(param, f"{name} matches more than one of the allowed forms.")
        if "anyOf" in schema:
            errors, matched = self._try_each(schema["anyOf"], value, param)
            if matched == 0:
                raise _closest(errors, param, f"{name} matches none of the allowed forms.")

    def _check_discriminated(
        self, schema: Mapping[str, Any], value: dict[str, Any], param: str | None
    ) -> None:
        discriminator = schema["discriminator"]
        field = _join(param, discriminator["propertyName"])
        mapping: Mapping[str, str] = discriminator.get("mapping", {})
        if not mapping:  # without a mapping, the variants' names are the values
            for variant in schema.get("oneOf", ()) or schema.get("anyOf", ()):
                ref = variant.get("$ref", "")
                mapping = {**mapping, ref.rsplit("/", 1)[-1]: ref}
        kind = value.get(discriminator["propertyName"])
        if kind is None:
            raise SchemaError(field, f"{field} is required.")
        if not isinstance(kind, str) or kind not in mapping:
            allowed = ", ".join(mapping)
            raise SchemaError(field, f"{field} must be one of: {allowed}.")
        try:
            target = self.resolve({"$ref": mapping[kind]})
        except (KeyError, TypeError):
            target = None
        if target is not None:
            self.validate(target, value, param)
            return
        # The variant is not in the document: any variant that fits will do.
        variants = schema.get("oneOf", ()) or schema.get("anyOf", ())
        errors, matched = self._try_each(list(variants), value, param)
        if matched == 0:
            name = param or "The body"
            raise _closest(errors, param, f"{name} matches none of the allowed forms.")

    def _try_each(
        self, variants: list[Mapping[str, Any]], value: Any, param: str | None
    ) -> tuple[list[SchemaError], int]:
        errors: list[SchemaError] = []
        matched = 0
        for variant in variants:
            try:
                self.validate(variant, value, param)
            except SchemaError as exc:
                errors.append(exc)
            else:
                matched += 1
        return errors, matched


def _has_type(value: Any, expected: str) -> bool:
    if expected == "string":
        return isinstance(value, str)
    if expected == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if expected == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if expected == "boolean":
        return isinstance(value, bool)
    if expected == "array":
        return isinstance(value, list)
    if expected == "object":
        return isinstance(value, dict)
    return True


def _check_number(schema: Mapping[str, Any], value: float, param: str | None, name: str) -> None:
    # OpenAPI 3.0 spells exclusive bounds as booleans beside minimum/maximum; JSON Schema
    # (and OpenAPI 3.1) as numbers of their own. Both are understood.
    low, high = schema.get("minimum"), schema.get("maximum")
    low_open, high_open = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if not isinstance(low_open, bool) and low_open is not None:
        low, low_open = low_open, True
    if not isinstance(high_open, bool) and high_open is not None:
        high, high_open = high_open, True
    if low is not None and (value <= low if low_open else value < low):
        bound = "greater than" if low_open else "at least"
        raise SchemaError(param, f"{name} must be {bound} {low}.")
    if high is not None and (value >= high if high_open else value > high):
        bound = "less than" if high_open else "at most"
        raise SchemaError(param, f"{name} must be {bound} {high}.")


def _closest(errors: list[SchemaError], param: str | None, fallback: str) -> SchemaError:
    """The error of the variant that got furthest (the deepest param), else `fallback`."""
    deeper = [e for e in errors if e.param is not None and e.param != param]
    if deeper:
        return max(deeper, key=lambda e: len(e.param or ""))
    return SchemaError(param, fallback)


def _join(param: str | None, key: str) -> str:
    return f"{param}.{key}" if param else key


def _s(n: int) -> str:
    return "" if n == 1 else "s"


class OperationSchemas:
    """The request schemas of a module's operations (generated code holds them as literals),
    checked before any I/O: bad input raises ValidationError naming the field.

    `document` holds the components the schemas refer to; objects that list their
    properties refuse unknown fields, as HeyGen's v3 API does.
    """

    def __init__(
        self,
        document: Mapping[str, Any],
        bodies: Mapping[str, Mapping[str, Any]],
        queries: Mapping[str, Mapping[str, Mapping[str, Any]]],
    ) -> None:
        self.validator = SchemaValidator(document, closed_objects=True)
        self.bodies = bodies
        self.queries = queries

    def body(
        self, operation: str, request: object, cls: type[Any], fields: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The JSON body of `operation`: `request` (a `cls`) or the keyword `fields` that are
        not None, checked against the operation's schema."""
        if request is not None:
            if any(value is not None for value in fields.values()):
                raise ValidationError(
                    "request", "pass a request object or keyword fields, not both"
                )
            if not isinstance(request, cls):
                raise ValidationError(
                    "request", f"must be a {cls.__name__}, not {type(request).__name__}"
                )
            payload = _plain(unstructure(request))
        else:
            payload = {k: _plain(unstructure(v)) for k, v in fields.items() if v is not None}
        try:
            self.validator.validate(self.bodies[operation], payload)
        except SchemaError as exc:
            raise _refused(exc, "request") from None
        return payload  # type: ignore[no-any-return]

    def query(self, operation: str, query: dict[str, object]) -> dict[str, object]:
        """`query` itself once every parameter that is not None fits its schema."""
        schemas = self.queries[operation]
        for name, value in query.items():
            if value == "":
                # `?name=` is not a value OpenAPI 3.0 allows (no allowEmptyValue anywhere in
                # HeyGen's schema): almost always a bug in the caller; leave the option out.
                raise ValidationError(name, "must not be empty (leave it out instead)")
            if value is not None and name in schemas:
                try:
                    self.validator.validate(schemas[name], value, name)
                except SchemaError as exc:
                    raise _refused(exc, name) from None
        return query


def _refused(exc: SchemaError, default: str) -> ValidationError:
    """The SDK's error for a value the schema refuses: `field: what is wrong` (the schema's
    message names the field too, as FakeHeyGen's 400s must; here it would say it twice)."""
    field = exc.param or default
    message = exc.message.removeprefix(f"{field} ")
    return ValidationError(field, message)


def _plain(value: Any) -> Any:
    """Unstructured data as the JSON types the schema speaks of (tuples are arrays)."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
