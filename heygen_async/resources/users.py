"""`client.users`: the account behind the API key."""

from __future__ import annotations

from ._gen_users import UsersOperations


class Users(UsersOperations):
    """`client.users`: `me()` is the account (who it is, and its billing: wallet balance,
    subscription credits, ...). Every operation comes from the generated `UsersOperations`.
    """
