"""What holds the event loop: the duration of every callback it runs, the garbage collector's
pauses, and (with `sample=True`) where the slow callbacks spent their time.

A timer's lag says *that* the loop was late, not *why*: at saturation it is mostly queueing
(many ready callbacks per loop iteration), while a blocking call shows as one long callback.
`CallbackWatch` wraps `asyncio.events.Handle._run`, through which every callback and task step
goes, so the longest single callbacks are measured directly. Used by bench/turns.py's server
process; a few microseconds per callback, so it stays on during every measured phase.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
_OWN = ("bot", "storage", "dialogs", "scheduler")


def _pct(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else 0.0


def _name(handle: asyncio.Handle) -> str:
    """The task a callback steps (its coroutine's name), or the callback's own name."""
    callback = handle._callback  # noqa: SLF001 - what the handle runs
    owner = getattr(callback, "__self__", None)
    if isinstance(owner, asyncio.Task):
        return f"task {owner.get_coro().__qualname__}"
    return getattr(callback, "__qualname__", type(callback).__name__)


def _where(frame) -> str:
    """Innermost frame of our own code, and the innermost frame of all (a library's)."""
    inner = f"{Path(frame.f_code.co_filename).name}:{frame.f_code.co_name}"
    ours = None
    while frame is not None and ours is None:
        path = frame.f_code.co_filename
        if path.startswith(str(ROOT)) and Path(path).relative_to(ROOT).parts[0] in _OWN:
            ours = f"{Path(path).relative_to(ROOT)}:{frame.f_code.co_name}:{frame.f_lineno}"
        frame = frame.f_back
    return f"{ours or '-'} | {inner}"


class CallbackWatch:
    """Times every loop callback and GC pass between `start()` and `stop()`."""

    def __init__(self, slow: float = 0.02, sample: bool = False, sample_interval: float = 0.001) -> None:
        self.slow = slow
        self.sample = sample
        self.sample_interval = sample_interval
        self._original = asyncio.events.Handle._run
        self._reset()

    def _reset(self) -> None:
        self.durations: list[float] = []
        self.cpu: list[float] = []  # the loop thread's CPU time per callback: wall time less waiting for a core
        self.slowest: list[tuple[float, float, float, str, str]] = []  # (s, CPU s, in SQLite s, callback, GC)
        self.sqlite: list[float] = []  # wall time of each call into SQLite (storage/sqlite_driver.py)
        self._sqlite_inside = 0.0
        self.slow_statements: Counter[str] = Counter()  # statements that took 5 ms or more
        self.gc_pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self.samples: Counter[str] = Counter()  # where slow callbacks were, per sample
        self._gc_inside: list[str] = []
        self._gc_began = 0.0
        self._running_since = 0.0
        self._pending: list[str] = []
        self._stop_sampler = threading.Event()

    def start(self) -> None:
        self._reset()
        watch, original = self, self._original
        perf, thread_cpu = time.perf_counter, time.thread_time

        def _run(handle: asyncio.Handle) -> None:
            watch._gc_inside = []
            watch._pending = []
            watch._sqlite_inside = 0.0
            cpu = thread_cpu()
            began = watch._running_since = perf()
            try:
                original(handle)
            finally:
                took = perf() - began
                cpu = thread_cpu() - cpu
                watch._running_since = 0.0
                watch.durations.append(took)
                watch.cpu.append(cpu)
                if took >= watch.slow:
                    watch.slowest.append((took, cpu, watch._sqlite_inside, _name(handle), ",".join(watch._gc_inside)))
                    watch.samples.update(watch._pending)

        asyncio.events.Handle._run = _run  # type: ignore[method-assign]
        self._watch_sqlite()
        gc.callbacks.append(self._on_gc)
        if self.sample:
            threading.Thread(target=self._sampler, args=(threading.main_thread().ident,), daemon=True).start()

    def _watch_sqlite(self) -> None:
        """Time each call the SQLite driver makes on the loop's thread (a statement, a commit)."""
        from storage import sqlite_driver

        self._original_sqlite = original = sqlite_driver.Connection._run
        watch = self

        async def _run(connection, function):
            def timed():
                began = time.perf_counter()
                try:
                    return function()
                finally:
                    took = time.perf_counter() - began
                    watch.sqlite.append(took)
                    watch._sqlite_inside += took

            return await original(connection, timed)

        sqlite_driver.Connection._run = _run  # type: ignore[method-assign]
        self._original_execute = execute = sqlite_driver.Cursor.execute

        async def _execute(cursor, sql, parameters=()):
            before = watch._sqlite_inside
            try:
                return await execute(cursor, sql, parameters)
            finally:
                if watch._sqlite_inside - before >= 0.005:  # a slow statement: which one
                    watch.slow_statements[" ".join(sql.split())[:90]] += 1

        sqlite_driver.Cursor.execute = _execute  # type: ignore[method-assign]

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_began = time.perf_counter()
            return
        took = time.perf_counter() - self._gc_began
        self.gc_pauses[info["generation"]].append(took)
        if took >= 0.001:
            self._gc_inside.append(f"gen{info['generation']} {took * 1000:.0f}ms")

    def _sampler(self, main: int) -> None:
        while not self._stop_sampler.wait(self.sample_interval):
            since = self._running_since
            if since and time.perf_counter() - since > self.sample_interval:
                frame = sys._current_frames().get(main)  # noqa: SLF001 - a sampling profiler's way
                if frame is not None:
                    self._pending.append(_where(frame))

    def stop(self) -> dict[str, Any]:
        """Callback and GC figures in milliseconds; the slowest callbacks and where they were."""
        asyncio.events.Handle._run = self._original  # type: ignore[method-assign]
        from storage import sqlite_driver

        sqlite_driver.Connection._run = self._original_sqlite  # type: ignore[method-assign]
        sqlite_driver.Cursor.execute = self._original_execute  # type: ignore[method-assign]
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)
        self._stop_sampler.set()
        ordered, cpu, sql = sorted(self.durations), sorted(self.cpu), sorted(self.sqlite)
        return {
            "sqlite": (len(sql), round(sum(sql) * 1000, 1), round(_pct(sql, 0.99) * 1000, 2),
                       round((sql[-1] if sql else 0.0) * 1000, 1)),
            "cpu_p99": _pct(cpu, 0.99) * 1000, "cpu_max": (cpu[-1] if cpu else 0.0) * 1000,
            "callbacks": len(ordered),
            "p50": _pct(ordered, 0.5) * 1000, "p99": _pct(ordered, 0.99) * 1000,
            "p999": _pct(ordered, 0.999) * 1000, "max": (ordered[-1] if ordered else 0.0) * 1000,
            "slow": len(self.slowest), "slow_ms": sum(s[0] for s in self.slowest) * 1000,
            "slowest": [(round(s * 1000, 1), round(c * 1000, 1), round(q * 1000, 1), name, gcs)
                        for s, c, q, name, gcs in sorted(self.slowest, reverse=True)[:8]],
            "gc": {gen: (len(p), round(sum(p) * 1000, 1), round(max(p, default=0.0) * 1000, 1))
                   for gen, p in self.gc_pauses.items()},
            "where": self.samples.most_common(15) + [(f"SQL {sql}", n) for sql, n in
                                                     self.slow_statements.most_common(8)],
        }
