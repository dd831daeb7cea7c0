"""`make run`: the bot in development mode plus the Microsoft 365 Agents Playground.

Starts both as child processes, waits for the bot to answer /healthz, prints the address to
open, and stops both cleanly on Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOT_PORT = int(os.environ.get("PEERSPACE_PORT", "3978"))
PLAYGROUND_PORT = int(os.environ.get("PLAYGROUND_PORT", "56150"))


def _playground_command() -> list[str]:
    bin_dir = ROOT / "node_modules" / ".bin"
    for name in ("agentsplayground", "teamsapptester"):
        candidate = bin_dir / name
        if candidate.exists():
            # Run the script with node directly: `npx` would leave extra processes behind.
            return ["node", str(candidate.resolve())]
    raise SystemExit("The Agents Playground is not installed: run `npm ci` (make run does this).")


def _wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("The bot stopped during start-up; see the messages above.")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"The bot did not answer {url} within {timeout:.0f} s.")


def _interrupt(_signum, _frame) -> None:
    raise KeyboardInterrupt


def main() -> int:
    # Explicit handlers: a process started in the background inherits SIGINT ignored, and
    # SIGTERM (from a process manager) should stop both children just as Ctrl-C does.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    env = {**os.environ, "PEERSPACE_DEV": "1"}
    # Children get sessions of their own: Ctrl-C reaches only this process, which then stops
    # each child once (a second SIGINT would cut the bot's graceful shutdown short).
    bot = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(BOT_PORT)], cwd=ROOT, env=env,
                           start_new_session=True)
    children = [bot]
    try:
        _wait_healthy(f"http://127.0.0.1:{BOT_PORT}/healthz", bot)
        playground_env = {
            **env,
            "TEAMSAPPTESTER_BROWSER": "none",
            "BOT_ENDPOINT": f"http://127.0.0.1:{BOT_PORT}/api/messages",
            "TEAMSAPPTESTER_PORT": str(PLAYGROUND_PORT),
        }
        playground = subprocess.Popen(
            [*_playground_command(), "start", "-e", f"http://127.0.0.1:{BOT_PORT}/api/messages",
             "-c", "msteams", "-p", str(PLAYGROUND_PORT), "--disable-telemetry"],
            cwd=ROOT, env=playground_env, start_new_session=True,
        )
        children.append(playground)
        print(f"\n  PeerSpace is running. Open http://127.0.0.1:{PLAYGROUND_PORT}/ in your browser to chat.\n"
              "  Press Ctrl-C to stop.\n", flush=True)
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGINT)
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()


if __name__ == "__main__":
    sys.exit(main())
