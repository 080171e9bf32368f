"""The one cattrs converter: strict scalars, open sets, and errors that name the field."""

from __future__ import annotations

import typing
from datetime import UTC, datetime
from typing import Any, Literal

import attrs
import pytest
from cattrs.errors import ForbiddenExtraKeysError

import heygen_async as hg
from heygen_async import _errors
from heygen_async._convert import describe_error, structure, unstructure
from heygen_async.models import SendVideoAgentMessageRequest


def _problem(data: Any, cls: Any) -> str:
    """What a reply that does not fit `cls` is told (the text APIResponseValidationError shows)."""
    try:
        structure(data, cls)
    except Exception as exc:  # whichever it is, its description is the point
        return describe_error(exc)
    raise AssertionError(f"{data!r} was accepted as {cls.__name__}")


SESSION = {"session_id": "s", "created_at": 1711382400}


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("title", {"a": 1}, "title: expected a string, got an object"),
        ("title", ["a"], "title: expected a string, got an array"),
        ("title", 5, "title: expected a string, got a number"),
        ("title", True, "title: expected a string, got a boolean"),
        ("progress", True, "progress: expected an integer, got a boolean"),
        ("progress", 4.5, "progress: expected an integer, got a number"),
        ("progress", "40", "progress: expected an integer, got a string"),
        ("created_at", "yesterday", "created_at: expected a timestamp, got 'yesterday'"),
        ("created_at", [1], "created_at: expected a timestamp, got an array"),
        ("status", 3, "status: expected a status string, got a number"),
        ("messages", "none", "messages: expected an array, got a string"),
    ],
)
def test_scalars_are_strict_and_the_error_names_the_field(
    field: str, value: Any, expected: str
) -> None:
    assert _problem({**SESSION, field: value}, hg.Session) == expected


def test_float_and_bool_hooks_refuse_what_python_would_coerce() -> None:
    video = {"id": "v", "status": "completed"}
    assert structure({**video, "duration": 3}, hg.Video).duration == 3.0
    assert _problem({**video, "duration": True}, hg.Video) == (
        "duration: expected a number, got a boolean"
    )
    assert _problem({**video, "duration": "3.5"}, hg.Video) == (
        "duration: expected a number, got a string"
    )
    with pytest.raises(TypeError, match="expected true or false"):
        structure(1, bool)
    with pytest.raises(TypeError, match="expected true or false"):
        structure("true", bool)


def test_nested_errors_name_the_whole_path() -> None:
    data = {
        **SESSION,
        "messages": [
            {"role": "model", "content": "ok", "type": "text"},
            {"role": 7, "content": "ok", "type": "text", "resource_ids": ["r", 2]},
        ],
    }
    assert _problem(data, hg.Session) == (
        "messages[1].role: expected a string, got a number; "
        "messages[1].resource_ids[1]: expected a string, got a number"
    )


def test_every_problem_is_listed_at_once() -> None:
    assert _problem({"session_id": 5}, hg.MessageReceipt) == (
        "session_id: expected a string, got a number; run_id: required field missing"
    )


def test_unknown_fields_are_ignored_and_unknown_statuses_kept_as_strings() -> None:
    session = structure({**SESSION, "status": "rendering_4k", "brand_new": {"x": 1}}, hg.Session)
    assert session.status == "rendering_4k"
    assert type(session.status) is str
    known = structure({**SESSION, "status": "thinking"}, hg.Session)
    assert known.status is hg.SessionStatus.THINKING
    video = structure({"id": "v", "status": "upscaling", "extra": [1]}, hg.Video)
    assert video.status == "upscaling" and not isinstance(video.status, hg.VideoStatus)


def test_timestamps_are_aware_utc_from_seconds_or_iso() -> None:
    expected = datetime(2024, 3, 25, 16, 0, tzinfo=UTC)
    assert structure({**SESSION}, hg.Session).created_at == expected
    iso = structure({**SESSION, "created_at": "2024-03-25T17:00:00+01:00"}, hg.Session)
    assert iso.created_at == expected and iso.created_at.tzinfo is UTC


@attrs.frozen(kw_only=True)
class _Shaped:
    shape: Literal["circle", "square"]


