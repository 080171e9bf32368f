"""Client instructions per request, counted by callgrind: SDK vs raw aiohttp on loopback.

    python -m benchmarks.callgrind [--n1 200] [--n2 1200] [--concurrency 1]
                                   [--out benchmarks/results/callgrind.json]

Instruction counts do not move with machine noise the way timings do. benchmarks/server.py
runs in its own process, not under valgrind; each client runs in a fresh child process under
`valgrind --tool=callgrind`, once with n1 and once with n2 requests, and the per-request cost
is the slope (I(n2) - I(n1)) / (n2 - n1): start-up (interpreter, imports, the first
connection) is in both runs and cancels out.

- sdk: `client.sessions.create(prompt=...)` on `AsyncHeyGen(api_key=..., base_url=server)`.
- raw: a bare `aiohttp.ClientSession` posting the same JSON body with the same headers to the
  same path, as benchmarks/run.py's raw side does (json.dumps, a uuid4 Idempotency-Key, the
  reply parsed). The headers and body are the ones the SDK sent, captured before the runs.

Children run with the same interpreter and PYTHONHASHSEED=0. The same run also measures import
time: wall time in fresh interpreters (median of 11) of `import aiohttp`, `import heygen_async`
(names load lazily), the client (`heygen_async.AsyncHeyGen`, with the aiohttp it contains) and
everything a first create touches.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ._common import API_KEY, PAYLOAD, server

CREATE_PATH = "/v3/video-agents/sessions"
TARGET_RATIO = 1.05  # the bound: at most 5% more client instructions than raw aiohttp
IMPORT_RUNS = 11
# Set by aiohttp per request, or different every request: the raw side lets aiohttp (or
# uuid4) produce them, exactly as for any other caller.
_NOT_COPIED = {"host", "content-length", "idempotency-key"}


# -- the children (run under valgrind) ----------------------------------------------------------


async def _drive(n: int, concurrency: int, one: Callable[[], Awaitable[None]]) -> None:
    per_worker, extra = divmod(n, concurrency)

    async def worker(count: int) -> None:
        for _ in range(count):
            await one()

    await asyncio.gather(*(worker(per_worker + (i < extra)) for i in range(concurrency)))


async def _sdk_child(url: str, n: int, concurrency: int) -> None:
    import heygen_async as hg

    async with hg.AsyncHeyGen(
        api_key=API_KEY, base_url=url, max_concurrent_creates=max(concurrency, 1)
    ) as client:
        prompt = PAYLOAD["prompt"]

        async def one() -> None:
            await client.sessions.create(prompt=prompt)

        await _drive(n, concurrency, one)


async def _raw_child(
    url: str, n: int, concurrency: int, headers: dict[str, str], payload: dict[str, Any]
) -> None:
    import aiohttp

    target = url + CREATE_PATH
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as session:

        async def one() -> None:
            body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
            request_headers = {**headers, "Idempotency-Key": str(uuid.uuid4())}
            async with session.post(target, data=body, headers=request_headers) as response:
                data = json.loads(await response.read())
                if response.status != 200 or not data["data"]["session_id"]:
                    raise RuntimeError(f"unexpected reply {response.status}")

        await _drive(n, concurrency, one)


def _child(args: argparse.Namespace) -> None:
    if args.child == "sdk":
        asyncio.run(_sdk_child(args.url, args.n, args.concurrency))
    else:
        headers = json.loads(args.headers)
        payload = json.loads(args.payload)
        asyncio.run(_raw_child(args.url, args.n, args.concurrency, headers, payload))


# -- the parent ---------------------------------------------------------------------------------


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONHASHSEED"] = "0"
    env.pop("PYTHONDEVMODE", None)
    env.pop("PYTHONASYNCIODEBUG", None)
    env.pop("PYTHONTRACEMALLOC", None)
    return env


async def _capture_sdk_request() -> tuple[str, dict[str, str], bytes]:
    """Send one SDK create to a throwaway loopback listener; return (path, headers, body)."""
    import heygen_async as hg

    from .server import OK_REPLY

    seen: dict[str, Any] = {}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        lines = head.split("\r\n")
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip()] = value.strip()
        length = next((int(v) for k, v in headers.items() if k.lower() == "content-length"), 0)
        seen.update(path=lines[0].split(" ")[1], headers=headers)
        seen["body"] = await reader.readexactly(length)
        writer.write(OK_REPLY)
        await writer.drain()
        writer.close()

    listener = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        async with hg.AsyncHeyGen(api_key=API_KEY, base_url=f"http://127.0.0.1:{port}") as c:
            await c.sessions.create(prompt=PAYLOAD["prompt"])
    finally:
        listener.close()
        await listener.wait_closed()
    return seen["path"], seen["headers"], seen["body"]


def _callgrind(
    side: str, n: int, url: str, concurrency: int, extra: list[str], out_dir: Path
) -> int:
    """Run one client child under callgrind; return its total instruction count (Ir)."""
    out_file = out_dir / f"callgrind.{side}.{n}.out"
    command = [
        "valgrind",
        "--tool=callgrind",
        f"--callgrind-out-file={out_file}",
        sys.executable,
        "-m",
        "benchmarks.callgrind",
        "--child",
        side,
        "--url",
        url,
        "--n",
        str(n),
        "--concurrency",
        str(concurrency),
        *extra,
    ]
    done = subprocess.run(command, env=_child_env(), capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{side} child with n={n} failed:\n{done.stderr[-3000:]}")
    return read_total(out_file)


def read_total(path: Path) -> int:
    """The total instruction count from a callgrind output file (`summary:` or `totals:`)."""
    for line in path.read_text().splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise RuntimeError(f"{path}: no summary or totals line")


# What a program pays to import: the package alone (names load lazily, PEP 562), the client
# with the aiohttp it contains, and everything a first create touches. Each is compared with
# `import aiohttp`; the target is the client at most 1.4x.
IMPORTS = {
    "aiohttp": "import aiohttp",
    "heygen_async": "import heygen_async",
    "client": "import heygen_async; heygen_async.AsyncHeyGen",
    "first_create": (
        "import heygen_async as hg; c = hg.AsyncHeyGen('k'); c.sessions; c.videos; hg.Session"
    ),
}
IMPORT_TARGET = 1.4


def _import_ms(statement: str) -> float:
    """Milliseconds `statement` takes in a fresh interpreter (after start-up)."""
    timed = (
        "import time; t = time.perf_counter(); exec(compile(" + repr(statement) + ", '', 'exec'))"
        "; print((time.perf_counter() - t) * 1000)"
    )
    done = subprocess.run(
        [sys.executable, "-c", timed], env=_child_env(), capture_output=True, text=True, check=True
    )
    return float(done.stdout.strip())


def import_times(runs: int = IMPORT_RUNS) -> dict[str, Any]:
    """Median import time of each of IMPORTS, in interleaved fresh interpreters."""
    for statement in IMPORTS.values():  # compile .pyc files before counting
        _import_ms(statement)
    samples: dict[str, list[float]] = {name: [] for name in IMPORTS}
    for _ in range(runs):
        for name, statement in IMPORTS.items():
            samples[name].append(_import_ms(statement))
    ms = {name: round(statistics.median(values), 1) for name, values in samples.items()}
    return {
        "runs": runs,
        "statements": IMPORTS,
        "ms": ms,
        "client_over_aiohttp": round(ms["client"] / ms["aiohttp"], 2),
        "first_create_over_aiohttp": round(ms["first_create"] / ms["aiohttp"], 2),
        "target": IMPORT_TARGET,
    }


def instructions(
    n1: int, n2: int, concurrency: int, jobs: int, keep: Path | None
) -> dict[str, Any]:
    path, headers, body = asyncio.run(_capture_sdk_request())
    if path != CREATE_PATH:
        raise RuntimeError(f"the SDK posted to {path}, the raw side posts to {CREATE_PATH}")
    payload = json.loads(body)
    copied = {k: v for k, v in headers.items() if k.lower() not in _NOT_COPIED}
    raw_extra = ["--headers", json.dumps(copied), "--payload", json.dumps(payload)]
    raw_body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    if raw_body != body:
        raise RuntimeError(f"bodies differ: SDK {body!r}, raw {raw_body!r}")
    out_dir = Path(tempfile.mkdtemp(prefix="heygen-callgrind-")) if keep is None else keep
    out_dir.mkdir(parents=True, exist_ok=True)
    runs = [(side, n) for side in ("raw", "sdk") for n in (n1, n2)]
    try:
        with server() as url, ThreadPoolExecutor(jobs) as pool:
            futures = {
                (side, n): pool.submit(
                    _callgrind,
                    side,
                    n,
                    url,
                    concurrency,
                    raw_extra if side == "raw" else [],
                    out_dir,
                )
                for side, n in runs
            }
            totals = {key: future.result() for key, future in futures.items()}
    finally:
        if keep is None:
            shutil.rmtree(out_dir, ignore_errors=True)
    rows = []
    per_request: dict[str, float] = {}
    for side in ("raw", "sdk"):
        per_request[side] = (totals[side, n2] - totals[side, n1]) / (n2 - n1)
        rows.append(
            {
                "side": side,
                f"instructions_n{n1}": totals[side, n1],
                f"instructions_n{n2}": totals[side, n2],
                "per_request": round(per_request[side]),
            }
        )
        print(f"  {side}: {rows[-1]}", file=sys.stderr)
    ratio = per_request["sdk"] / per_request["raw"]
    return {
        "n1": n1,
        "n2": n2,
        "concurrency": concurrency,
        "headers": sorted(copied),
        "body_bytes": len(body),
        "rows": rows,
        "raw_per_request": round(per_request["raw"]),
        "sdk_per_request": round(per_request["sdk"]),
        "ratio": round(ratio, 3),
        "target_ratio": TARGET_RATIO,
        "within_target": ratio <= TARGET_RATIO,
    }


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"Machine: {report['machine']}; Python {report['python']}, aiohttp {report['aiohttp']}, "
        f"{report['valgrind']}, SDK JSON: {report['sdk_json']}."
    ]
    if "instructions" in report:
        r = report["instructions"]
        lines += [
            "",
            f"| client instructions per request (callgrind, slope {r['n1']}→{r['n2']} requests, "
            f"concurrency {r['concurrency']}) | raw aiohttp | SDK `sessions.create` | SDK / raw |",
            "|---|---:|---:|---:|",
            f"| loopback POST {CREATE_PATH} | {r['raw_per_request']:,} | "
            f"{r['sdk_per_request']:,} | {r['ratio']:.3f}x (target ≤ {r['target_ratio']}x) |",
        ]
    if "import_time" in report:
        t = report["import_time"]
        lines += [
            "",
            f"| import time (fresh interpreter, median of {t['runs']}) | ms | / aiohttp |",
            "|---|---:|---:|",
        ]
        for name, statement in t["statements"].items():
            ratio = t["ms"][name] / t["ms"]["aiohttp"]
            lines.append(f"| `{statement}` | {t['ms'][name]} | {ratio:.2f}x |")
        lines.append(f"\ntarget: the client at most {t['target']}x `import aiohttp`")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.callgrind", description=__doc__)
    parser.add_argument("--n1", type=int, default=200, help="requests in the short run")
    parser.add_argument("--n2", type=int, default=1200, help="requests in the long run")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2, help="valgrind children at a time")
    parser.add_argument("--keep", type=Path, default=None, help="keep callgrind files here")
    parser.add_argument("--out", default="benchmarks/results/callgrind.json")
    parser.add_argument(
        "--only", choices=("instructions", "import_time"), action="append", default=None
    )
    # The child side (under valgrind): not for direct use.
    parser.add_argument("--child", choices=("sdk", "raw"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--headers", help=argparse.SUPPRESS)
    parser.add_argument("--payload", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args)
        return
    if not args.n2 > args.n1 >= 0:
        parser.error("need n2 > n1 >= 0")
    if shutil.which("valgrind") is None:
        parser.error("valgrind is not installed (apt-get install valgrind)")
    import aiohttp

    from heygen_async import _json

    parts = set(args.only or ("instructions", "import_time"))
    valgrind = subprocess.run(["valgrind", "--version"], capture_output=True, text=True)
    report: dict[str, Any] = {
        "command": "python -m benchmarks.callgrind " + " ".join(sys.argv[1:]),
        "machine": f"{platform.machine()}, {os.cpu_count() or 1} CPUs, {platform.system()}",
        "python": platform.python_version(),
        "aiohttp": aiohttp.__version__,
        "valgrind": valgrind.stdout.strip(),
        "sdk_json": _json.BACKEND,
        "date": time.strftime("%Y-%m-%d"),
    }
    started = time.perf_counter()
    if "instructions" in parts:
        print("instructions per request (callgrind):", file=sys.stderr)
        report["instructions"] = instructions(
            args.n1, args.n2, args.concurrency, args.jobs, args.keep
        )
    if "import_time" in parts:
        print("import time:", file=sys.stderr)
        report["import_time"] = import_times()
        print(f"  {report['import_time']}", file=sys.stderr)
    report["wall_s"] = round(time.perf_counter() - started, 1)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report))
    print()
    print(markdown(report))


if __name__ == "__main__":
    main()
