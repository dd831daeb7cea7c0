"""Logging set-up. Logs carry ids, types and outcomes; never message text or card values."""

from __future__ import annotations

import logging
import traceback


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The SDK and HTTP client log request bodies at DEBUG; keep them quiet whatever our level.
    # Database drivers log statement parameters (people's names, answers) at DEBUG.
    for noisy in ("botbuilder", "botframework", "msrest", "aiohttp.client", "urllib3", "msal", "apscheduler",
                  "aiosqlite", "sqlalchemy.engine", "asyncpg"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # msrest warns on every Teams invoke about fields it has no model for ("trigger").
    logging.getLogger("msrest.serialization").setLevel(logging.ERROR)


def describe_exception(exc: BaseException) -> str:
    """Type and where it was raised, without the message (which may quote what a user typed)."""
    frames = traceback.extract_tb(exc.__traceback__)[-4:]
    where = " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in reversed(frames))
    return f"{type(exc).__name__} at {where}" if where else type(exc).__name__
