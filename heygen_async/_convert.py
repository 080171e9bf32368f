"""The one cattrs converter of heygen-async, and its hooks.

Requests unstructure to exactly the JSON HeyGen documents: fields that are None are left out
and files carry their `type` discriminator. Responses structure leniently where the API may
grow (unknown fields are ignored, unknown status values kept as strings) and strictly where
cattrs would otherwise guess (a dict is never silently turned into a str).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar, get_args, get_origin

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from .models import (
    AssetBase64,
    AssetId,
    AssetUrl,
    CreateSessionRequest,
    CreateVideoAgentRequest,
    SendMessageRequest,
    SessionStatus,
    VideoStatus,
)
from .models.files import FILE_TYPES

T = TypeVar("T")

converter = cattrs.Converter(forbid_extra_keys=False, detailed_validation=False)


def _strict_str(value: Any, _: Any) -> str:
    if type(value) is not str:
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _strict_int(value: Any, _: Any) -> int:
    if type(value) is not int:
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    return value


def _strict_float(value: Any, _: Any) -> float:
    if type(value) not in (int, float):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    return float(value)


def _strict_bool(value: Any, _: Any) -> bool:
    if type(value) is not bool:
        raise TypeError(f"expected true or false, got {type(value).__name__}")
    return value


def _strict_dict(value: Any, _: Any) -> dict[str, Any]:
    if type(value) is not dict:
        raise TypeError(f"expected an object, got {type(value).__name__}")
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
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    raise TypeError(f"expected a timestamp, got {type(value).__name__}")


def _none_or(hook: Callable[[Any, Any], T]) -> Callable[[Any, Any], T | None]:
    def structure(value: Any, cls: Any) -> T | None:
        return None if value is None else hook(value, cls)

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
            raise TypeError(f"expected a list, got {type(value).__name__}")
        return tuple([item(v, inner) for v in value])

    return structure


def _open_enum(enum: type[Any]) -> Callable[[Any, Any], Any]:
    """Known values become enum members; unknown ones stay plain strings (open sets)."""
    members = {m.value: m for m in enum}

    def structure(value: Any, _: Any) -> Any:
        if value is None:
            return None
        if type(value) is not str:
            raise TypeError(f"expected a status string, got {type(value).__name__}")
        return members.get(value, value)

    return structure


converter.register_structure_hook(str, _strict_str)
converter.register_structure_hook(int, _strict_int)
converter.register_structure_hook(float, _strict_float)
converter.register_structure_hook(bool, _strict_bool)
converter.register_structure_hook_func(lambda t: t == dict[str, Any], _strict_dict)
converter.register_structure_hook(datetime, structure_timestamp)
# Direct hooks for the optional scalars: cattrs' generic Optional wrapper costs a call each.
converter.register_structure_hook(str | None, _none_or(_strict_str))
converter.register_structure_hook(int | None, _none_or(_strict_int))
converter.register_structure_hook(float | None, _none_or(_strict_float))
converter.register_structure_hook(datetime | None, _none_or(structure_timestamp))
converter.register_structure_hook_factory(_is_homogeneous_tuple, _tuple_hook)
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
        raise TypeError("a file must be an object")
    by_tag = {cls.type: cls for cls in FILE_TYPES}
    cls = by_tag.get(value.get("type"))  # type: ignore[arg-type]
    if cls is None:
        raise ValueError(f"unknown file type {value.get('type')!r}")
    fields = {k: v for k, v in value.items() if k != "type"}
    return cls(**fields)


for _file_cls in FILE_TYPES:
    converter.register_unstructure_hook(_file_cls, _file_unstructure(_file_cls))
converter.register_structure_hook(AssetUrl | AssetId | AssetBase64, _structure_file)


def _omit_none(cls: type[Any]) -> None:
    """Register an unstructure hook for a request model that leaves out None fields."""
    omit = {a.name: override(omit_if_default=True) for a in attrs.fields(cls) if a.default is None}
    hook = make_dict_unstructure_fn(cls, converter, **omit)  # type: ignore[arg-type]
    converter.register_unstructure_hook(cls, hook)


for _request_cls in (CreateSessionRequest, CreateVideoAgentRequest, SendMessageRequest):
    _omit_none(_request_cls)
    # Request structuring serves FakeHeyGen, which must refuse unknown fields as HeyGen does.
    converter.register_structure_hook(
        _request_cls,
        make_dict_structure_fn(_request_cls, converter, _cattrs_forbid_extra_keys=True),
    )


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
    """Build `cls` from decoded JSON; TypeError, ValueError or KeyError when it does not fit."""
    hook = _structure_hooks.get(cls)
    if hook is None:
        hook = _structure_hooks[cls] = converter.get_structure_hook(cls)
    result: T = hook(data, cls)
    return result
