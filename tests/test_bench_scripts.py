"""Every benchmark script still starts: its imports resolve and it parses `--help` (bench/outbox.py
once imported a helper that had moved, and nothing noticed until it was run by hand)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted(p for p in (ROOT / "bench").glob("*.py") if "__main__" in p.read_text(encoding="utf-8"))


async def _help(script: Path) -> tuple[Path, int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(script), "--help", cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    return script, process.returncode or 0, output.decode(errors="replace")


async def test_every_benchmark_script_starts():
    assert len(SCRIPTS) >= 10, SCRIPTS
    failed = [(script.name, code, output[-800:]) for script, code, output in
              await asyncio.gather(*(_help(script) for script in SCRIPTS))
              if code != 0 or "usage:" not in output]
    assert failed == []
