"""The benchmark runner: SDK vs raw aiohttp, batch scaling, faults, and a profile.

    python -m benchmarks [--quick] [--out benchmarks/results/latest.json]

Every measurement runs against benchmarks/server.py in a separate process on 127.0.0.1.
Throughput runs are interleaved (raw, SDK, raw, SDK, ...) and reported as medians; each run
is preceded by a warm-up that is not counted. Client CPU is the client process's own CPU
time (time.process_time) divided by requests.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import platform
import pstats
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any, ClassVar

import aiohttp

import heygen_async as hg

from ._common import API_KEY, PAYLOAD, server

CREATE_PATH = "/v3/video-agents/sessions"


async def _drive(n: int, concurrency: int, one: Any) -> tuple[float, float]:
    """Send n requests with `concurrency` workers; return (wall seconds, CPU seconds)."""
    per_worker, extra = divmod(n, concurrency)

    async def worker(count: int) -> None:
        for _ in range(count):
            await one()

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker(per_worker + (i < extra)) for i in range(concurrency)))
    return time.perf_counter() - wall, time.process_time() - cpu


async def raw_aiohttp(url: str, n: int, concurrency: int, warmup: int) -> dict[str, float]:
    """What a careful user of bare aiohttp writes: same body, same headers, parsed reply."""
    headers = {"x-api-key": API_KEY, "Content-Type": "application/json"}
    target = url + CREATE_PATH
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as session:

        async def one() -> None:
            body = json.dumps(PAYLOAD).encode()
            request_headers = {**headers, "Idempotency-Key": str(uuid.uuid4())}
            async with session.post(target, data=body, headers=request_headers) as response:
                data = json.loads(await response.read())
                if response.status != 200 or not data["data"]["session_id"]:
                    raise RuntimeError(f"unexpected reply {response.status}")

        await _drive(warmup, concurrency, one)
        wall, cpu = await _drive(n, concurrency, one)
    return {"rps": n / wall, "cpu_us": cpu / n * 1e6}


def use_json(backend: str) -> None:
    """Switch the SDK's JSON functions in this process: "json" (stdlib) or "orjson"."""
    from heygen_async import _json

    if backend == "orjson":
        import orjson

        _json.dumps, _json.loads = orjson.dumps, orjson.loads
    else:
        _json.dumps, _json.loads = _json._stdlib_dumps, _json._stdlib_loads
    _json.BACKEND = backend


def json_backends() -> list[str]:
    try:
        import orjson  # noqa: F401
    except ImportError:
        return ["json"]
    return ["json", "orjson"]


async def sdk(url: str, n: int, concurrency: int, warmup: int) -> dict[str, float]:
    async with hg.AsyncHeyGen(API_KEY, base_url=url, max_concurrent_creates=concurrency) as client:
        prompt = PAYLOAD["prompt"]

        async def one() -> None:
            await client.sessions.create(prompt=prompt)

        await _drive(warmup, concurrency, one)
        wall, cpu = await _drive(n, concurrency, one)
    return {"rps": n / wall, "cpu_us": cpu / n * 1e6}


def throughput(url: str, concurrencies: list[int], reps: int, quick: bool) -> list[dict[str, Any]]:
    """Raw aiohttp vs the SDK (once per JSON backend), interleaved run by run."""
    backends = json_backends()
    rows = []
    for concurrency in concurrencies:
        n = (600 if quick else 2000) if concurrency == 1 else (2000 if quick else 8000)
        warmup = max(200, concurrency * 4)
        runs: dict[str, list[dict[str, float]]] = {"raw": [], **{b: [] for b in backends}}
        sides = ["raw", *backends]
        for rep in range(reps):
            # Rotate who goes first: this machine's speed drifts, and pairs share conditions.
            for side in sides[rep % len(sides) :] + sides[: rep % len(sides)]:
                if side == "raw":
                    runs["raw"].append(asyncio.run(raw_aiohttp(url, n, concurrency, warmup)))
                else:
                    use_json(side)
                    runs[side].append(asyncio.run(sdk(url, n, concurrency, warmup)))
        raw_rps = statistics.median(r["rps"] for r in runs["raw"])
        raw_cpu = statistics.median(r["cpu_us"] for r in runs["raw"])
        for backend in backends:
            sdk_rps = statistics.median(r["rps"] for r in runs[backend])
            sdk_cpu = statistics.median(r["cpu_us"] for r in runs[backend])
            paired = statistics.median(
                s["rps"] / r["rps"] for s, r in zip(runs[backend], runs["raw"], strict=True)
            )
            rows.append(
                {
                    "concurrency": concurrency,
                    "sdk_json": backend,
                    "requests_per_run": n,
                    "runs": reps,
                    "raw_rps": round(raw_rps),
                    "sdk_rps": round(sdk_rps),
                    "ratio": round(paired, 3),
                    "ratio_of_medians": round(sdk_rps / raw_rps, 3),
                    "raw_cpu_us": round(raw_cpu, 1),
                    "sdk_cpu_us": round(sdk_cpu, 1),
                    "added_cpu_us": round(sdk_cpu - raw_cpu, 1),
                }
            )
            print(f"  concurrency {concurrency}: {rows[-1]}", file=sys.stderr)
    use_json(json_backends()[-1])
    return rows


