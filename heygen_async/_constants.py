"""Every default of heygen-async in one place, each with the reason for its value.

Keep in sync with the configuration table of README.md.
"""

from __future__ import annotations

import re
from typing import Final

DEFAULT_BASE_URL: Final = "https://api.heygen.com"
API_KEY_ENV: Final = "HEYGEN_API_KEY"
BASE_URL_ENV: Final = "HEYGEN_BASE_URL"
LOG_ENV: Final = "HEYGEN_LOG"

# HeyGen's own CLI allows writes 120 s (POST p99 ~31 s) and reads 30 s; we take one budget
# per attempt that covers both, and a short connect phase so a dead host fails fast.
DEFAULT_CONNECT_TIMEOUT: Final = 5.0
DEFAULT_TOTAL_TIMEOUT: Final = 120.0
# No per-read timer on API calls: the total bounds them, and aiohttp re-arms a read timer on
# every chunk (measured: ~20 us of CPU per request). Downloads, which have no total, use one.
DEFAULT_READ_TIMEOUT: Final = None
DOWNLOAD_READ_TIMEOUT: Final = 60.0

# Retries: full jitter, sleep = uniform(0, min(BACKOFF_MAX, BACKOFF_BASE * 2**retry)).
DEFAULT_MAX_RETRIES: Final = 3
DEFAULT_RETRY_STATUSES: Final = frozenset({429, 500, 502, 503, 504})
DEFAULT_BACKOFF_BASE: Final = 0.5
DEFAULT_BACKOFF_MAX: Final = 8.0
# A Retry-After longer than this is not slept: the caller gets RateLimitError(retry_after=...)
# and decides, instead of a worker silently blocking for minutes.
DEFAULT_MAX_RETRY_AFTER: Final = 60.0

# HeyGen's pay-as-you-go plan runs 10 jobs at once and advises 2-3 Video Agent jobs in
# parallel; 4 keeps a single process well inside both.
DEFAULT_MAX_CONCURRENT_CREATES: Final = 4

# Polling (wait): HeyGen's CLI starts at 2 s and caps at 30 s; Video Agent jobs take 20-45 min.
DEFAULT_POLL_INTERVAL: Final = 2.0
DEFAULT_POLL_MAX_INTERVAL: Final = 30.0
DEFAULT_WAIT_TIMEOUT: Final = 60.0 * 60.0
# Waiting on webhook events: read the job anyway after this long without one (an event may be
# lost, or sent while the receiver was down), sweeping the delivery history for missed ones
# first. HeyGen retries a delivery for 24 h and keeps a history, so a lost event is rare; at
# 30 min a Video Agent job (20-45 min) costs about two reads after its create, not a poll
# every 2-30 s, and a lost event delays its job by at most this long.
DEFAULT_EVENTS_FALLBACK: Final = 1800.0

# API replies above this are refused unread (APIResponseValidationError): HeyGen's are a few
# KiB (a page of 100 items well under 1 MiB), and a hostile or broken server announcing 10 GB
# must not take the process's memory. Downloads are streamed and not bound by it.
DEFAULT_MAX_RESPONSE_BYTES: Final = 16 * 1024 * 1024

# Connection pool: enough for a batch at high concurrency without exhausting file descriptors.
DEFAULT_POOL_LIMIT: Final = 100

# Validation limits from HeyGen's API reference.
PROMPT_MAX_CHARS: Final = 10_000
MAX_FILES: Final = 20
IDEMPOTENCY_KEY_RE: Final = re.compile(r"[A-Za-z0-9_\-:.]{1,255}")
SUPPORTED_MEDIA_TYPES: Final = frozenset(
    {
        "image/png",
        "image/jpeg",
        "video/mp4",
        "video/webm",
        "audio/mpeg",
        "audio/mp3",
        "audio/wav",
        "audio/x-wav",
        "audio/wave",
        "application/pdf",
    }
)
# Multipart uploads above this go through the three-step direct upload.
MULTIPART_UPLOAD_LIMIT: Final = 32 * 1024 * 1024

USER_AGENT_PREFIX: Final = "heygen-async"

# Pipelined batches (create, wait, download): HeyGen advises 2-3 Video Agent jobs in parallel;
# more gets every job stuck in `thinking`.
DEFAULT_MAX_ACTIVE: Final = 3

# Batches: an item whose create failed transiently after its retries (about 3.5 s of backoff)
# goes back to the end of the queue, up to 3 times, after 5 s, then 10 s, then 20 s: a short
# outage (a restart, a reset storm) then costs nothing, and a long one still ends the batch.
DEFAULT_MAX_REQUEUES: Final = 3
DEFAULT_REQUEUE_DELAY: Final = 5.0
