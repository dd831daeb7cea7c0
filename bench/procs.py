"""What the benchmark scripts share: CPU accounting from /proc, and a child process that says
when it is ready. Imported by its neighbours (a script's own folder is on `sys.path`)."""

from __future__ import annotations

import asyncio
import os
import resource
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_CLK_TCK = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process, all its threads included (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


def self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def machine_cpu() -> tuple[int, int, int]:
    """(busy, stolen, total) jiffies over all CPUs, from /proc/stat's first line. Stolen is time a
    virtual machine's CPUs were ready but the hypervisor ran something else."""
    user, nice, system, idle, iowait, irq, softirq, steal = (
        int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9])
    busy = user + nice + system + irq + softirq
    return busy, steal, busy + steal + idle + iowait


async def busy_share(seconds: float = 1.0) -> tuple[float, float]:
    """How busy (and stolen) the machine is before we start: other jobs skew the figures."""
    before = machine_cpu()
    await asyncio.sleep(seconds)
    busy, stolen, total = (after - b for after, b in zip(machine_cpu(), before))
    return (busy / total, stolen / total) if total else (0.0, 0.0)


class ChildProcess:
    """`python <script> <args>` with stdin and stdout piped and stderr to a log file. The child
    prints `<ready> <value>` once it can be used; closing its stdin tells it to finish."""

    def __init__(self, script: str, args: list[str], log_path: Path, name: str) -> None:
        self._args = [sys.executable, str(Path(script).resolve()), *args]
        self._log_path = log_path
        self._name = name
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self, ready: bytes) -> str:
        """Start it and return the value it announced."""
        self._log = open(self._log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = await asyncio.create_subprocess_exec(
            *self._args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=self._log,
            cwd=str(ROOT),
        )
        line = await asyncio.wait_for(self.proc.stdout.readline(), 60)
        if not line.startswith(ready + b" "):
            raise RuntimeError(f"{self._name} did not start; see {self._log_path}")
        return line.split()[1].decode()

    def cpu(self) -> float:
        return process_cpu(self.proc.pid)

    async def stop(self, farewell: bytes = b"") -> None:
        if self.proc is not None and self.proc.returncode is None:
            if farewell:
                self.proc.stdin.write(farewell)
                await self.proc.stdin.drain()
            self.proc.stdin.close()
            try:
                await asyncio.wait_for(self.proc.wait(), 30)
            except asyncio.TimeoutError:
                self.proc.kill()  # our own child, by its handle
                await self.proc.wait()
        self._log.close()
