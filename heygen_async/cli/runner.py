"""The batch command's engine: input lines -> iter_create_many -> a results file and a summary."""

from __future__ import annotations

import contextlib
import json
import sys
import time
from pathlib import Path
from typing import Any

import attrs

from .. import _constants as C
from .._client import AsyncHeyGen
from .._convert import unstructure
from .._journal import describe_error
from ..batch import BatchProgress, BatchResult
from ..webhooks import WebhookReceiver
from .exits import EXIT_FAILED, EXIT_OK, UsageError
from .input_files import input_name, read_input
from .progress import BatchSummary, ProgressView

_ERRORS_SHOWN = 5  # failures quoted in the summary


@attrs.frozen(kw_only=True)
class BatchJob:
    """One run of the batch command: where the input comes from, where results go, and how."""

    input: Path
    out: Path
    api: str = "video-agents"
    concurrency: int | None = None
    wait: bool = False
    max_active: int | None = None
    download_dir: Path | None = None
    journal: Path | None = None
    on_bad_line: str = "skip"
    poll_interval: float = C.DEFAULT_POLL_INTERVAL
    wait_timeout: float | None = C.DEFAULT_WAIT_TIMEOUT
    events: WebhookReceiver | None = None  # wait on its events instead of polling


async def run_batch(client: AsyncHeyGen, job: BatchJob, view: ProgressView) -> BatchSummary:
    """Run a batch; results go to `job.out`, one JSON line per input line, as they finish.

    Bad input lines are reported on stderr and recorded as failed results, or, with
    `on_bad_line="fail"`, reported before anything is sent and raised as UsageError.
    """
    lines = read_input(job.input, job.api)
    name = input_name(job.input)
    good = [line for line in lines if line.error is None]
    bad = [line for line in lines if line.error is not None]
    if bad and job.on_bad_line == "fail":
        for line in bad:
            print(f"{name}:{line.number}: {line.error}", file=sys.stderr)
        raise UsageError(f"{len(bad)} bad line(s) in {name}; nothing was sent")

    resource = client.sessions if job.api == "sessions" else client.video_agents
    started = time.monotonic()
    created = resumed = failed = 0
    errors = [f"line {line.number}: {line.error}" for line in bad[:_ERRORS_SHOWN]]
    last: BatchProgress | None = None

    def on_progress(progress: BatchProgress) -> None:
        nonlocal last
        last = progress
        view.update(progress)

    job.out.parent.mkdir(parents=True, exist_ok=True)
    with job.out.open("w", encoding="utf-8") as out:

        def write(record: dict[str, Any]) -> None:
            out.write(json.dumps(record, default=str) + "\n")
            out.flush()

        for line in bad:
            print(f"{name}:{line.number}: skipped: {line.error}", file=sys.stderr)
            write({"line": line.number, "ok": False, "error": {"message": line.error}})
        stream = resource.iter_create_many(
            [line.request for line in good],
            on_progress=on_progress,
            journal=job.journal,
            concurrency=job.concurrency,
            wait=job.wait,
            max_active=job.max_active,
            download_dir=job.download_dir,
            poll_interval=job.poll_interval,
            wait_timeout=job.wait_timeout,
            events=job.events,
        )
        async with contextlib.aclosing(stream):
            async for result in stream:
                number = good[result.index].number
                write(_result_record(result, number))
                if result.resumed:
                    resumed += 1
                elif result.ok:
                    created += 1
                else:
                    failed += 1
                if result.error is not None and len(errors) < _ERRORS_SHOWN:
                    errors.append(f"line {number}: {type(result.error).__name__}: {result.error}")
        if last is not None:
            view.finish(last)
    return {
        "input": str(job.input),
        "items": len(lines),
        "created": created,
        "resumed": resumed,
        "failed": failed + len(bad),
        "bad_lines": len(bad),
        "retried": last.retried if last is not None else 0,
        "wall_seconds": round(time.monotonic() - started, 3),
        "results": str(job.out),
        "journal": str(job.journal) if job.journal else None,
        "videos": str(job.download_dir) if job.download_dir else None,
        "first_errors": errors,
    }


def exit_code(summary: BatchSummary) -> int:
    """1 if any item failed (bad lines included), else 0."""
    return EXIT_FAILED if summary["failed"] else EXIT_OK


def _result_record(result: BatchResult, line: int) -> dict[str, Any]:
    record: dict[str, Any] = {"line": line, "ok": result.ok}
    if result.resumed:
        record["resumed"] = True
    if result.session is not None:
        record["session"] = unstructure(result.session)
    if result.video is not None:
        record["video"] = unstructure(result.video)
    if result.path is not None:
        record["path"] = str(result.path)
    if result.error is not None:
        record["error"] = describe_error(result.error)
    return record
