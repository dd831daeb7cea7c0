"""APScheduler only ticks: a few named periodic jobs; the database is the source of truth.

Jobs are added at every start with stable ids into an in-memory job store (nothing pickled):
after downtime the dispatcher's first tick, run at start-up, catches up on what fell due.

With several replicas on one database, a job registered `everywhere` (the outbox dispatcher,
the heartbeat) runs on every replica; every other job (the periodic producers: prompts,
reminders, retention) runs only on the replica that leads (scheduler/replicas.py). Producers
are paused on the others and resumed, with their start-up run, when a replica takes the lead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from scheduler.replicas import SOLE, Leader
from storage.logs import describe_exception

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]
LEADERSHIP_JOB = "scheduler.leadership"


@dataclass(frozen=True)
class _Spec:
    job_id: str
    job: Job
    seconds: float
    run_at_start: bool
    everywhere: bool


class SchedulerService:
    def __init__(self, leader: Leader = SOLE, *, leader_check_seconds: float = 5.0) -> None:
        self._scheduler = AsyncIOScheduler(
            timezone=timezone.utc,
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        )
        self._jobs: list[_Spec] = []
        self._in_flight: set[asyncio.Task] = set()
        self._leader = leader
        self._leading = leader is SOLE
        self._stopping = False
        if leader is not SOLE:
            self.every(LEADERSHIP_JOB, leader_check_seconds, self._follow_leader, everywhere=True)

    def every(self, job_id: str, seconds: float, job: Job, *, run_at_start: bool = True,
              everywhere: bool = False) -> None:
        """Register a periodic job; `job_id` must be stable so a restart replaces, not duplicates.

        `everywhere`: run on every replica, not only the leader (work each replica does for itself).
        """
        if any(spec.job_id == job_id for spec in self._jobs):
            raise ValueError(f"job {job_id!r} registered twice")
        self._jobs.append(_Spec(job_id, job, seconds, run_at_start, everywhere))

    @property
    def job_ids(self) -> list[str]:
        return [spec.job_id for spec in self._jobs]

    def job(self, job_id: str) -> Job:
        """The registered job itself, to run it by hand (the CLI and tests); KeyError if unknown."""
        for spec in self._jobs:
            if spec.job_id == job_id:
                return spec.job
        raise KeyError(job_id)

    @property
    def everywhere_ids(self) -> list[str]:
        """The jobs every replica runs; the others run on the leader only."""
        return [spec.job_id for spec in self._jobs if spec.everywhere]

    @property
    def leading(self) -> bool:
        """Whether this replica runs the producers (as of its last check)."""
        return self._leading

    def start(self) -> None:
        now = datetime.now(timezone.utc)
        for spec in self._jobs:
            start: dict[str, Any] = {"next_run_time": now} if spec.run_at_start else {}
            if not (spec.everywhere or self._leading):
                start = {"next_run_time": None}  # added paused: resumed when this replica leads
            self._scheduler.add_job(self._guarded(spec), "interval", seconds=spec.seconds, id=spec.job_id,
                                    name=spec.job_id, replace_existing=True, **start)
        self._scheduler.start()

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop ticking, let jobs already running finish (they hold database connections that must
        be returned before the engine is disposed), then give up the lead.

        A job still running after `timeout` is cancelled, and its cancellation logged in one line:
        an outbox row it held is taken over after its lease, as after a crash."""
        self._stopping = True
        if self._scheduler.running:
            # Paused, not shut down: shutting down cancels the running jobs' tasks at once.
            self._scheduler.pause()
        if self._in_flight:
            _, pending = await asyncio.wait(set(self._in_flight), timeout=timeout)
            if pending:
                log.warning("stopping %d scheduled jobs still running after %g s", len(pending), timeout)
                for task in pending:
                    task.cancel()
                await asyncio.wait(pending)
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
            # AsyncIOScheduler shuts down in a callback on the loop: let it run, so no tick can
            # start once we return (and `running` is true to its name).
            for _ in range(100):
                if not self._scheduler.running:
                    break
                await asyncio.sleep(0)
        await self._leader.close()
        self._leading = self._leader is SOLE

    @property
    def running(self) -> bool:
        return self._scheduler.running

    async def _follow_leader(self) -> bool:
        """Check the lead; on a change, resume or pause the producers."""
        leading = await self._leader.check()
        if leading == self._leading or self._stopping:
            return leading
        self._leading = leading
        now = datetime.now(timezone.utc)
        for spec in self._jobs:
            if spec.everywhere:
                continue
            if leading:
                # As at start-up: a producer the old leader would have run soon is not an hour late.
                first = now if spec.run_at_start else now + timedelta(seconds=spec.seconds)
                self._scheduler.modify_job(spec.job_id, next_run_time=first)
            else:
                self._scheduler.pause_job(spec.job_id)
        return leading

    def _guarded(self, spec: _Spec) -> Job:
        """Every job's errors are caught and logged here, once, so a failing tick never kills the loop."""
        in_flight = self._in_flight

        async def run() -> None:
            task = asyncio.current_task()
            if task is not None:
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
            try:
                # A producer confirms the lead just before it runs: the lead may have moved since
                # the last check (the jobs are idempotent, so this narrows overlap, not correctness).
                if spec.everywhere or self._leader is SOLE or await self._follow_leader():
                    await spec.job()
            except asyncio.CancelledError:
                if not self._stopping:
                    raise
                # Cancelled by stop() after its grace: an expected end, not an error to trace.
                log.warning("scheduled job %s stopped mid-run", spec.job_id)
            except Exception as exc:  # noqa: BLE001
                # Type and place only: database errors quote statement parameters (names, answers).
                log.error("scheduled job %s failed: %s", spec.job_id, describe_exception(exc))

        run.__name__ = f"job_{spec.job_id.replace('.', '_')}"
        return run
