"""Logging set-up. Logs carry ids, types and outcomes; never message text or card values
(storage/logs.py describes exceptions that way for every layer)."""

from __future__ import annotations

import logging


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The SDK and HTTP client log request bodies at DEBUG; keep them quiet whatever our level.
    # Database drivers log statement parameters (people's names, answers) at DEBUG.
    for noisy in ("botbuilder", "botframework", "msrest", "aiohttp.client", "urllib3", "msal", "apscheduler",
                  "aiosqlite", "sqlalchemy.engine", "asyncpg"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # msrest warns on every Teams invoke about fields it has no model for ("trigger").
    logging.getLogger("msrest.serialization").setLevel(logging.ERROR)

