"""`client.styles`: the curated visual styles of the Video Agent."""

from __future__ import annotations

from collections.abc import AsyncIterator

from .._errors import ValidationError
from .._requests import page_size_of
from ..models import Style
from ._base import Resource


class Styles(Resource):
    def list(self, *, tag: str | None = None, page_size: int = 20) -> AsyncIterator[Style]:
        """Every style (optionally those with `tag`), all pages, fetched lazily as you iterate."""
        if tag is not None and (type(tag) is not str or not tag):
            raise ValidationError("tag", "must be a non-empty str or None")
        query: dict[str, object] = {"tag": tag, "limit": page_size_of(page_size)}
        return self._api.paginate("/v3/video-agents/styles", query, Style)
