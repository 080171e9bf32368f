"""The one cattrs converter of heygen-async, and its hooks.

Requests unstructure to exactly the JSON HeyGen documents: fields that are None are left out
and files carry their `type` discriminator. Responses structure leniently where the API may
grow (unknown fields are ignored, unknown status values kept as strings) and strictly where
cattrs would otherwise guess (a dict is never silently turned into a str).
"""

from __future__ import annotations

import enum
import functools
import json
import types
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

import attrs
import cattrs
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ._errors import ValidationError
from .models import (
    AssetBase64,
    AssetId,
    AssetUrl,
    CreateSessionRequest,
    CreateVideoAgentRequest,
    SendMessageRequest,
    SendVideoAgentMessageRequest,
    SessionStatus,
    VideoStatus,
)
from .models._checks import HttpUrl, always_in_replies, is_http_url
from .models.files import FILE_TYPES

T = TypeVar("T")

# Detailed validation: a reply that does not fit says which field (see `describe_error`).
converter = cattrs.Converter(forbid_extra_keys=False, detailed_validation=True)


def _json_type(value: Any) -> str:
    """The JSON name of a decoded value's type, for messages about replies."""
    if value is None:
        return "null"
    if type(value) is bool:
        return "a boolean"
    if type(value) in (int, float):
        return "a number"
    if type(value) is str:
        return "a string"
    if type(value) is list:
        return "an array"
    if type(value) is dict:
        return "an object"
    return type(value).__name__


def _strict_str(value: Any, _: Any) -> str:
    if type(value) is not str:
        raise TypeError(f"expected a string, got {_json_type(value)}")
    return value


def _strict_int(value: Any, _: Any) -> int:
    if type(value) is not int:
        raise TypeError(f"expected an integer, got {_json_type(value)}")
    return value


def _strict_float(value: Any, _: Any) -> float:
    if type(value) not in (int, float):
        raise TypeError(f"expected a number, got {_json_type(value)}")
    return float(value)


def _strict_bool(value: Any, _: Any) -> bool:
    if type(value) is not bool:
        raise TypeError(f"expected true or false, got {_json_type(value)}")
    return value


def _strict_dict(value: Any, _: Any) -> dict[str, Any]:
    if type(value) is not dict:
        raise TypeError(f"expected an object, got {_json_type(value)}")
    return value


def _string_map(value: Any, _: Any) -> dict[str, str]:
    """An object of strings (headers to send verbatim): every value must be a string."""
    if type(value) is not dict:
        raise TypeError(f"expected an object, got {_json_type(value)}")
    errors = []
    for key, item in value.items():
        if type(item) is not str:
            error = TypeError(f"must be a string, got {_json_type(item)}")
            error.__notes__ = [IterableValidationNote(f"value of {key!r}", key, str)]
            errors.append(error)
    if errors:
        raise IterableValidationError("While structuring an object of strings", errors, dict)
    return value


@functools.lru_cache(maxsize=4096)
def _utc(seconds: int | float) -> datetime:
    # datetimes are immutable: replies of the same second share one (a batch's results
    # hold thousands of them).
    return datetime.fromtimestamp(seconds, tz=UTC)


def structure_timestamp(value: Any, _: Any = None) -> datetime:
    """HeyGen timestamps are Unix seconds; webhook resources use ISO 8601. Always aware UTC."""
    if type(value) in (int, float):
        return _utc(value)
    if type(value) is str:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"expected a timestamp, got {value!r}") from None
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    raise TypeError(f"expected a timestamp, got {_json_type(value)}")


def _none_or(hook: Callable[[Any, Any], T]) -> Callable[[Any, Any], T | None]:
    def structure(value: Any, cls: Any) -> T | None:
        return None if value is None else hook(value, cls)

    return structure


def _http_url(value: Any, _: Any) -> str:
    """A URL the SDK will fetch itself: refused here, as a bad reply, unless absolute http(s)."""
    url = _strict_str(value, None)
    if not is_http_url(url):
        raise ValueError(f"expected an absolute http(s) URL, got {url!r}")
    return url


