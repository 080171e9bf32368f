"""`client.users`: the account behind the API key."""

from __future__ import annotations

from ..models import Account
from ._base import Resource


class Users(Resource):
    async def me(self) -> Account:
        """The account: who it is, and its billing (wallet balance, subscription credits, ...)."""
        return await self._api.get("/v3/users/me", Account)
