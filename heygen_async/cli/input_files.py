"""Batch input: a JSON-lines or CSV file of requests, parsed line by line, read once.

A bad line does not stop the parse: it becomes an InputLine with its line number and the
reason, for the runner to report (`--on-bad-line`).
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TextIO, TypeVar

import attrs

from .._convert import structure
from .._errors import ValidationError
from .._requests import build_model
from ..models import AssetBase64, AssetId, AssetUrl, CreateSessionRequest, CreateVideoAgentRequest
from .exits import UsageError

STDIN = "-"  # the input path that means stdin (always JSON lines)
_BOOLEAN_FIELDS = ("auto_proceed", "incognito_mode")

CreateRequest = CreateSessionRequest | CreateVideoAgentRequest
R = TypeVar("R", CreateSessionRequest, CreateVideoAgentRequest)


@attrs.frozen
class InputLine:
    """One item of a batch input: its line number, and a request or the reason it has none."""

    number: int
    request: CreateRequest | None = None
    error: str | None = None


def input_name(path: Path) -> str:
    """How messages name the input: its path, or `<stdin>`."""
    return "<stdin>" if str(path) == STDIN else str(path)


def request_class(api: str) -> type[CreateSessionRequest] | type[CreateVideoAgentRequest]:
    """The request model of `--api` ("sessions" or "video-agents")."""
    return CreateSessionRequest if api == "sessions" else CreateVideoAgentRequest


def build_request(cls: type[R], fields: Mapping[str, Any]) -> R:
    """A `cls` built from its fields; ValidationError names the field that is wrong."""
    return build_model(cls, None, fields, "request")


def read_input(path: Path, api: str) -> list[InputLine]:
    """Every line of `path` parsed; `-` reads JSON lines from stdin.

    The input is read here, once and in full, so it may be a pipe or a FIFO: callers count,
    validate and send from the list, never from the file again. A `.csv` file needs a
    `prompt` column; anything else is JSON lines (a request object, or a prompt string, a
    line). Raises UsageError if it cannot be read, is not UTF-8, or a CSV has no prompt column.
    """
    cls = request_class(api)
    try:
        if str(path) == STDIN:
            text = io.StringIO(sys.stdin.buffer.read().decode("utf-8"), newline="")
            return list(_read_jsonl(text, cls))
        with path.open(encoding="utf-8", newline="") as handle:
            if path.suffix.lower() == ".csv":
                return list(_read_csv(handle, path, cls))
            return list(_read_jsonl(handle, cls))
    except OSError as exc:
        raise UsageError(f"cannot read {input_name(path)}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{input_name(path)} is not UTF-8 text ({exc.reason})") from None


def _read_jsonl(handle: TextIO, cls: type[CreateRequest]) -> Iterator[InputLine]:
    for number, line in enumerate(handle, 1):
        if not line.strip():
            continue
        try:
            fields = json.loads(line)
        except json.JSONDecodeError as exc:
            yield InputLine(number, error=f"not valid JSON ({exc.msg})")
            continue
        if isinstance(fields, str):
            fields = {"prompt": fields}
        if not isinstance(fields, dict):
            yield InputLine(number, error="a line must be a JSON object of request fields")
            continue
        yield _build(number, fields, cls)


def _read_csv(handle: TextIO, path: Path, cls: type[CreateRequest]) -> Iterator[InputLine]:
    reader = csv.DictReader(handle)
    if reader.fieldnames is None or "prompt" not in reader.fieldnames:
        raise UsageError(f"{path}: a CSV input needs a 'prompt' column")
    for row in reader:
        number = reader.line_num
        fields: dict[str, Any] = {}
        for name, value in row.items():
            if name is None:
                yield InputLine(number, error="more cells than columns")
                break
            if value is None or value == "":
                continue
            if name in _BOOLEAN_FIELDS:
                lowered = value.strip().lower()
                if lowered not in ("true", "false", "1", "0", "yes", "no"):
                    yield InputLine(number, error=f"{name}: expected true or false, not {value!r}")
                    break
                fields[name] = lowered in ("true", "1", "yes")
            elif name == "files":
                fields[name] = [{"type": "url", "url": u} for u in value.split()]
            else:
                fields[name] = value
        else:
            yield _build(number, fields, cls)


def _build(number: int, fields: dict[str, Any], cls: type[CreateRequest]) -> InputLine:
    try:
        if isinstance(fields.get("files"), list):
            fields = {**fields, "files": [_file(f) for f in fields["files"]]}
        return InputLine(number, request=build_model(cls, None, fields, "request"))
    except ValidationError as exc:
        return InputLine(number, error=str(exc))


def _file(value: Any) -> Any:
    if isinstance(value, str):
        return AssetUrl(value)
    try:
        return structure(value, AssetUrl | AssetId | AssetBase64)  # type: ignore[arg-type]
    except ValidationError:
        raise
    except Exception as exc:
        raise ValidationError("files", f"not a file object ({exc})") from None
