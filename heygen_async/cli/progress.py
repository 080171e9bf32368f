"""What a batch shows: a live bar on a terminal, plain lines elsewhere, then its summary."""

from __future__ import annotations

import json
import time
from typing import IO, TypedDict

from ..batch import BatchProgress


class BatchSummary(TypedDict):
    """The end of a batch, printed as text or, with --json, as this object."""

    input: str
    items: int
    created: int
    resumed: int
    failed: int
    bad_lines: int
    retried: int
    wall_seconds: float
    results: str
    journal: str | None
    videos: str | None
    first_errors: list[str]


class ProgressView:
    """A live bar on a terminal (redrawn at most 10 times a second); a plain line every 2 s
    anywhere else; nothing with `quiet`."""

    def __init__(self, stream: IO[str], *, live: bool, quiet: bool = False) -> None:
        self.stream = stream
        self.live = live
        self.quiet = quiet
        self._last = 0.0
        self._drawn = False

    def update(self, p: BatchProgress, *, force: bool = False) -> None:
        """Show `p`, unless the last update was too recent (and not `force`)."""
        if self.quiet:
            return
        now = time.monotonic()
        if not force and now - self._last < (0.1 if self.live else 2.0):
            return
        self._last = now
        if self.live:
            self.stream.write("\r\x1b[2K" + self.line(p, bar=True))
            self._drawn = True
        else:
            self.stream.write(self.line(p, bar=False) + "\n")
        self.stream.flush()

    def finish(self, p: BatchProgress) -> None:
        """Show the final progress and leave the cursor on a fresh line."""
        self.update(p, force=True)
        if self.live and self._drawn and not self.quiet:
            self.stream.write("\n")
            self.stream.flush()

    @staticmethod
    def line(p: BatchProgress, *, bar: bool) -> str:
        """Counts, rate and ETA on one line, after a bar if `bar` and the total is known."""
        total = p.total
        count = f"{p.done}/{total}" if total is not None else f"{p.done}"
        parts = [
            count,
            f"{p.succeeded} ok",
            f"{p.failed} failed",
            f"{p.retried} retried",
            f"{p.in_flight} in flight",
            f"{p.rate:.1f}/s",
        ]
        if p.resumed:
            parts.insert(2, f"{p.resumed} resumed")
        eta = p.eta
        if eta is not None and p.done < (total or 0):
            parts.append(f"ETA {_duration(eta)}")
        text = " | ".join(parts)
        if bar and total:
            width = 24
            filled = int(width * p.done / total)
            text = f"[{'#' * filled}{'.' * (width - filled)}] " + text
        return text


def print_summary(summary: BatchSummary, *, as_json: bool) -> None:
    """The summary on stdout: one JSON object, or a few lines for people."""
    if as_json:
        print(json.dumps(summary))
        return
    print(
        f"{summary['items']} items: {summary['created']} created, {summary['resumed']} resumed "
        f"from the journal, {summary['failed']} failed ({summary['bad_lines']} bad lines), "
        f"{summary['retried']} retries, in {summary['wall_seconds']:.1f}s"
    )
    for error in summary["first_errors"]:
        print(f"  failed: {error}")
    print(f"results: {summary['results']}")
    if summary["videos"]:
        print(f"videos:  {summary['videos']}")
    if summary["journal"]:
        print(f"journal: {summary['journal']}")


def _duration(seconds: float) -> str:
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    minutes, whole = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m{whole:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
