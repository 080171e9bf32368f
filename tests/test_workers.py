"""Task-worker patterns: asyncio.run per task, loops on many threads, fork, the sync facade."""

from __future__ import annotations

import asyncio
import os
import pickle
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import pytest

import heygen_async as hg

from .fake_thread import fake_in_thread


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_one_client_across_100_asyncio_runs_and_threads_leaks_no_socket() -> None:
    with fake_in_thread() as fake:
        client = hg.AsyncHeyGen(fake.api_key, base_url=fake.url)
        asyncio.run(client.users.me())  # warm up imports and the fake before counting
        before = _open_fds()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for i in range(100):
                asyncio.run(client.sessions.create(prompt=f"task {i}"))
            errors: list[BaseException] = []

            def in_thread(n: int) -> None:
                try:
                    asyncio.run(client.sessions.create(prompt=f"thread {n}"))
                except BaseException as exc:  # pragma: no cover - reported below
                    errors.append(exc)

            for n in range(8):  # each thread runs its own loop, in turn
                thread = threading.Thread(target=in_thread, args=(n,))
                thread.start()
                thread.join()
            assert errors == []
        # The fake's side of the last connections closes on its own thread, a moment later;
        # a leak on our side would stay.
        deadline = time.monotonic() + 5
        while _open_fds() > before and time.monotonic() < deadline:
            time.sleep(0.05)
        after = _open_fds()
    assert after <= before
    assert len(fake.creates()) == 108


def test_sync_facade_blocking_calls_and_iterators(tmp_path: Path) -> None:
    with fake_in_thread(step_seconds=0.02) as fake:
        with hg.HeyGen(fake.api_key, base_url=fake.url) as client:
            session = client.video_agents.create(prompt="from sync code", mode="generate")
            assert isinstance(session, hg.Session)
            done = client.video_agents.wait(session.session_id, poll_interval=0.02)
            assert done.status == "completed"
            path = client.videos.download(done.video_id, tmp_path)
            assert path.stat().st_size == fake.video_size
            styles = client.styles.list(page_size=5)
            assert not isinstance(styles, list)
            assert len(list(styles)) == 24
            assert client.users.me().username == "fake-user"
            results = client.video_agents.create_many(["a", "b", "c"])
            assert [r.ok for r in results] == [True, True, True]
            streamed = list(client.video_agents.iter_create_many(["d", "e"]))
            assert len(streamed) == 2
            with pytest.raises(hg.NotFoundError):
                client.sessions.get("sess_missing")
            with pytest.raises(hg.ValidationError):
                client.sessions.create(prompt="")
            assert "<hidden>" in repr(client) and fake.api_key not in repr(client)
        with pytest.raises(RuntimeError, match="closed"):
            client.users.me()
        client.close()  # idempotent


def test_sync_facade_exposes_every_async_method() -> None:
    from heygen_async._gen_client import RESOURCE_NAMES
    from heygen_async.resources._base import Resource

    def check(async_resource: Any, blocking: Any, path: str) -> int:
        public = [m for m in dir(async_resource) if not m.startswith("_")]
        assert public, path
        methods = 0
        for name in public:
            target = getattr(async_resource, name)
            if isinstance(target, Resource):  # a nested namespace: mirrored the same way
                methods += check(target, getattr(blocking, name), f"{path}.{name}")
            else:
                assert callable(getattr(blocking, name)), f"{path}.{name}"
                methods += 1
        return methods

    client = hg.HeyGen("k", base_url="https://api.test")
    try:
        total = 0
        for name in ("sessions", "styles", *RESOURCE_NAMES):
            total += check(getattr(client.async_client, name), getattr(client, name), name)
        assert total >= 90  # every operation of HeyGen's API, and the SDK's own helpers
    finally:
        client.close()


def test_sync_types_match_the_async_resources_parameter_for_parameter() -> None:
    import inspect

    from heygen_async import _sync_types as types
    from heygen_async.resources import assets, sessions, styles, users, video_agents, videos

    pairs = [
        (types.SyncSessions, sessions.Sessions),
        (types.SyncVideoAgents, video_agents.VideoAgents),
        (types.SyncStyles, styles.Styles),
        (types.SyncVideos, videos.Videos),
        (types.SyncAssets, assets.Assets),
        (types.SyncUsers, users.Users),
    ]
    for protocol, resource in pairs:
        public = {n for n in dir(resource) if not n.startswith("_")}
        declared = {n for n in dir(protocol) if not n.startswith("_")}
        assert declared == public, (protocol.__name__, declared ^ public)
        for name in public:
            sync_params = list(inspect.signature(getattr(protocol, name)).parameters.values())
            async_params = list(inspect.signature(getattr(resource, name)).parameters.values())
            shape = [(p.name, p.kind, p.default) for p in sync_params]
            assert shape == [(p.name, p.kind, p.default) for p in async_params], name


def test_sync_facade_is_thread_safe() -> None:
    with fake_in_thread() as fake, hg.HeyGen(fake.api_key, base_url=fake.url) as client:
        results: list[str] = []
        lock = threading.Lock()

        def work(n: int) -> None:
            for i in range(10):
                session = client.sessions.create(prompt=f"t{n}-{i}")
                with lock:
                    results.append(session.session_id)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(set(results)) == 60


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_sync_facade_survives_fork() -> None:
    with fake_in_thread() as fake:
        client = hg.HeyGen(fake.api_key, base_url=fake.url)
        parent = client.sessions.create(prompt="in the parent")
        read, write = os.pipe()
        with warnings.catch_warnings():
            # Forking a process with threads is exactly what Celery prefork does.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # the child: a fresh loop thread and pool on first use
            os.close(read)
            try:
                child = client.sessions.create(prompt="in the child")
                payload = pickle.dumps(child.session_id)
            except BaseException as exc:
                payload = pickle.dumps(exc)
            os.write(write, payload)
            os.close(write)
            os._exit(0)
        os.close(write)
        with os.fdopen(read, "rb") as pipe:
            outcome = pickle.loads(pipe.read())
        os.waitpid(pid, 0)
        assert isinstance(outcome, str), outcome
        assert outcome != parent.session_id
        again = client.sessions.create(prompt="parent again")  # the parent is unaffected
        client.close()
    assert {parent.session_id, outcome, again.session_id} <= set(fake.sessions)
