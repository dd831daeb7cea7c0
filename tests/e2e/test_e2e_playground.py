"""Browser end-to-end tests: the real bot, the Microsoft 365 Agents Playground, headless Chromium.

Each test gets its own bot process (fresh migrated SQLite database, development mode) and its own
Playground, on free ports, then runs one Node scenario from tests/e2e/ against the page. A new
scenario is one more `tests/e2e/<name>.mjs` (built on tests/e2e/playground.mjs) and one more
test function calling `playground.run_scenario("<name>.mjs")`.

Without node, node_modules/playwright-core or /usr/bin/chromium the tests skip, unless
REQUIRE_E2E=1 (as in CI), where they fail and say how to install what is missing.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
E2E_DIR = ROOT / "tests" / "e2e"
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
REQUIRE_E2E = os.environ.get("REQUIRE_E2E") == "1"
# The scenario limits itself to 90 s; this outer limit only catches a wedged node process.
SCENARIO_TIMEOUT = 150
START_TIMEOUT = 60
LOG_TAIL_CHARS = 4000


def missing_tools() -> list[str]:
    """What the browser tests need but cannot find, each with how to install it."""
    missing = []
    if shutil.which("node") is None:
        missing.append("node (apt-get install nodejs npm)")
    if not (ROOT / "node_modules" / "playwright-core" / "package.json").exists():
        missing.append("node_modules/playwright-core (run `npm ci` in the repository root)")
    if _playground_script() is None:
        missing.append("node_modules/.bin/agentsplayground (run `npm ci` in the repository root)")
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    return missing


def require_tools() -> None:
    """Skip when the browser tools are missing; fail instead when REQUIRE_E2E=1."""
    missing = missing_tools()
    if not missing:
        return
    message = "browser end-to-end tests need: " + "; ".join(missing)
    if REQUIRE_E2E:
        pytest.fail(f"REQUIRE_E2E=1 but {message}", pytrace=False)
    pytest.skip(message)


def _playground_script() -> Path | None:
    bin_dir = ROOT / "node_modules" / ".bin"
    for name in ("agentsplayground", "teamsapptester"):
        if (bin_dir / name).exists():
            return (bin_dir / name).resolve()
    return None


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it, so parallel runs do not collide)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, chars: int = LOG_TAIL_CHARS) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return "(no output)"
    return text if len(text) <= chars else "..." + text[-chars:]


def _wait_http_ok(url: str, proc: subprocess.Popen, log: Path, what: str, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{what} exited with code {proc.returncode} during start-up:\n{_tail(log)}", pytrace=False)
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except (OSError, urllib.error.HTTPError):
            pass
        time.sleep(0.2)
    pytest.fail(f"{what} did not answer {url} within {timeout:.0f} s:\n{_tail(log)}", pytrace=False)


def _stop(proc: subprocess.Popen) -> None:
    """Stop a child started in its own session, with everything it spawned."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@dataclass
