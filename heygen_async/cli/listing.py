"""What the list commands print: an aligned table on a terminal, JSON lines anywhere else.

Each listing names its columns as (header, model attribute); the first column is the id a
create call takes, so it is never truncated. JSON lines carry the whole model, unstructured.
"""

from __future__ import annotations

import json
import shutil
import sys
import unicodedata
from collections.abc import AsyncIterator
from typing import Any, TextIO

from .._convert import unstructure
from .._errors import HeyGenError

Columns = tuple[tuple[str, str], ...]  # (header, attribute of the model)

AVATAR_LOOKS: Columns = (
    ("avatar_id", "id"),
    ("name", "name"),
    ("type", "avatar_type"),
    ("gender", "gender"),
    ("default_voice_id", "default_voice_id"),
    ("group_id", "group_id"),
    ("preview", "preview_image_url"),
)
AVATAR_GROUPS: Columns = (
    ("group_id", "id"),
    ("name", "name"),
    ("looks", "looks_count"),
    ("gender", "gender"),
    ("default_voice_id", "default_voice_id"),
    ("preview", "preview_image_url"),
)
VOICES: Columns = (
    ("voice_id", "voice_id"),
    ("name", "name"),
    ("language", "language"),
    ("gender", "gender"),
    ("type", "type"),
    ("preview", "preview_audio_url"),
)
BRAND_KITS: Columns = (
    ("brand_kit_id", "brand_kit_id"),
    ("name", "name"),
    ("colors", "colors"),
    ("logo", "logo_url"),
)
STYLES: Columns = (
    ("style_id", "style_id"),
    ("name", "name"),
    ("tags", "tags"),
    ("aspect_ratio", "aspect_ratio"),
    ("preview", "preview_video_url"),
)

_GAP = "  "
_MIN_WIDTH = 8  # a truncated column keeps at least this many characters
_ELLIPSIS = "…"


async def print_listing(
    items: AsyncIterator[Any],
    columns: Columns,
    *,
    as_json: bool,
    limit: int | None = None,
    out: TextIO | None = None,
) -> None:
    """Print `items` (at most `limit`): a table if `out` is a terminal and not `as_json`.

    Pages are fetched as the items are printed, and no further than `limit` needs. If a page
    fails, what came before it is still printed, then the HeyGenError propagates.
    """
    stream = out if out is not None else sys.stdout
    writer: TableWriter | JsonLinesWriter
    if as_json or not stream.isatty():
        writer = JsonLinesWriter(stream)
    else:
        writer = TableWriter(stream, columns, width=shutil.get_terminal_size().columns)
    count = 0
    try:
        async for item in items:
            writer.write(item)
            count += 1
            if limit is not None and count >= limit:
                break
    except HeyGenError:
        writer.close()
        raise
    finally:
        aclose = getattr(items, "aclose", None)  # stop the page generator where it is
        if aclose is not None:
            await aclose()
    writer.close()


class JsonLinesWriter:
    """One JSON object per item and line, every field of the model (stable keys), flushed."""

    def __init__(self, out: TextIO) -> None:
        self._out = out

    def write(self, item: Any) -> None:
        self._out.write(json.dumps(unstructure(item), default=str) + "\n")
        self._out.flush()  # so `| jq` sees each item as it comes

    def close(self) -> None:
        self._out.flush()


class TableWriter:
    """Rows aligned under their headers, fitted to `width` terminal columns.

    Column widths are set by the first `batch` rows, so a long listing starts printing after
    its first pages; later rows are cut to those widths. The first column (the id) is never cut.
    """

    def __init__(self, out: TextIO, columns: Columns, *, width: int, batch: int = 100) -> None:
        self._out = out
        self._columns = columns
        self._width = width
        self._batch = batch
        self._pending: list[list[str]] = []
        self._widths: list[int] | None = None

    def write(self, item: Any) -> None:
        row = [cell(getattr(item, attribute, None)) for _, attribute in self._columns]
        if self._widths is not None:
            self._print(row)
            return
        self._pending.append(row)
        if len(self._pending) >= self._batch:
            self._settle()

    def close(self) -> None:
        if self._widths is None:
            self._settle()
        self._out.flush()

    def _settle(self) -> None:
        headers = [header for header, _ in self._columns]
        rows = [headers, *self._pending]
        natural = [max(display_width(row[i]) for row in rows) for i in range(len(headers))]
        self._widths = fit_widths(natural, self._width)
        self._print(headers)
        for row in self._pending:
            self._print(row)
        self._pending.clear()

    def _print(self, row: list[str]) -> None:
        assert self._widths is not None
        cells = [
            pad(text if i == 0 else truncate(text, width), width)
            for i, (text, width) in enumerate(zip(row, self._widths, strict=True))
        ]
        line = _GAP.join(cells)
        self._out.write(line.rstrip() + "\n")


def cell(value: object) -> str:
    """A value as table text: None empty, lists comma-joined, control characters as spaces.

    Names come from the API: a newline or an escape sequence in one must not break the
    table or reach the terminal.
    """
    if value is None:
        return ""
    if isinstance(value, (tuple, list)):
        return ",".join(cell(v) for v in value)
    return "".join(c if c.isprintable() else " " for c in str(value))


def display_width(text: str) -> int:
    """Terminal columns `text` takes: wide (CJK) characters take two, combining ones none."""
    return sum(_char_width(c) for c in text)


def truncate(text: str, width: int) -> str:
    """`text` cut to `width` terminal columns, ending in an ellipsis if it was cut."""
    if display_width(text) <= width:
        return text
    kept, used = [], 0
    for c in text:
        if used + _char_width(c) > width - 1:
            break
        kept.append(c)
        used += _char_width(c)
    return "".join(kept) + _ELLIPSIS


def pad(text: str, width: int) -> str:
    """`text` followed by spaces up to `width` terminal columns."""
    return text + " " * max(0, width - display_width(text))


def fit_widths(natural: list[int], total: int) -> list[int]:
    """Column widths that fit a `total`-column line, taken from the widest columns first.

    The first column (the id) keeps its width; no column is cut below _MIN_WIDTH, so a very
    narrow terminal gets lines longer than it is rather than unreadable cells.
    """
    widths = list(natural)
    excess = sum(widths) + len(_GAP) * (len(widths) - 1) - total
    while excess > 0 and len(widths) > 1:
        widest = max(range(1, len(widths)), key=lambda i: widths[i])
        if widths[widest] <= _MIN_WIDTH:
            break
        widths[widest] -= 1
        excess -= 1
    return widths


def _char_width(c: str) -> int:
    if unicodedata.combining(c):
        return 0
    return 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1