def _is_http_url_type(cls: Any) -> bool:
    return get_origin(cls) is Annotated and any(isinstance(m, HttpUrl) for m in cls.__metadata__)


def _http_url_hook(cls: Any) -> Callable[[Any, Any], Any]:
    optional = type(None) in get_args(get_args(cls)[0])
    return _none_or(_http_url) if optional else _http_url


def _is_literal(cls: Any) -> bool:
    return get_origin(cls) is Literal


def _literal_hook(cls: Any) -> Callable[[Any, Any], Any]:
    allowed = get_args(cls)
    choices = " or ".join(json.dumps(a) for a in allowed)

    def structure(value: Any, _: Any) -> Any:
        if not any(value == a and type(value) is type(a) for a in allowed):
            raise ValueError(f"expected {choices}, got {json.dumps(value)}")
        return value

    return structure


def _is_homogeneous_tuple(cls: Any) -> bool:
    args = get_args(cls)
    return get_origin(cls) is tuple and len(args) == 2 and args[1] is Ellipsis


def _tuple_hook(cls: Any) -> Callable[[Any, Any], tuple[Any, ...]]:
    """Lists become tuples; null (HeyGen sends it for empty lists) becomes ()."""
    inner = get_args(cls)[0]
    item = converter.get_structure_hook(inner)

    def structure(value: Any, _: Any) -> tuple[Any, ...]:
        if value is None:
            return ()
        if type(value) is not list:
            raise TypeError(f"expected an array, got {_json_type(value)}")
        try:
            return tuple([item(v, inner) for v in value])
        except Exception:
            # The slow path only when something is wrong: find which items, for the message.
            raise _item_errors(value, item, inner) from None

    return structure


def _item_errors(
    value: list[Any], item: Callable[[Any, Any], Any], inner: Any
) -> IterableValidationError:
    errors = []
    for index, v in enumerate(value):
        try:
            item(v, inner)
        except Exception as exc:
            exc.__notes__ = [
                *getattr(exc, "__notes__", []),
                IterableValidationNote("", index, inner),
            ]
            errors.append(exc)
    return IterableValidationError("While structuring an array", errors, tuple)


def _open_enum(enum: type[Any]) -> Callable[[Any, Any], Any]:
    """Known values become enum members; unknown ones stay plain strings (open sets)."""
    members = {m.value: m for m in enum}

    def structure(value: Any, _: Any) -> Any:
        if value is None:
            return None
        if type(value) is not str:
            raise TypeError(f"expected a status string, got {_json_type(value)}")
        return members.get(value, value)

    return structure


def _open_enum_of(cls: Any) -> type[enum.Enum] | None:
    """The enum of an open-enum annotation (`SomeEnum | str`, optionally `| None`), else None."""
    if get_origin(cls) not in (Union, types.UnionType):
        return None
    args = get_args(cls)
    enums = [a for a in args if isinstance(a, type) and issubclass(a, enum.Enum)]
    rest = {a for a in args if a not in enums}
    if len(enums) == 1 and str in rest and rest <= {str, type(None)}:
        return enums[0]
    return None


def _open_enum_hook(cls: Any) -> Callable[[Any, Any], Any]:
    found = _open_enum_of(cls)
    assert found is not None
    return _open_enum(found)


def _object_hook(cls: Any) -> Callable[[Any, Any], Any]:
    """A model from a JSON object. A field HeyGen always sends that the model may lack
    (ALWAYS_IN_REPLIES) must still be in the reply."""
    always = [a for a in attrs.fields(cls) if always_in_replies(a)]
    fields = make_dict_structure_fn(cls, converter)

    def structure(value: Any, _: Any) -> Any:
        if type(value) is not dict:
            raise TypeError(f"expected an object, got {_json_type(value)}")
        missing = []
        for field in always:
            if field.name not in value:
                error = KeyError(field.name)
                error.__notes__ = [AttributeValidationNote("", field.name, field.type)]
                missing.append(error)
        if missing:
            raise ClassValidationError(f"While structuring {cls.__name__}", missing, cls)
        return fields(value, cls)

    return structure


