"""`make run`'s launcher: bot and Agents Playground come up together and Ctrl-C stops both."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.e2e.test_e2e_playground import ROOT, free_port, require_tools

pytestmark = pytest.mark.e2e


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


def _children_of(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=,ppid=", "-e"], capture_output=True, text=True).stdout
    return [int(p) for p, pp in (line.split() for line in out.splitlines()) if int(pp) == pid]


def test_launcher_starts_both_and_ctrl_c_stops_both(tmp_path):
    require_tools()
    bot_port, playground_port = free_port(), free_port()
    env = {**os.environ, "PEERSPACE_PORT": str(bot_port), "PLAYGROUND_PORT": str(playground_port),
           "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/run.db", "MicrosoftAppId": ""}
    subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], cwd=ROOT, env={**env, "PEERSPACE_DEV": "1"},
                   check=True, capture_output=True, timeout=120)
    launcher = subprocess.Popen([sys.executable, "-m", "bot.devserver"], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not (
                _answers(f"http://127.0.0.1:{bot_port}/healthz") and _answers(f"http://127.0.0.1:{playground_port}/")):
            assert launcher.poll() is None, launcher.stdout.read()
            time.sleep(0.5)
        assert _answers(f"http://127.0.0.1:{playground_port}/"), "the Playground page did not come up"
        children = _children_of(launcher.pid)
        assert len(children) == 2, f"expected the bot and the Playground, found {children}"
        launcher.send_signal(signal.SIGINT)
        output, _ = launcher.communicate(timeout=30)
        assert f"http://127.0.0.1:{playground_port}/" in output, "the address to open is printed"
        assert "Traceback" not in output, output[-3000:]
        for child in children:
            with pytest.raises(ProcessLookupError):
                os.kill(child, 0)
    finally:
        if launcher.poll() is None:
            os.killpg(launcher.pid, signal.SIGKILL)
