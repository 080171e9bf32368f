"""Building requests: models from fields, idempotency keys, uuid4s, path ids, queries."""

from __future__ import annotations

import json
import re
import uuid

import pytest

import heygen_async as hg
from heygen_async._requests import (
    build_model,
    encode,
    idempotency_key,
    new_uuid4,
    path_id,
    with_query,
)


def test_new_uuid4_is_a_random_version_4_uuid() -> None:
    made = [new_uuid4() for _ in range(2000)]
    assert len(set(made)) == 2000
    for text in made[:200]:
        assert re.fullmatch(
            r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", text
        )
        parsed = uuid.UUID(text)
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
    # Every random bit varies (none stuck): OR and AND over many keys.
    bits = [uuid.UUID(t).int for t in made]
    ored, anded = 0, (1 << 128) - 1
    for value in bits:
        ored |= value
        anded &= value
    fixed = (0xF << 76) | (0x3 << 62)  # the version nibble and the variant bits
    assert ored | fixed == (1 << 128) - 1
    assert anded & ~fixed == 0


def test_idempotency_keys_are_the_callers_or_fresh() -> None:
    assert idempotency_key("batch-1:item.7_x") == "batch-1:item.7_x"
    assert idempotency_key(None) != idempotency_key(None)
    for bad in ("", "has space", "x" * 256, "ü"):
        with pytest.raises(hg.ValidationError, match="idempotency_key"):
            idempotency_key(bad)


def test_build_model_names_the_bad_field() -> None:
    with pytest.raises(hg.ValidationError, match="colour"):
        build_model(hg.CreateVideoAgentRequest, None, {"prompt": "p", "colour": "red"}, "request")
    with pytest.raises(hg.ValidationError, match="prompt"):
        build_model(hg.CreateVideoAgentRequest, None, {}, "request")
    given = hg.CreateVideoAgentRequest("p")
    assert build_model(hg.CreateVideoAgentRequest, given, {}, "request") is given
    with pytest.raises(hg.ValidationError, match="not both"):
        build_model(hg.CreateVideoAgentRequest, given, {"prompt": "q"}, "request")
    with pytest.raises(hg.ValidationError, match="must be a CreateVideoAgentRequest"):
        build_model(hg.CreateVideoAgentRequest, hg.CreateSessionRequest("p"), {}, "request")


def test_encode_omits_none() -> None:
    sent = json.loads(encode(hg.CreateSessionRequest("p", voice_id="v1")))
    assert sent == {"prompt": "p", "voice_id": "v1", "auto_proceed": False, "incognito_mode": False}


def test_path_ids_are_checked_and_quoted() -> None:
    assert path_id("session_id", "a b%") == "a%20b%25"
    for bad in ("", "a/b", "a?b", 7):
        with pytest.raises(hg.ValidationError, match="session_id"):
            path_id("session_id", bad)


def test_queries_drop_none_and_spell_booleans() -> None:
    assert with_query("/x", {"a": None}) == "/x"
    assert with_query("/x", {"a": True, "b": 2, "c": None}) == "/x?a=true&b=2"
