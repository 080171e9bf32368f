"""FakeHeyGen's own schema validator: each keyword HeyGen's document uses, both ways."""

from __future__ import annotations

from typing import Any

import pytest

from heygen_async.testing._schema import SchemaError, SchemaValidator

DOC: dict[str, Any] = {
    "components": {
        "schemas": {
            "Url": {
                "type": "object",
                "additionalProperties": False,
                "required": ["type", "url"],
                "properties": {
                    "type": {"type": "string", "enum": ["url"]},
                    "url": {"type": "string"},
                },
            },
            "Id": {
                "type": "object",
                "additionalProperties": False,
                "required": ["type", "asset_id"],
                "properties": {
                    "type": {"type": "string", "enum": ["asset_id"]},
                    "asset_id": {"type": "string"},
                },
            },
        }
    }
}
FILE = {
    "oneOf": [{"$ref": "#/components/schemas/Url"}, {"$ref": "#/components/schemas/Id"}],
    "discriminator": {
        "propertyName": "type",
        "mapping": {"url": "#/components/schemas/Url", "asset_id": "#/components/schemas/Id"},
    },
}
BODY: dict[str, Any] = {
    "type": "object",
    "required": ["prompt"],
    "properties": {
        "prompt": {"type": "string", "minLength": 1, "maxLength": 5},
        "mode": {"type": "string", "enum": ["generate", "chat"]},
        "voice_id": {"type": "string", "nullable": True},
        "size": {"type": "integer", "minimum": 1, "maximum": 10},
        "ratio": {"type": "number", "minimum": 0, "exclusiveMinimum": True},
        "flag": {"type": "boolean"},
        "files": {"type": "array", "maxItems": 2, "minItems": 1, "items": FILE},
        "link": {"type": "string", "format": "uri"},
        "either": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
        "both": {"allOf": [{"type": "integer"}, {"maximum": 3}]},
    },
}


def check(value: Any, *, closed: bool = False) -> None:
    SchemaValidator(DOC, closed_objects=closed).validate(BODY, value)


def refused(value: Any, *, closed: bool = False) -> SchemaError:
    with pytest.raises(SchemaError) as caught:
        check(value, closed=closed)
    return caught.value


@pytest.mark.parametrize(
    "body",
    [
        {"prompt": "a"},
        {"prompt": "abcde", "mode": "chat", "voice_id": None, "size": 10, "ratio": 0.5},
        {"prompt": "a", "flag": False, "files": [{"type": "url", "url": "https://x"}]},
        {"prompt": "a", "files": [{"type": "asset_id", "asset_id": "a1"}], "link": "https://x/y"},
        {"prompt": "a", "either": 3, "both": 3, "unknown": 1},
        {"prompt": "a", "either": "three"},
    ],
)
def test_accepted(body: dict[str, Any]) -> None:
    check(body)


@pytest.mark.parametrize(
    ("body", "param", "words"),
    [
        ({}, "prompt", "prompt is required"),
        ({"prompt": ""}, "prompt", "at least 1 character"),
        ({"prompt": "abcdef"}, "prompt", "at most 5 characters"),
        ({"prompt": 5}, "prompt", "must be a string"),
        ({"prompt": None}, "prompt", "must not be null"),
        ({"prompt": "a", "mode": "fast"}, "mode", "one of: generate, chat"),
        ({"prompt": "a", "size": 0}, "size", "at least 1"),
        ({"prompt": "a", "size": 11}, "size", "at most 10"),
        ({"prompt": "a", "size": "12"}, "size", "must be an integer"),
        ({"prompt": "a", "size": True}, "size", "must be an integer"),
        ({"prompt": "a", "size": 1.5}, "size", "must be an integer"),
        ({"prompt": "a", "size": {}}, "size", "must be an integer"),
        ({"prompt": "a", "ratio": 0}, "ratio", "greater than 0"),
        ({"prompt": "a", "flag": "yes"}, "flag", "must be a boolean"),
        ({"prompt": "a", "files": []}, "files", "at least 1 item"),
        ({"prompt": "a", "files": [{"type": "url", "url": "u"}] * 3}, "files", "at most 2"),
        ({"prompt": "a", "files": "x"}, "files", "must be an array"),
        ({"prompt": "a", "files": [{"url": "u"}]}, "files[0].type", "is required"),
        ({"prompt": "a", "files": [{"type": "ftp"}]}, "files[0].type", "one of: url, asset_id"),
        ({"prompt": "a", "files": [{"type": "url"}]}, "files[0].url", "is required"),
        (
            {"prompt": "a", "files": [{"type": "url", "url": "u", "extra": 1}]},
            "files[0].extra",
            "Unknown field",
        ),
        ({"prompt": "a", "link": "not a url"}, "link", "absolute URL"),
        ({"prompt": "a", "either": []}, "either", "none of the allowed forms"),
        ({"prompt": "a", "both": 4}, "both", "at most 3"),
    ],
)
def test_refused_names_the_param(body: dict[str, Any], param: str, words: str) -> None:
    error = refused(body)
    assert error.param == param
    assert words in error.message
    assert param in error.message
    assert "typing" not in error.message and "<class" not in error.message


def test_the_whole_body_has_no_param() -> None:
    error = refused([1])
    assert error.param is None
    assert error.message == "The body must be an object."


def test_closed_objects_refuse_unknown_fields() -> None:
    check({"prompt": "a", "auto_proceed": True})
    error = refused({"prompt": "a", "auto_proceed": True}, closed=True)
    assert (error.param, error.message) == ("auto_proceed", "Unknown field auto_proceed.")


def test_one_of_without_discriminator_wants_exactly_one() -> None:
    validator = SchemaValidator(DOC)
    schema = {"oneOf": [{"type": "integer"}, {"type": "number"}]}
    validator.validate(schema, 1.5, "x")
    with pytest.raises(SchemaError, match="more than one"):
        validator.validate(schema, 2, "x")


def test_numeric_exclusive_bounds_as_in_json_schema() -> None:
    validator = SchemaValidator(DOC)
    validator.validate({"type": "number", "exclusiveMaximum": 1}, 0.9, "x")
    with pytest.raises(SchemaError, match="x must be less than 1"):
        validator.validate({"type": "number", "exclusiveMaximum": 1}, 1, "x")