def batch_scaling(url: str, sizes: list[int]) -> list[dict[str, Any]]:
    rows = []
    for mode in ("iter_create_many", "create_many"):
        for n in sizes:
            command = [sys.executable, "-m", "benchmarks.batch_child", "--url", url]
            out = subprocess.run(
                [*command, "--n", str(n), "--mode", mode],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            result = json.loads(out)
            rows.append(
                {
                    "mode": mode,
                    "n": n,
                    "ok": result["ok"],
                    "wall_s": round(result["wall_s"], 2),
                    "items_per_s": round(n / result["wall_s"]),
                    "us_per_item": round(result["wall_s"] / n * 1e6, 1),
                    "peak_rss_mib": round(result["peak_rss_mib"], 1),
                }
            )
            print(f"  {mode} {n}: {rows[-1]}", file=sys.stderr)
    return rows


async def _faulty_batch(url: str, n: int) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http:
        await (await http.post(url + "/reset")).release()
    retry = hg.RetryPolicy(max_retries=10)
    async with hg.AsyncHeyGen(API_KEY, base_url=url, max_concurrent_creates=64, retry=retry) as c:
        start = time.perf_counter()
        results = await c.sessions.create_many(
            (f"{PAYLOAD['prompt']} #{i}" for i in range(n)), concurrency=64
        )
        wall = time.perf_counter() - start
    async with aiohttp.ClientSession() as http, http.get(url + "/stats") as reply:
        stats = await reply.json()
    failed = sum(not r.ok for r in results)
    return {
        "n": n,
        "items_per_s": round(n / wall),
        "server_requests": stats["requests"],
        "accepted": stats["accepted"],
        "duplicates": stats["duplicates"],
        "failed_items": failed,
        "lost_or_duplicated": failed + stats["duplicates"] + (n - stats["accepted"]),
    }


def faults(n: int) -> dict[str, Any]:
    with server(faults=True) as url:
        result = asyncio.run(_faulty_batch(url, n))
    print(f"  faults: {result}", file=sys.stderr)
    return result


class _InstantTransport:
    """A transport that answers every request at once from memory: what is left is the SDK's
    own CPU. It implements `heygen_async.Transport` (only `send` is used by creates)."""

    reply = json.dumps(
        {"data": {"session_id": "sess_bench", "created_at": 1711382400, "status": "thinking"}}
    ).encode()
    headers: ClassVar[dict[str, str]] = {}

    async def send(self, *args: Any, **kwargs: Any) -> Any:
        from heygen_async._transport import RawResponse

        return RawResponse(200, self.headers, self.reply)

    def stream(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    async def aclose(self) -> None:
        return None


def overhead(n: int = 10_000, reps: int = 9) -> list[dict[str, Any]]:
    """Per-call CPU of `sessions.create` with no network, against the work a raw aiohttp
    caller does around the same request (json.dumps, uuid4, json.loads): the difference is
    what the SDK adds (validation, models, limiter, retry bookkeeping, logging checks).
    Sides alternate within each repetition and the best of each is kept: the least disturbed
    run of pure CPU work is the closest to its cost."""

    def raw_side() -> float:
        started = time.perf_counter()
        for _ in range(n):
            body = json.dumps(PAYLOAD).encode()
            key = str(uuid.uuid4())
            data = json.loads(_InstantTransport.reply)
            assert body and key and data["data"]["session_id"]
        return (time.perf_counter() - started) / n * 1e6

    async def sdk_side(client: hg.AsyncHeyGen) -> float:
        prompt = PAYLOAD["prompt"]
        started = time.perf_counter()
        for _ in range(n):
            await client.sessions.create(prompt=prompt)
        return (time.perf_counter() - started) / n * 1e6

    async def measure() -> dict[str, float]:
        client = hg.AsyncHeyGen(
            API_KEY, base_url="https://api.invalid", transport=_InstantTransport()
        )
        backends = json_backends()
        best = {"raw": float("inf"), **{b: float("inf") for b in backends}}
        for backend in backends:  # warm up every path once
            use_json(backend)
            await sdk_side(client)
        for _ in range(reps):
            best["raw"] = min(best["raw"], raw_side())
            for backend in backends:
                use_json(backend)
                best[backend] = min(best[backend], await sdk_side(client))
        return best

    best = asyncio.run(measure())
    rows = []
    for backend in json_backends():
        rows.append(
            {
                "sdk_json": backend,
                "sdk_create_us": round(best[backend], 2),
                "raw_equivalent_us": round(best["raw"], 2),
                "added_us": round(best[backend] - best["raw"], 2),
            }
        )
        print(f"  overhead: {rows[-1]}", file=sys.stderr)
    use_json(json_backends()[-1])
    return rows


def profile(url: str, n: int) -> list[dict[str, Any]]:
    """Where the SDK's own time goes per call (tottime of heygen_async functions)."""
    profiler = cProfile.Profile()
    profiler.enable()
    asyncio.run(sdk(url, n, 64, 200))
    profiler.disable()
    stats = pstats.Stats(profiler, stream=io.StringIO())
    rows = []
    total_sdk = 0.0
    for (filename, line, name), (_, ncalls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        if "heygen_async" not in filename:
            continue
        total_sdk += tottime
        rows.append(
            {
                "function": f"{filename.split('heygen_async/')[-1]}:{line}({name})",
                "calls": ncalls,
                "own_us_per_request": round(tottime / n * 1e6, 2),
                "cum_us_per_request": round(cumtime / n * 1e6, 2),
            }
        )
    rows.sort(key=lambda r: -r["own_us_per_request"])
    print(
        f"  profile: SDK functions own {total_sdk / n * 1e6:.1f} us/request (profiled)",
        file=sys.stderr,
    )
    return rows[:12]


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"Machine: {report['machine']}; Python {report['python']}, aiohttp {report['aiohttp']}."
    ]
    if "throughput" in report:
        lines += [
            "",
            "| concurrency | SDK JSON | raw aiohttp req/s | SDK req/s | SDK / raw (paired median) "
            "| raw CPU µs/req | SDK CPU µs/req | added µs |",
            "|---:|---|---:|---:|---:|---:|---:|---:|",
        ]
        for r in report["throughput"]:
            lines.append(
                f"| {r['concurrency']} | {r['sdk_json']} | {r['raw_rps']:,} | {r['sdk_rps']:,} "
                f"| {r['ratio']:.2f}x | {r['raw_cpu_us']} | {r['sdk_cpu_us']} "
                f"| {r['added_cpu_us']} |"
            )
    if "overhead" in report:
        lines += [
            "",
            "| in memory, no network | SDK create µs | raw caller's own work µs "
            "(json.dumps + uuid4 + json.loads) | added by the SDK µs |",
            "|---|---:|---:|---:|",
        ]
        for r in report["overhead"]:
            lines.append(
                f"| SDK JSON: {r['sdk_json']} | {r['sdk_create_us']} | {r['raw_equivalent_us']} "
                f"| {r['added_us']} |"
            )
    if "batch" in report:
        lines += [
            "",
            "| batch | N | wall s | items/s | peak RSS MiB |",
            "|---|---:|---:|---:|---:|",
        ]
        for r in report["batch"]:
            lines.append(
                f"| {r['mode']} | {r['n']:,} | {r['wall_s']} | {r['items_per_s']:,} "
                f"| {r['peak_rss_mib']} |"
            )
    if "faults" in report:
        f = report["faults"]
        lines += [
            "",
            f"Faults (20% 429 with Retry-After: 0, 10% 503), {f['n']:,} creates at concurrency "
            f"64: {f['items_per_s']:,} items/s, {f['server_requests']:,} requests, "
            f"{f['accepted']:,} accepted, {f['duplicates']} duplicated, "
            f"{f['failed_items']} failed.",
        ]
    if "profile" in report:
        lines += [
            "",
            "| where the SDK's time goes (profiled, c=64) | own µs/req | cum µs/req |",
            "|---|---:|---:|",
        ]
        for r in report["profile"]:
            lines.append(
                f"| `{r['function']}` | {r['own_us_per_request']} | {r['cum_us_per_request']} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer requests and sizes")
    parser.add_argument("--reps", type=int, default=None)
    parser.add_argument("--out", default="benchmarks/results/latest.json")
    parser.add_argument(
        "--only",
        choices=("throughput", "overhead", "batch", "faults", "profile"),
        action="append",
        help="run only these parts (repeatable); the report then has only them",
    )
    args = parser.parse_args()
    parts = set(args.only or ("throughput", "overhead", "batch", "faults", "profile"))
    reps = args.reps or (3 if args.quick else 7)
    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000]
    report: dict[str, Any] = {
        "command": "python -m benchmarks" + (" --quick" if args.quick else ""),
        "machine": f"{platform.machine()}, {_cpus()} CPUs, {platform.system()}",
        "python": platform.python_version(),
        "aiohttp": aiohttp.__version__,
        "date": time.strftime("%Y-%m-%d"),
    }
    with server() as url:
        if "throughput" in parts:
            print("throughput (interleaved raw/SDK runs, medians):", file=sys.stderr)
            report["throughput"] = throughput(url, [1, 64, 256], reps, args.quick)
        if "overhead" in parts:
            print("overhead (in memory):", file=sys.stderr)
            report["overhead"] = overhead()
        if "batch" in parts:
            print("batch scaling:", file=sys.stderr)
            report["batch"] = batch_scaling(url, sizes)
        if "profile" in parts:
            print("profile:", file=sys.stderr)
            report["profile"] = profile(url, 3000)
    if "faults" in parts:
        print("faults:", file=sys.stderr)
        report["faults"] = faults(2000 if args.quick else 10_000)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report))
    print()
    print(markdown(report))


def _cpus() -> int:
    import os

    return os.cpu_count() or 1
