"""The account behind the API key (GET /v3/users/me)."""

from __future__ import annotations

from typing import Any

import attrs


@attrs.frozen(kw_only=True)
class Account:
    """Who the key belongs to and how it is billed; exactly one of the billing blocks is set."""

    username: str
    # In every reply, though HeyGen may not know them (null).
    email: str | None
    first_name: str | None
    last_name: str | None
    billing_type: str | None = None
    wallet: dict[str, Any] | None = None
    subscription: dict[str, Any] | None = None
    usage_based: dict[str, Any] | None = None
