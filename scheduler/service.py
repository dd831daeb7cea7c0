"""APScheduler only ticks: a few named periodic jobs; the database is the source of truth.

Jobs are added at every start with stable ids into an in-memory job store (nothing pickled):
after downtime the dispatcher's first tick, run at start-up, catches up on what fell due.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from storage.logs import describe_exception

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]


class SchedulerService:
    def __init__(self) -> None:
        self._scheduler = AsyncIOScheduler(
            timezone=timezone.utc,
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        )
        self._jobs: list[tuple[str, Job, float, bool]] = []
        self._in_flight: set[asyncio.Task] = set()

    def every(self, job_id: str, seconds: float, job: Job, *, run_at_start: bool = True) -> None:
        """Register a periodic job; `job_id` must be stable so a restart replaces, not duplicates."""
        if any(existing == job_id for existing, *_ in self._jobs):
            raise ValueError(f"job {job_id!r} registered twice")
        self._jobs.append((job_id, job, seconds, run_at_start))

    @property
    def job_ids(self) -> list[str]:
        return [job_id for job_id, *_ in self._jobs]

    def start(self) -> None:
        for job_id, job, seconds, run_at_start in self._jobs:
            # Passing next_run_time=None would add the job paused, so leave it out instead.
            start = {"next_run_time": datetime.now(timezone.utc)} if run_at_start else {}
            self._scheduler.add_job(
                _guarded(job_id, job, self._in_flight), "interval", seconds=seconds, id=job_id, name=job_id, replace_existing=True, **start
            )
        self._scheduler.start()

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop ticking, then let jobs already running finish (they hold database connections
        that must be returned before the engine is disposed)."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
            # AsyncIOScheduler shuts down in a callback on the loop: let it run, so no tick can
            # start once we return (and `running` is true to its name).
            for _ in range(100):
                if not self._scheduler.running:
                    break
                await asyncio.sleep(0)
        if self._in_flight:
            await asyncio.wait(set(self._in_flight), timeout=timeout)

    @property
    def running(self) -> bool:
        return self._scheduler.running


def _guarded(job_id: str, job: Job, in_flight: set[asyncio.Task]) -> Job:
    """Every job's errors are caught and logged here, once, so a failing tick never kills the loop."""

    async def run() -> None:
        task = asyncio.current_task()
        if task is not None:
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
        try:
            await job()
        except Exception as exc:  # noqa: BLE001
            # Type and place only: database errors quote statement parameters (names, answers).
            log.error("scheduled job %s failed: %s", job_id, describe_exception(exc))

    run.__name__ = f"job_{job_id.replace('.', '_')}"
    return run
