"""A minimal, fast HTTP/1.1 server for benchmarks, run in its own process.

It answers POST creates with a fixed HeyGen-shaped reply, so the client is what is measured.
With `--faults`, it answers a seeded 20% of creates 429 (Retry-After: 0) and 10% 503, and
counts, per Idempotency-Key, how many creates it accepted: GET /stats reports it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time

CREATED = json.dumps(
    {"data": {"session_id": "sess_bench", "created_at": 1711382400, "status": "thinking"}}
).encode()
RATE_LIMITED = json.dumps(
    {"error": {"code": "rate_limit_exceeded", "message": "Too many requests"}}
).encode()
UNAVAILABLE = json.dumps(
    {"error": {"code": "service_unavailable", "message": "Try again"}}
).encode()


def _reply(status: str, body: bytes, extra: str = "") -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nX-Request-Id: req_bench\r\n{extra}\r\n"
    )
    return head.encode() + body


OK_REPLY = _reply("200 OK", CREATED)
LIMIT_REPLY = _reply("429 Too Many Requests", RATE_LIMITED, "Retry-After: 0\r\n")
DOWN_REPLY = _reply("503 Service Unavailable", UNAVAILABLE)


class Stats:
    def __init__(self, faults: bool, seed: int) -> None:
        self.faults = faults
        self.random = random.Random(seed)
        self.accepted: dict[str, int] = {}
        self.requests = 0

    def reset(self) -> None:
        self.accepted.clear()
        self.requests = 0


class Protocol(asyncio.Protocol):
    def __init__(self, stats: Stats) -> None:
        self.stats = stats
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1")
            length = 0
            key = ""
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                lowered = name.strip().lower()
                if lowered == "content-length":
                    length = int(value)
                elif lowered == "idempotency-key":
                    key = value.strip()
            total = end + 4 + length
            if len(self.buffer) < total:
                return
            self.buffer = self.buffer[total:]
            self.respond(head.split(" ", 2), key)

    def respond(self, request_line: list[str], key: str) -> None:
        assert self.transport is not None
        stats = self.stats
        method, path = request_line[0], request_line[1]
        if method == "GET" and path == "/stats":
            body = json.dumps(
                {
                    "requests": stats.requests,
                    "accepted": len(stats.accepted),
                    "duplicates": sum(1 for n in stats.accepted.values() if n > 1),
                }
            ).encode()
            self.transport.write(_reply("200 OK", body))
            return
        if method == "POST" and path == "/reset":
            stats.reset()
            self.transport.write(_reply("200 OK", b"{}"))
            return
        stats.requests += 1
        if stats.faults:
            roll = stats.random.random()
            if roll < 0.2:
                self.transport.write(LIMIT_REPLY)
                return
            if roll < 0.3:
                self.transport.write(DOWN_REPLY)
                return
        if key:
            stats.accepted[key] = stats.accepted.get(key, 0) + 1
        self.transport.write(OK_REPLY)


async def serve(port: int, faults: bool, seed: int) -> None:
    stats = Stats(faults, seed)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Protocol(stats), "127.0.0.1", port, backlog=1024)
    print(json.dumps({"port": server.sockets[0].getsockname()[1]}), flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--faults", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    try:
        asyncio.run(serve(args.port, args.faults, args.seed))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    time.sleep(0)
    main()
