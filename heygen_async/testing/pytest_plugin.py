"""pytest plugin (registered by entry point): the `heygen_fake` fixture, a started FakeHeyGen."""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator

from ._fake import FakeHeyGen

# The fixture needs pytest-asyncio; without it, this plugin adds nothing (and breaks nothing).
if importlib.util.find_spec("pytest_asyncio") is not None:
    import pytest_asyncio

    @pytest_asyncio.fixture
    async def heygen_fake() -> AsyncIterator[FakeHeyGen]:
        """A FakeHeyGen on 127.0.0.1; sessions advance a state every 0.1 s (or by `advance`)."""
        async with FakeHeyGen() as fake:
            yield fake