def test_literal_errors_read_like_json_not_python() -> None:
    assert structure({"shape": "circle"}, _Shaped).shape == "circle"
    problem = _problem({"shape": "oval"}, _Shaped)
    assert problem == 'shape: expected "circle" or "square", got "oval"'
    assert "typing" not in problem and "Literal" not in problem


@pytest.mark.parametrize(
    ("data", "cls"),
    [
        ({"session_id": {"nested": True}, "created_at": 1}, hg.Session),
        ({"id": "v", "status": "completed", "video_url": "/relative.mp4"}, hg.Video),
        ({"shape": 3}, _Shaped),
        ({"session_id": "s", "created_at": 1, "messages": [None]}, hg.Session),
        ([], hg.Session),
        ("s", hg.Account),
    ],
)
def test_messages_never_show_python_internals(data: Any, cls: Any) -> None:
    problem = _problem(data, cls)
    for internal in ("typing", "class '", "While structuring", "sub-exception", "NoneType"):
        assert internal not in problem


# -- requests (what FakeHeyGen reads; it must refuse what HeyGen refuses, naming the field) ----


def test_request_round_trip_is_the_same_model() -> None:
    request = hg.CreateVideoAgentRequest(
        "p", mode="chat", brand_kit_id="bk", files=[hg.AssetId("a"), hg.AssetUrl("https://x/y")]
    )
    assert structure(unstructure(request), hg.CreateVideoAgentRequest) == request


@pytest.mark.parametrize(
    ("data", "cls", "field"),
    [
        ({"prompt": "p", "orientation": "square"}, hg.CreateSessionRequest, "orientation"),
        ({"prompt": "p", "mode": "batch"}, hg.CreateVideoAgentRequest, "mode"),
        ({}, hg.CreateSessionRequest, "prompt"),
        ({"prompt": ""}, hg.CreateSessionRequest, "prompt"),
        (
            {"prompt": "p", "files": [{"type": "url", "url": "http://x/y"}]},
            hg.CreateSessionRequest,
            "files[0].url",
        ),
        ({"prompt": "p", "files": [{"type": "gif"}]}, hg.CreateSessionRequest, "files[0]"),
        ({"prompt": "p", "files": ["https://x/y"]}, hg.CreateSessionRequest, "files[0]"),
        ({"message": 5}, hg.SendMessageRequest, "message"),
    ],
)
def test_bad_request_fields_raise_validation_error_naming_them(
    data: dict[str, Any], cls: Any, field: str
) -> None:
    with pytest.raises(hg.ValidationError) as caught:
        structure(data, cls)
    assert caught.value.field == field
    assert "typing" not in str(caught.value)


@pytest.mark.parametrize(
    ("data", "cls", "extra"),
    [
        ({"prompt": "p", "auto_proceed": True}, hg.CreateVideoAgentRequest, {"auto_proceed"}),
        ({"prompt": "p", "brand_kit_id": "b"}, hg.CreateSessionRequest, {"brand_kit_id"}),
        ({"message": "m", "brand_kit_id": "b"}, hg.SendMessageRequest, {"brand_kit_id"}),
        (
            {"message": "m", "auto_proceed": True},
            SendVideoAgentMessageRequest,
            {"auto_proceed"},
        ),
    ],
)
def test_requests_refuse_the_other_familys_fields(
    data: dict[str, Any], cls: Any, extra: set[str]
) -> None:
    with pytest.raises(ForbiddenExtraKeysError) as caught:
        structure(data, cls)
    assert caught.value.extra_fields == extra
    assert describe_error(caught.value) == f"unknown fields {', '.join(sorted(extra))}"


# -- typed error fields -----------------------------------------------------------------------


def test_last_state_fields_of_errors_are_typed() -> None:
    names = {**vars(_errors), "Session": hg.Session, "Video": hg.Video}
    hints = {
        cls: typing.get_type_hints(cls.__init__, globalns=names)
        for cls in (hg.SessionFailedError, hg.VideoFailedError, hg.WaitTimeoutError)
    }
    assert hints[hg.SessionFailedError]["session"] is hg.Session
    assert hints[hg.VideoFailedError]["video"] is hg.Video
    assert hints[hg.WaitTimeoutError]["last"] == hg.Session | hg.Video | None
