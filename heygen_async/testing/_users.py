"""Handler for the account (GET /v3/users/me): a wallet-billed fake user."""

from __future__ import annotations

from typing import Any

from aiohttp import web

ME: dict[str, Any] = {
    "username": "fake-user",
    "email": "fake@example.com",
    "first_name": "Fake",
    "last_name": "User",
    "billing_type": "wallet",
    "wallet": {
        "currency": "usd",
        "remaining_balance": 100.0,
        "auto_reload": {"enabled": False, "amount_usd": None, "threshold_usd": None},
    },
}


class UserHandlers:
    def routes(self) -> list[web.RouteDef]:
        return [web.get("/v3/users/me", self.me)]

    async def me(self, request: web.Request) -> web.Response:
        return web.json_response({"data": ME})
