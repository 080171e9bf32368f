"""Benchmarks of heygen-async against raw aiohttp: `python -m benchmarks`."""
