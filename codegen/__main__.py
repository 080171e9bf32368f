"""`python -m codegen` writes the generated modules; `--check` exits 1 naming stale ones."""

from __future__ import annotations

import argparse
import sys

from .generate import ROOT, generated_files, render_all


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen", description=__doc__)
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a generated file is stale"
    )
    args = parser.parse_args(argv)
    files = render_all()
    stale = stale_files(files)
    if args.check:
        for path in stale:
            print(f"stale: {path} (run `python -m codegen`)", file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        target = ROOT / path
        if path in files:
            target.write_text(files[path], encoding="utf-8")
            print(f"wrote {path}")
        else:
            target.unlink()
            print(f"removed {path}")
    return 0


def stale_files(files: dict[str, str]) -> list[str]:
    """Generated files that differ from `files`, are missing, or should not exist."""
    stale = []
    for path, text in files.items():
        target = ROOT / path
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            stale.append(path)
    for existing in generated_files():
        path = existing.relative_to(ROOT).as_posix()
        if path not in files:
            stale.append(path)
    return sorted(stale)


if __name__ == "__main__":
    sys.exit(main())
