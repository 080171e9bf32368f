"""The `heygen-async` command: create, get, wait, avatars, voices, brand-kits, styles, batch,
fake-server, demo.

The API key comes from HEYGEN_API_KEY or `--api-key-file`, and `batch`'s webhook secret from
HEYGEN_WEBHOOK_SECRET or `--webhook-secret-file`, never from a plain argument (arguments show
up in `ps` and shell history).
"""

from .commands import main

__all__ = ["main"]
