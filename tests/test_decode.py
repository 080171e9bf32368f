"""Pure decoding: recorded replies (tests/samples) -> models or typed errors."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from multidict import CIMultiDict

import heygen_async as hg
from heygen_async import _decode

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