converter.register_structure_hook(str, _strict_str)
converter.register_structure_hook(int, _strict_int)
converter.register_structure_hook(float, _strict_float)
converter.register_structure_hook(bool, _strict_bool)
converter.register_structure_hook_func(lambda t: t == dict[str, Any], _strict_dict)
converter.register_structure_hook_func(lambda t: t == dict[str, str], _string_map)
converter.register_structure_hook(datetime, structure_timestamp)
# Direct hooks for the optional scalars: cattrs' generic Optional wrapper costs a call each.
converter.register_structure_hook(str | None, _none_or(_strict_str))
converter.register_structure_hook(int | None, _none_or(_strict_int))
converter.register_structure_hook(float | None, _none_or(_strict_float))
converter.register_structure_hook(datetime | None, _none_or(structure_timestamp))
converter.register_structure_hook_factory(_is_homogeneous_tuple, _tuple_hook)
converter.register_structure_hook_factory(_is_http_url_type, _http_url_hook)
converter.register_structure_hook_factory(_is_literal, _literal_hook)
converter.register_structure_hook_factory(attrs.has, _object_hook)
# Every `SomeEnum | str` field (the generated models have many): unknown values stay strings.
converter.register_structure_hook_factory(lambda t: _open_enum_of(t) is not None, _open_enum_hook)
for _enum in (SessionStatus, VideoStatus):
    _hook = _open_enum(_enum)
    converter.register_structure_hook(_enum | str, _hook)
    converter.register_structure_hook(_enum | str | None, _hook)
converter.register_unstructure_hook(datetime, lambda d: int(d.timestamp()))


def _file_unstructure(cls: type[Any]) -> Callable[[Any], dict[str, Any]]:
    names = [a.name for a in attrs.fields(cls)]
    tag = cls.type

    def unstructure(file: Any) -> dict[str, Any]:
        out = {"type": tag}
        for name in names:
            out[name] = getattr(file, name)
        return out

    return unstructure


def _structure_file(value: Any, _: Any) -> Any:
    if type(value) is not dict:
        raise TypeError(f"a file must be an object, got {_json_type(value)}")
    by_tag = {cls.type: cls for cls in FILE_TYPES}
    cls = by_tag.get(value.get("type"))  # type: ignore[arg-type]
    if cls is None:
        raise ValueError(f"unknown file type {value.get('type')!r}")
    fields = {k: v for k, v in value.items() if k != "type"}
    _check_keys(cls, fields)
    return cls(**fields)


for _file_cls in FILE_TYPES:
    converter.register_unstructure_hook(_file_cls, _file_unstructure(_file_cls))
converter.register_structure_hook(AssetUrl | AssetId | AssetBase64, _structure_file)


def _check_keys(cls: type[Any], value: dict[str, Any]) -> None:
    """Refuse unknown keys (as HeyGen does, with a 400) and missing required ones."""
    names = {a.name for a in attrs.fields(cls)}
    extra = value.keys() - names
    if extra:
        raise ForbiddenExtraKeysError(None, cls, extra)
    for a in attrs.fields(cls):
        if a.default is attrs.NOTHING and a.name not in value:
            raise ValidationError(a.name, "is required")


def _request_hook(cls: type[Any]) -> Callable[[Any, Any], Any]:
    """A request body from JSON, checked by the model's own validators (they name the field).

    This serves FakeHeyGen, which must answer bad input as HeyGen does.
    """

    def structure(value: Any, _: Any) -> Any:
        if type(value) is not dict:
            raise TypeError(f"expected an object, got {_json_type(value)}")
        _check_keys(cls, value)
        fields = dict(value)
        files = fields.get("files")
        if type(files) is list:
            parsed = []
            for index, file in enumerate(files):
                try:
                    parsed.append(_structure_file(file, None))
                except ValidationError as exc:
                    raise ValidationError(f"files[{index}].{exc.field}", exc.message) from None
                except (TypeError, ValueError, ForbiddenExtraKeysError) as exc:
                    raise ValidationError(f"files[{index}]", str(exc)) from None
            fields["files"] = parsed
        return cls(**fields)

    return structure


