"""A person appearing: the first turn the bot hears from someone (install, or a first message).

Features register a hook here rather than the handler knowing about them; the people feature
uses it to reach someone who was picked or imported before they installed the app.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import User

Hook = Callable[[AsyncSession, User], Awaitable[None]]


class AppearanceHooks:
    """Hooks run, in registration order, inside the transaction that recorded the new User."""

    def __init__(self) -> None:
        self._hooks: list[Hook] = []

    def register(self, hook: Hook) -> None:
        self._hooks.append(hook)

    async def appeared(self, db: AsyncSession, user: User) -> None:
        for hook in self._hooks:
            await hook(db, user)