class PlaygroundRun:
    """A running bot + Playground pair, and the means to run one scenario against it."""

    url: str
    bot_log: Path
    playground_log: Path
    artifacts: Path
    # Other people's Playgrounds, by name: a scenario reads each as PLAYGROUND_URL_<NAME>.
    people: dict[str, str] = field(default_factory=dict)

    def run_scenario(self, script: str, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        """Run `node tests/e2e/<script>` against this Playground and assert it exits 0."""
        env = {**os.environ, "PLAYGROUND_URL": self.url, "E2E_ARTIFACTS": str(self.artifacts),
               "CHROMIUM_PATH": str(CHROMIUM),
               **{f"PLAYGROUND_URL_{who.upper()}": url for who, url in self.people.items()}, **(extra_env or {})}
        # Its own session, so a timeout can stop node together with the Chromium it launched.
        proc = subprocess.Popen(["node", str(E2E_DIR / script)], cwd=ROOT, env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        try:
            stdout, stderr = proc.communicate(timeout=SCENARIO_TIMEOUT)
        except subprocess.TimeoutExpired:
            _stop(proc)
            stdout, stderr = proc.communicate()
            pytest.fail(f"{script} did not finish within {SCENARIO_TIMEOUT} s\n{self._report(stdout, stderr)}",
                        pytrace=False)
        result = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
        assert result.returncode == 0, (
            f"{script} failed with exit code {result.returncode}\n{self._report(stdout, stderr)}")
        return result

    def run_scenario_seeded(self, script: str, seed: Callable[[], None],
                            timeout: float = 120) -> subprocess.CompletedProcess:
        """Run a scenario that writes E2E_READY_FILE at the point where the test must change the
        database (`seed`), and waits for E2E_SEEDED_FILE before going on."""
        ready, seeded = self.bot_log.parent / f"{script}.ready", self.bot_log.parent / f"{script}.seeded"
        outcome: dict[str, Any] = {}

        def run() -> None:
            try:
                outcome["result"] = self.run_scenario(
                    script, {"E2E_READY_FILE": str(ready), "E2E_SEEDED_FILE": str(seeded)})
            except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread below
                outcome["error"] = exc

        worker = threading.Thread(target=run)
        worker.start()
        deadline = time.monotonic() + timeout
        while not ready.exists() and worker.is_alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        if ready.exists():
            seed()
            seeded.write_text("seeded")
        worker.join()
        if "error" in outcome:
            raise outcome["error"]
        return outcome["result"]

    def bot_errors(self) -> list[str]:
        """Lines the bot logged at ERROR level or as a traceback during the test."""
        text = self.bot_log.read_text(encoding="utf-8", errors="replace")
        return [line for line in text.splitlines() if " ERROR " in line or line.startswith("Traceback")]

    def _report(self, stdout: str, stderr: str) -> str:
        return (f"--- scenario stdout ---\n{stdout}\n--- scenario stderr ---\n{stderr}\n"
                f"--- bot log ({self.bot_log}) ---\n{_tail(self.bot_log)}\n"
                f"--- Playground log ({self.playground_log}) ---\n{_tail(self.playground_log, 1500)}")


@pytest.fixture
def playground(tmp_path: Path) -> Iterator[PlaygroundRun]:
    """The bot on a fresh migrated SQLite database plus the Playground, both on free ports.

    Function-scoped on purpose: the welcome card is sent once per conversation, and the
    Playground always uses the same conversation, so every scenario needs a fresh database.
    """
    with running_playgrounds(tmp_path) as run:
        yield run


def _free_ports(count: int) -> list[int]:
    ports: list[int] = []
    while len(ports) < count:  # each socket is closed at once, so a repeat can happen
        if (port := free_port()) not in ports:
            ports.append(port)
    return ports


@contextmanager
def running_playgrounds(tmp_path: Path, people: dict[str, Path] | None = None,
                        bot_settings: dict[str, str] | None = None) -> Iterator[PlaygroundRun]:
    """The bot (development mode, fresh migrated SQLite database) and the Playground as its default
    user, plus one more Playground for each of `people` (name -> Playground config file, its
    `currentUser` being that person), all against the same bot; everything stopped afterwards."""
    require_tools()
    people = people or {}
    bot_port, playground_port, *other_ports = _free_ports(2 + len(people))
    bot_env = {
        **os.environ,
        "PEERSPACE_DEV": "1",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'peerspace.db'}",
        "PEERSPACE_HOST": "127.0.0.1",
        "PEERSPACE_PORT": str(bot_port),
        # A developer's .env may hold real credentials; the Playground sends no token, so the
        # bot must run without an app id (environment variables win over .env).
        "MicrosoftAppId": "",
        "MicrosoftAppPassword": "",
        "PYTHONUNBUFFERED": "1",
        **(bot_settings or {}),
    }
    upgrade = subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], cwd=ROOT, env=bot_env,
                             capture_output=True, text=True, timeout=120)
    assert upgrade.returncode == 0, f"db upgrade failed:\n{upgrade.stdout}\n{upgrade.stderr}"

    children: list[subprocess.Popen] = []
    handles = []
    bot_log = tmp_path / "bot.log"

    def start(args: list[str], env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen:
        handles.append(out := log.open("w"))
        children.append(proc := subprocess.Popen(args, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                                 start_new_session=True))
        return proc

    endpoint = f"http://127.0.0.1:{bot_port}/api/messages"

    def start_playground(name: str, port: int, config: Path | None) -> str:
        env = {**os.environ, "TEAMSAPPTESTER_BROWSER": "none", "BOT_ENDPOINT": endpoint,
               "TEAMSAPPTESTER_PORT": str(port)}
        if config is not None:
            env["M365_AGENTS_PLAYGROUND_CONFIG_PATH"] = str(config)
        # Its own working folder: the Playground writes a devTools/ log folder there and reads
        # an optional .m365agentsplayground.yml, neither of which belongs to the repository.
        cwd = tmp_path / name
        cwd.mkdir()
        log = tmp_path / f"{name}.log"
        proc = start(["node", str(_playground_script()), "start", "-e", endpoint, "-c", "msteams", "-p", str(port),
                      "--disable-telemetry"], env, cwd, log)
        url = f"http://127.0.0.1:{port}/"
        _wait_http_ok(url, proc, log, f"the Agents Playground ({name})")
        return url

    try:
        bot = start([sys.executable, "-m", "bot", "serve", "--port", str(bot_port)], bot_env, ROOT, bot_log)
        _wait_http_ok(f"http://127.0.0.1:{bot_port}/healthz", bot, bot_log, "the bot")
        url = start_playground("playground", playground_port, None)
        others = {who: start_playground(f"playground-{who}", port, config)
                  for (who, config), port in zip(people.items(), other_ports)}
        artifacts = Path(os.environ.get("E2E_ARTIFACTS") or tmp_path / "artifacts")
        yield PlaygroundRun(url=url, bot_log=bot_log, playground_log=tmp_path / "playground.log",
                            artifacts=artifacts, people=others)
    finally:
        for child in reversed(children):
            _stop(child)
        for handle in handles:
            handle.close()


def test_welcome_menu_about_and_my_data(playground: PlaygroundRun) -> None:
    """Welcome card, "help" menu, About and privacy (menu row and welcome button), My data round."""
    result = playground.run_scenario("welcome_menu.mjs")
    assert "welcome_menu: passed" in result.stdout
    assert playground.bot_errors() == [], "the bot logged errors:\n" + "\n".join(playground.bot_errors())