def _omit_none(cls: type[Any]) -> None:
    """Register an unstructure hook for a request model that leaves out None fields."""
    omit = {a.name: override(omit_if_default=True) for a in attrs.fields(cls) if a.default is None}
    hook = make_dict_unstructure_fn(cls, converter, **omit)  # type: ignore[arg-type]
    converter.register_unstructure_hook(cls, hook)


REQUEST_TYPES = (
    CreateSessionRequest,
    CreateVideoAgentRequest,
    SendMessageRequest,
    SendVideoAgentMessageRequest,
)
for _request_cls in REQUEST_TYPES:
    _omit_none(_request_cls)
    converter.register_structure_hook(_request_cls, _request_hook(_request_cls))


def _is_omit_none_model(cls: Any) -> bool:
    """A request model that asks for its None fields to be left out (`__omit_none__ = True`:
    the generated request bodies do)."""
    return attrs.has(cls) and getattr(cls, "__omit_none__", False) is True


def _omit_none_hook(cls: Any) -> Callable[[Any], Any]:
    names = [a.name for a in attrs.fields(cls)]

    def unstructure(obj: Any) -> dict[str, Any]:
        out = {}
        for name in names:
            value = getattr(obj, name)
            if value is not None:
                out[name] = converter.unstructure(value)
        return out

    return unstructure


converter.register_unstructure_hook_factory(_is_omit_none_model, _omit_none_hook)


_unstructure_hooks: dict[type[Any], Callable[[Any], Any]] = {}
_structure_hooks: dict[Any, Callable[[Any, Any], Any]] = {}


def unstructure(obj: Any) -> Any:
    """A model as the JSON-ready value HeyGen expects."""
    cls = type(obj)
    hook = _unstructure_hooks.get(cls)
    if hook is None:
        hook = _unstructure_hooks[cls] = converter.get_unstructure_hook(cls)
    return hook(obj)


def structure(data: Any, cls: type[T]) -> T:
    """Build `cls` from decoded JSON.

    Raises what `describe_error` explains: cattrs' ClassValidationError for a reply model
    that does not fit, ValidationError for a request field its validator refuses,
    ForbiddenExtraKeysError for a request with unknown fields, TypeError or ValueError else.
    """
    hook = _structure_hooks.get(cls)
    if hook is None:
        hook = _structure_hooks[cls] = converter.get_structure_hook(cls)
    result: T = hook(data, cls)
    return result


def describe_error(exc: BaseException) -> str:
    """Why a value did not fit, naming each field by its path: ``messages[0].role: ...``.

    Never shows Python internals (type reprs, cattrs' wrapper messages).
    """
    problems = ((path.lstrip("."), problem) for path, problem in _problems(exc, ""))
    return "; ".join(f"{path}: {problem}" if path else problem for path, problem in problems)


def _problems(exc: BaseException, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(exc, (ClassValidationError, IterableValidationError)):
        with_notes, without = exc.group_exceptions()
        for sub, note in with_notes:
            yield from _problems(sub, path + _step(note))
        for sub in without:
            yield from _problems(sub, path)
    elif isinstance(exc, KeyError):
        yield path, "required field missing"
    elif isinstance(exc, ForbiddenExtraKeysError):
        yield path, f"unknown fields {', '.join(sorted(exc.extra_fields))}"
    elif isinstance(exc, ValidationError):
        yield _join(path, exc.field), exc.message
    else:
        yield path, str(exc)


def _step(note: AttributeValidationNote | IterableValidationNote) -> str:
    if isinstance(note, AttributeValidationNote):
        return f".{note.name}"
    return f"[{json.dumps(note.index)}]"


def _join(path: str, field: str) -> str:
    return f"{path}.{field}" if path else field
