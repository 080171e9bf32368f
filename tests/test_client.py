"""AsyncHeyGen configuration, lifecycle and event-loop behaviour."""

from __future__ import annotations

import asyncio
import logging
import warnings
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses

import heygen_async as hg
from heygen_async.testing import FakeHeyGen

from .fake_thread import fake_in_thread

SESSION_REPLY = {"data": {"session_id": "sess_1", "created_at": 1711382400}}

ME = {"username": "u", "email": None, "first_name": None, "last_name": None}


@pytest.fixture
def pools(monkeypatch: pytest.MonkeyPatch) -> list[aiohttp.ClientSession]:
    """Every aiohttp session the SDK opens during the test, in order (seen from aiohttp)."""
    made: list[aiohttp.ClientSession] = []
    real = aiohttp.ClientSession

    def recording(*args: Any, **kwargs: Any) -> aiohttp.ClientSession:
        made.append(real(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(aiohttp, "ClientSession", recording)
    return made


def test_key_from_argument_wins_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEYGEN_API_KEY", "from-env")
    client = hg.AsyncHeyGen("from-arg")
    assert client._api_key == "from-arg"


def test_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEYGEN_API_KEY", "from-env")
    assert hg.AsyncHeyGen()._api_key == "from-env"


def test_no_key_at_all_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HEYGEN_API_KEY", raising=False)
    with pytest.raises(hg.ConfigurationError, match="HEYGEN_API_KEY"):
        hg.AsyncHeyGen()


@pytest.mark.parametrize("key", ["", "   ", 123])
def test_blank_or_non_string_key_is_refused(key: Any) -> None:
    with pytest.raises(hg.ConfigurationError):
        hg.AsyncHeyGen(key)


def test_base_url_default_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HEYGEN_BASE_URL", raising=False)
    assert hg.AsyncHeyGen("k").base_url == "https://api.heygen.com"
    monkeypatch.setenv("HEYGEN_BASE_URL", "https://proxy.example/heygen/")
    assert hg.AsyncHeyGen("k").base_url == "https://proxy.example/heygen"
    assert hg.AsyncHeyGen("k", base_url="https://other.example").base_url == "https://other.example"


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9", "http://127.5.6.7"]
)
def test_plain_http_is_allowed_to_loopback(url: str) -> None:
    assert hg.AsyncHeyGen("k", base_url=url).base_url == url


@pytest.mark.parametrize(
    "url", ["http://api.heygen.com", "http://10.0.0.5:80", "http://example.org"]
)
def test_plain_http_to_other_hosts_is_refused(url: str) -> None:
    with pytest.raises(hg.ConfigurationError, match="allow_insecure"):
        hg.AsyncHeyGen("k", base_url=url)
    assert hg.AsyncHeyGen("k", base_url=url, allow_insecure=True).base_url == url


@pytest.mark.parametrize("url", ["ftp://x.example", "api.heygen.com", "https://user:pw@x.example"])
def test_malformed_base_url_is_refused(url: str) -> None:
    with pytest.raises(hg.ConfigurationError):
        hg.AsyncHeyGen("k", base_url=url)


def test_construction_needs_no_running_loop_and_does_no_io(
    pools: list[aiohttp.ClientSession],
) -> None:
    with pytest.raises(RuntimeError):
        asyncio.get_running_loop()
    hg.AsyncHeyGen("k")
    assert pools == []


def test_bad_options_are_configuration_errors() -> None:
    with pytest.raises(hg.ConfigurationError):
        hg.AsyncHeyGen("k", max_concurrent_creates=0)
    with pytest.raises(hg.ConfigurationError):
        hg.AsyncHeyGen("k", timeout="fast")  # type: ignore[arg-type]
    with pytest.raises(hg.ConfigurationError):
        hg.AsyncHeyGen("k", retry={"max_retries": 2})  # type: ignore[arg-type]
    with pytest.raises(hg.ConfigurationError):
        hg.RetryPolicy(max_retries=-1)
    with pytest.raises(hg.ConfigurationError):
        hg.Timeout(total=0)


def test_timeout_forms() -> None:
    assert hg.AsyncHeyGen("k", timeout=7.5).timeout.total == 7.5
    custom = hg.Timeout(total=30, connect=2, read=10)
    assert hg.AsyncHeyGen("k", timeout=custom).timeout is custom
    assert hg.AsyncHeyGen("k").timeout == hg.Timeout()


def test_repr_hides_the_key() -> None:
    client = hg.AsyncHeyGen("sk-very-secret")
    for text in (repr(client), str(client), repr(client.sessions), repr(client.limiter)):
        assert "sk-very-secret" not in text
    assert "<hidden>" in repr(client)


async def test_errors_and_logs_never_show_the_key(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="heygen_async")
    client = hg.AsyncHeyGen("sk-very-secret", base_url="https://api.test", sleep=_no_sleep)
    with aioresponses() as mocked:
        mocked.post(
            "https://api.test/v3/video-agents/sessions",
            status=401,
            payload={"error": {"code": "unauthorized", "message": "Unauthorized"}},
        )
        with pytest.raises(hg.AuthenticationError) as caught:
            await client.sessions.create(prompt="hi")
    error = caught.value
    assert "sk-very-secret" not in str(error)
    assert "sk-very-secret" not in repr(error)
    assert "sk-very-secret" not in str(dict(error.headers))
    assert caplog.records, "debug logging was on, so the request should have been logged"
    assert all("sk-very-secret" not in r.getMessage() for r in caplog.records)


async def _no_sleep(_: float) -> None:
    return None


async def test_with_options_shares_the_pool_and_changes_settings(
    pools: list[aiohttp.ClientSession],
) -> None:
    async with FakeHeyGen(step_seconds=None) as fake:
        client = fake.client()
        derived = client.with_options(
            timeout=5, retry=hg.RetryPolicy(max_retries=0), max_concurrent_creates=2
        )
        assert derived.timeout.total == 5
        assert derived.retry.max_retries == 0
        assert derived.limiter is not client.limiter
        assert client.with_options(timeout=3).limiter is client.limiter
        await derived.sessions.create(prompt="one")
        await client.sessions.create(prompt="two")
        assert len(pools) == 1  # one pool for both
        await derived.aclose()  # does not close the shared pool
        assert not pools[0].closed
        await client.sessions.create(prompt="three")
        await client.aclose()
        assert len(pools) == 1 and pools[0].closed


async def test_caller_owned_session_is_never_closed() -> None:
    async with FakeHeyGen(step_seconds=None) as fake, aiohttp.ClientSession() as http:
        async with hg.AsyncHeyGen(fake.api_key, base_url=fake.url, http_session=http) as client:
            await client.sessions.create(prompt="hi")
        assert not http.closed
        assert len(fake.creates()) == 1


async def test_client_can_be_used_again_after_aclose() -> None:
    async with FakeHeyGen(step_seconds=None) as fake:
        client = fake.client()
        async with client:
            await client.sessions.create(prompt="first")
        async with client:
            await client.sessions.create(prompt="second")
        assert len(fake.creates()) == 2


def test_fifty_sequential_asyncio_runs_on_one_client(pools: list[aiohttp.ClientSession]) -> None:
    """The asyncio.run-per-task pattern of task workers: no warning, no closed-loop error."""
    with fake_in_thread() as fake:
        client = hg.AsyncHeyGen(fake.api_key, base_url=fake.url)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for i in range(50):
                session = asyncio.run(client.sessions.create(prompt=f"task {i}"))
                assert session.session_id
    assert len(fake.creates()) == 50
    assert len(pools) == 50 and all(p.closed for p in pools)  # each loop closed its own


def test_use_from_a_second_live_loop_is_a_clear_error() -> None:
    client = hg.AsyncHeyGen("k", base_url="https://api.test")
    first = asyncio.new_event_loop()
    try:
        with aioresponses() as mocked:
            mocked.get("https://api.test/v3/users/me", payload={"data": ME})
            first.run_until_complete(client.users.me())
            with pytest.raises(RuntimeError, match="another event loop"):
                asyncio.run(client.users.me())
    finally:
        first.run_until_complete(client.aclose())
        first.close()


def test_a_loop_closed_without_finalising_is_forgotten_quietly() -> None:
    client = hg.AsyncHeyGen("k", base_url="https://api.test")
    with aioresponses() as mocked:
        mocked.get("https://api.test/v3/users/me", payload={"data": ME}, repeat=True)
        loop = asyncio.new_event_loop()
        loop.run_until_complete(client.users.me())
        loop.close()  # no shutdown_asyncgens: the pool could not be closed on its loop
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            account = asyncio.run(client.users.me())
    assert account.username == "u"


async def test_async_with_closes_what_it_opened(pools: list[aiohttp.ClientSession]) -> None:
    async with FakeHeyGen(step_seconds=None) as fake:
        async with fake.client() as client:
            await client.users.me()
            assert len(pools) == 1 and not pools[0].closed
        assert pools[0].closed


async def test_a_client_dropped_without_aclose_closes_its_pool(
    pools: list[aiohttp.ClientSession],
) -> None:
    import gc

    async with FakeHeyGen(step_seconds=None) as fake:
        client = fake.client()
        await client.users.me()
        (session,) = pools
        assert not session.closed
        del client
        gc.collect()
        for _ in range(20):  # asyncio finalises the pool's guard on the loop, soon after
            if session.closed:
                break
            await asyncio.sleep(0.01)
        assert session.closed
