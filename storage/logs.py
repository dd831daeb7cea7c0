"""Log-safe descriptions of exceptions. In storage/, the bottom layer, so that every layer (the
scheduler's jobs and dispatcher, the HTTP edge, the turn error handler) may use the same one."""

from __future__ import annotations

import traceback


def describe_exception(exc: BaseException) -> str:
    """Type and where it was raised, without the message (which may quote what a user typed)."""
    frames = traceback.extract_tb(exc.__traceback__)[-4:]
    where = " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in reversed(frames))
    return f"{type(exc).__name__} at {where}" if where else type(exc).__name__
