"""What it would cost to fsync every batch journal record, against flushing it to the OS.

    python -m benchmarks.journal [--records 2000] [--dir DIR]

The journal flushes each record (it survives a kill -9, which loses nothing the OS holds) and
fsyncs one record only, the journal's identity, from which every item's Idempotency-Key is
derived: a record lost in a power cut is then harmless, because the re-run derives the same
key and HeyGen replays the create instead of making it again. This measures the alternative,
an fsync per record before its create is sent, on the disk that holds `--dir` (default: the
current directory, where journals usually live), in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from heygen_async._journal import CREATING, Journal


def _per_record(directory: Path, records: int, fsync: bool) -> float:
    """Microseconds per record, best of 3 runs."""
    runs = []
    for _ in range(3):
        with tempfile.TemporaryDirectory(dir=directory) as scratch:
            journal = Journal(Path(scratch) / "journal.jsonl").open()
            assert journal._file is not None
            handle = journal._file
            started = time.perf_counter()
            for i in range(records):
                journal.record(f"{i:024x}-0", index=i, status=CREATING, generation=0)
                if fsync:
                    os.fsync(handle.fileno())
            runs.append((time.perf_counter() - started) / records * 1e6)
            journal.close()
    return min(runs)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.journal")
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--dir", type=Path, default=Path.cwd())
    args = parser.parse_args(argv)
    flushed = _per_record(args.dir, args.records, fsync=False)
    synced = _per_record(args.dir, min(args.records, 500), fsync=True)
    # A create over the network: HeyGen's p50 is tens to hundreds of ms; on loopback against
    # FakeHeyGen about 0.3 ms. An fsync before every create adds to each create's latency.
    result = {
        "command": "python -m benchmarks.journal " + " ".join(argv or sys.argv[1:]),
        "directory": str(args.dir),
        "records": args.records,
        "flush_us_per_record": round(flushed, 1),
        "fsync_us_per_record": round(synced, 1),
        "fsync_over_flush": round(synced / flushed, 1),
        "fsynced_records_per_s_one_writer": round(1e6 / synced),
    }
    print(json.dumps(result))
    print()
    print("| journal record | µs per record |")
    print("|---|---:|")
    print(f"| write + flush (what the journal does) | {flushed:.1f} |")
    print(f"| write + flush + fsync (per record) | {synced:.1f} |")
    print(f"\nfsync per record costs {synced / flushed:.0f}x a flush.")
    return result


if __name__ == "__main__":
    main()
