"""The base of every resource: it holds the client's `Api` and nothing else of the client."""

from __future__ import annotations

from .._api import Api


class Resource:
    """A namespace of operations (`client.sessions`, `client.videos`, ...) over one `Api`."""

    def __init__(self, api: Api) -> None:
        self._api = api

    def __repr__(self) -> str:
        return f"<{type(self).__name__} resource>"
