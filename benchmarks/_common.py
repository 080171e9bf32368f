"""What the benchmark runner and its child processes share."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

PAYLOAD = {"prompt": "A 30-second teaser for our new espresso machine, upbeat and warm"}
API_KEY = "bench-key"


@contextmanager
def server(*, faults: bool = False) -> Iterator[str]:
    """Start benchmarks/server.py in its own process; yield its base URL."""
    args = [sys.executable, "-m", "benchmarks.server"] + (["--faults"] if faults else [])
    process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        port = json.loads(process.stdout.readline())["port"]
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)
        if process.stdout is not None:
            process.stdout.close()
