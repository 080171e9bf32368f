"""The `heygen_async` logger, and HEYGEN_LOG=debug|info to turn it on from the environment."""

from __future__ import annotations

import logging
import os

from ._constants import LOG_ENV

logger = logging.getLogger("heygen_async")

_configured = False


def configure_from_env() -> None:
    """Honour HEYGEN_LOG once per process: attach a stderr handler at the level it names."""
    global _configured
    if _configured:
        return
    _configured = True
    level = {"debug": logging.DEBUG, "info": logging.INFO}.get(
        os.environ.get(LOG_ENV, "").strip().lower()
    )
    if level is None:
        return
    logger.setLevel(level)
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
