"""Pure decoding: recorded replies (tests/samples) -> models or typed errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from multidict import CIMultiDict

import heygen_async as hg
from heygen_async import _decode
from heygen_async.models.assets import DirectUpload

SAMPLES = Path(__file__).parent / "samples"


def _headers(**extra: str) -> CIMultiDict[str]:
    return CIMultiDict({"X-Request-Id": "req_123", **extra})


@pytest.mark.parametrize(
    ("sample", "status", "cls", "code"),
    [
        ("400_invalid_parameter.json", 400, hg.BadRequestError, "invalid_parameter"),
        ("401_unauthorized.json", 401, hg.AuthenticationError, "unauthorized"),
        ("402_insufficient_credit.json", 402, hg.InsufficientCreditError, "insufficient_credit"),
        ("403_forbidden.json", 403, hg.PermissionDeniedError, "forbidden"),
        ("404_not_found.json", 404, hg.NotFoundError, "not_found"),
        ("409_request_in_progress.json", 409, hg.ConflictError, "request_in_progress"),
        ("413_payload_too_large.json", 413, hg.PayloadTooLargeError, "payload_too_large"),
        ("422_validation_error.json", 422, hg.UnprocessableEntityError, "validation_error"),
        ("429_rate_limit_exceeded.json", 429, hg.RateLimitError, "rate_limit_exceeded"),
        ("500_internal_error.json", 500, hg.InternalServerError, "internal_error"),
        ("502_gateway.html", 502, hg.InternalServerError, "unclassified_server_error"),
        ("503_truncated.json", 503, hg.InternalServerError, "unclassified_server_error"),
        ("504_generic_code.json", 504, hg.InternalServerError, "unclassified_server_error"),
        ("400_legacy_flat.json", 400, hg.BadRequestError, "bad_request"),
    ],
)
def test_every_error_class_from_real_looking_bodies(
    sample: str, status: int, cls: type[hg.APIError], code: str
) -> None:
    body = (SAMPLES / sample).read_bytes()
    error = _decode.error_from_response(status, _headers(), body, now=0.0)
    assert type(error) is cls
    assert isinstance(error, hg.APIError)
    assert isinstance(error, hg.HeyGenError)
    assert error.status == status
    assert error.code == code
    assert error.request_id == "req_123"
    assert error.body == body.decode()
    assert error.message
    assert str(error).startswith(f"{status} {code}: ")
    assert str(error).endswith("(request id req_123)")


def test_str_reads_like_the_design() -> None:
    body = (SAMPLES / "429_rate_limit_exceeded.json").read_bytes()
    error = _decode.error_from_response(429, _headers(**{"Retry-After": "7"}), body, now=0.0)
    assert str(error) == "429 rate_limit_exceeded: Too many requests (request id req_123)"
    assert isinstance(error, hg.RateLimitError)
    assert error.retry_after == 7.0


def test_envelope_fields_are_kept() -> None:
    body = (SAMPLES / "400_invalid_parameter.json").read_bytes()
    error = _decode.error_from_response(400, _headers(), body, now=0.0)
    assert error.param == "prompt"
    assert error.doc_url is not None and error.doc_url.endswith("#invalid-parameter")
    assert "(param prompt)" in str(error)


def test_html_gateway_page_keeps_raw_text_and_a_readable_message() -> None:
    body = (SAMPLES / "502_gateway.html").read_bytes()
    error = _decode.error_from_response(502, CIMultiDict(), body, now=0.0)
    assert "502 Bad Gateway" in error.body
    assert error.message.startswith("Bad Gateway")
    assert error.request_id is None
    assert "request id" not in str(error)


def test_unknown_status_is_a_plain_api_error() -> None:
    error = _decode.error_from_response(418, CIMultiDict(), b"", now=0.0)
    assert type(error) is hg.APIError
    assert error.code == "unclassified_client_error"
    assert error.message == "I'm a Teapot"


def test_errors_pickle_round_trip() -> None:
    import pickle

    body = (SAMPLES / "404_not_found.json").read_bytes()
    error = _decode.error_from_response(404, _headers(), body, now=0.0)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is hg.NotFoundError
    assert str(copy) == str(error)


def test_session_with_unknown_status_and_fields() -> None:
    body = (SAMPLES / "200_get_session_unknown_status.json").read_bytes()
    session = _decode.data_model(200, _headers(), body, hg.Session)
    assert session.status == "brand_new_status"
    assert not isinstance(session.status, hg.SessionStatus)
    assert session.created_at == datetime(2024, 3, 25, 16, 0, tzinfo=UTC)
    assert session.progress == 40
    assert session.messages[0].content == "Working on it"
    assert session.messages[0].resource_ids == ()


@pytest.mark.parametrize("sample", ["200_create_video_agent.json", "200_create_session.json"])
def test_create_replies_of_both_apis(sample: str) -> None:
    session = _decode.data_model(200, _headers(), (SAMPLES / sample).read_bytes(), hg.Session)
    assert session.session_id == "sess_abc123"
    assert session.created_at is not None and session.created_at.tzinfo is UTC
    if "video_agent" in sample:
        assert session.status is hg.SessionStatus.GENERATING
    else:
        assert session.status is None


@pytest.mark.parametrize(
    "body",
    [
        b"<html>oops</html>",
        b'{"data": {"session_id": "s"',
        b"[]",
        b'{"session_id": "s"}',
        b'{"data": {"created_at": 1}}',
        b'{"data": {"session_id": {"nested": true}}}',
        b'{"data": {"session_id": "s", "created_at": "yesterday"}}',
        b'{"data": {"session_id": "s", "progress": "50%"}}',
        b'{"data": {"session_id": "s", "messages": "none"}}',
        b'{"data": {"session_id": "s", "status": 3}}',
        b'{"data": "s"}',
    ],
)
def test_malformed_success_replies_raise_a_typed_error(body: bytes) -> None:
    with pytest.raises(hg.APIResponseValidationError) as caught:
        _decode.data_model(200, _headers(), body, hg.Session)
    assert isinstance(caught.value, hg.APIError)
    assert caught.value.body == body.decode()
    assert caught.value.request_id == "req_123"


# -- reply models follow the schema: required fields required, optional ones optional ---------

_COMPLETE: list[tuple[type[Any], dict[str, Any], set[str]]] = [
    (
        hg.Session,
        {
            "session_id": "s",
            "status": "completed",
            "created_at": 1711382400,
            "video_id": "v",
            "progress": 100,
            "title": "t",
            "messages": [],
        },
        {"session_id", "created_at"},  # status too, except in the interactive create reply
    ),
    (
        hg.SessionMessage,
        {"role": "model", "content": "c", "type": "text", "created_at": 1, "resource_ids": ["r"]},
        {"role", "content", "type"},
    ),
    (
        hg.SessionSummary,
        {"session_id": "s", "created_at": 1, "title": "t"},
        {"session_id", "created_at"},
    ),
    (hg.MessageReceipt, {"session_id": "s", "run_id": "r", "title": "t"}, {"session_id", "run_id"}),
    (
        hg.SessionResource,
        {
            "resource_id": "r",
            "resource_type": "image",
            "source_type": "generated",
            "url": "https://x/r.png",
            "thumbnail_url": None,
            "preview_url": None,
            "created_at": 1,
            "metadata": {"w": 1},
        },
        {"resource_id", "resource_type"},
    ),
    (
        hg.Style,
        {
            "style_id": "st",
            "name": "n",
            "thumbnail_url": None,
            "preview_video_url": None,
            "tags": ["a"],
            "aspect_ratio": "16:9",
        },
        {"style_id", "name"},
    ),
    (hg.Video, json.loads((SAMPLES / "200_get_video.json").read_bytes())["data"], {"id", "status"}),
    (
        hg.Asset,
        {"asset_id": "a", "url": "https://x/a.png", "mime_type": "image/png", "size_bytes": 3},
        {"asset_id", "url", "mime_type", "size_bytes"},
    ),
    (
        DirectUpload,
        json.loads((SAMPLES / "200_direct_upload.json").read_bytes())["data"],
        {"asset_id", "upload_url", "upload_headers", "expires_in_seconds", "max_bytes", "status"},
    ),
    (
        hg.Account,
        {
            "username": "u",
            "email": None,
            "first_name": None,
            "last_name": None,
            "billing_type": "wallet",
            "wallet": {"currency": "usd", "remaining_balance": 1.5},
            "subscription": None,
            "usage_based": None,
        },
        {"username", "email", "first_name", "last_name"},
    ),
]
_FIELD_CASES = [
    (cls, data, field, field in required)
    for cls, data, required in _COMPLETE
    for field in data
    if field != "watermark"
]


def _reply(data: Any) -> bytes:
    return json.dumps({"data": data}).encode()


@pytest.mark.parametrize(
    ("cls", "data", "field", "required"),
    _FIELD_CASES,
    ids=[f"{c.__name__}.{f}" for c, _, f, _ in _FIELD_CASES],
)
def test_a_reply_without_a_field_parses_only_if_the_schema_says_optional(
    cls: type[Any], data: dict[str, Any], field: str, required: bool
) -> None:
    body = _reply({k: v for k, v in data.items() if k != field})
    if not required:
        assert _decode.data_model(200, _headers(), body, cls)
        return
    with pytest.raises(hg.APIResponseValidationError) as caught:
        _decode.data_model(200, _headers(), body, cls)
    assert f"{cls.__name__}: {field}: required field missing" in caught.value.message


@pytest.mark.parametrize(("cls", "data"), [(c, d) for c, d, _ in _COMPLETE])
def test_complete_replies_with_unknown_fields_parse(cls: type[Any], data: dict[str, Any]) -> None:
    parsed = _decode.data_model(200, _headers(), _reply({**data, "added_later": [1]}), cls)
    assert type(parsed) is cls


def test_message_receipt_of_both_families() -> None:
    body = (SAMPLES / "200_send_message.json").read_bytes()
    receipt = _decode.data_model(200, _headers(), body, hg.MessageReceipt)
    assert (receipt.session_id, receipt.run_id, receipt.title) == (
        "sess_abc123",
        "run_9f2c",
        "Product teaser",
    )
    with pytest.raises(hg.APIResponseValidationError, match="run_id: required field missing"):
        _decode.data_model(200, _headers(), _reply({"session_id": "s"}), hg.MessageReceipt)


def test_a_session_rebuilt_by_the_sdk_may_lack_created_at_but_a_reply_may_not() -> None:
    assert hg.Session(session_id="s").created_at is None
    with pytest.raises(hg.APIResponseValidationError, match="created_at: required field missing"):
        _decode.data_model(200, _headers(), _reply({"session_id": "s"}), hg.Session)


# -- URLs the SDK fetches itself: a bad one is a bad reply, not a later connection error -------


@pytest.mark.parametrize(
    "url", ["/v/vid_42.mp4", "files.heygen.ai/vid_42.mp4", "ftp://x.example/a.mp4", "https://", ""]
)
def test_a_video_url_that_is_not_absolute_http_is_a_malformed_reply(url: str) -> None:
    body = _reply({"id": "vid_42", "status": "completed", "video_url": url})
    with pytest.raises(hg.APIResponseValidationError) as caught:
        _decode.data_model(200, _headers(), body, hg.Video)
    assert caught.value.message == (
        f"HeyGen's reply could not be read: Video: video_url: "
        f"expected an absolute http(s) URL, got {url!r}"
    )


def test_a_video_without_url_yet_and_a_recorded_one_parse() -> None:
    pending = _reply({"id": "v", "status": "processing", "video_url": None})
    assert _decode.data_model(200, _headers(), pending, hg.Video).video_url is None
    video = _decode.data_model(
        200, _headers(), (SAMPLES / "200_get_video.json").read_bytes(), hg.Video
    )
    assert video.video_url == "https://files.heygen.ai/vid_42.mp4?Expires=1712000000"
    assert video.status is hg.VideoStatus.COMPLETED
    assert video.duration == 31.5


def _direct_upload(**changes: Any) -> bytes:
    data = json.loads((SAMPLES / "200_direct_upload.json").read_bytes())["data"]
    return _reply({**data, **changes})


def test_direct_upload_ticket_parses() -> None:
    ticket = _decode.data_model(200, _headers(), _direct_upload(), DirectUpload)
    assert ticket.upload_url.startswith("https://uploads.s3.amazonaws.com/")
    assert ticket.upload_headers == {"Content-Type": "video/mp4", "x-amz-checksum-sha256": "q1w2e3"}


@pytest.mark.parametrize("url", ["/upload/ast_77", "s3://bucket/ast_77", "https:///nohost"])
def test_a_relative_or_foreign_upload_url_is_a_malformed_reply(url: str) -> None:
    with pytest.raises(
        hg.APIResponseValidationError, match="DirectUpload: upload_url: expected an"
    ):
        _decode.data_model(200, _headers(), _direct_upload(upload_url=url), DirectUpload)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-Foo": 5}, 'upload_headers["X-Foo"]: must be a string, got a number'),
        ({"X-Foo": None}, 'upload_headers["X-Foo"]: must be a string, got null'),
        (
            {"a": "ok", "X-Foo": {"v": 1}},
            'upload_headers["X-Foo"]: must be a string, got an object',
        ),
        (["X-Foo"], "upload_headers: expected an object, got an array"),
    ],
)
def test_upload_headers_that_are_not_all_strings_name_the_header(
    headers: Any, expected: str
) -> None:
    with pytest.raises(hg.APIResponseValidationError) as caught:
        _decode.data_model(200, _headers(), _direct_upload(upload_headers=headers), DirectUpload)
    assert caught.value.message == f"HeyGen's reply could not be read: DirectUpload: {expected}"


def test_malformed_reply_messages_name_the_field_path() -> None:
    body = _reply(
        {
            "session_id": "s",
            "created_at": 1,
            "messages": [{"role": "model", "content": 5, "type": "text"}],
        }
    )
    with pytest.raises(hg.APIResponseValidationError) as caught:
        _decode.data_model(200, _headers(), body, hg.Session)
    assert caught.value.message == (
        "HeyGen's reply could not be read: Session: "
        "messages[0].content: expected a string, got a number"
    )
