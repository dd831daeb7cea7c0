"""The code type-checks under mypy ([tool.mypy] in pyproject.toml), so the suite (and CI with it)
fails on a type error in bot/, dialogs/, scheduler/ or storage/: in particular what a feature is
handed in `install(ctx)` is typed, so a feature misusing delivery, the scheduler or the router is
caught before it runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".mypy_cache"  # gitignored; a warm cache makes a re-run take seconds


def mypy(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(CACHE), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def whole_code() -> subprocess.CompletedProcess[str]:
    return mypy()  # the files listed in [tool.mypy]


def test_the_code_type_checks(whole_code: subprocess.CompletedProcess[str]) -> None:
    assert whole_code.returncode == 0, whole_code.stdout + whole_code.stderr
    assert "Success: no issues found" in whole_code.stdout


FEATURE = """
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession
from botbuilder.schema import Activity
from dialogs.shared.registry import FeatureContext
from storage.outbox import ClaimedMessage
from storage.roles import NotPermitted, Role


async def render(session: AsyncSession, message: ClaimedMessage) -> Activity | None:
    return None


async def tick() -> None:
    pass


async def handle(request: web.Request) -> web.Response:
    return web.Response()


def install(ctx: FeatureContext) -> None:
    ctx.delivery.register("example.kind", render)
    ctx.scheduler.every("example.tick", 60, tick)
    ctx.router.add_get("/example", handle)
    ctx.services.content.text("example.key")
    ctx.clock.now()
    raise NotPermitted((Role.ADMIN,))
"""


MISTAKES = {  # name: (what the sound feature says, what the mistaken one says, what mypy reports)
    "renderer-of-wrong-shape": ('register("example.kind", render)', 'register("example.kind", tick)',
                                'Argument 2 to "register"'),
    "job-of-wrong-shape": ('every("example.tick", 60, tick)', 'every("example.tick", 60, render)',
                           'Argument 3 to "every"'),
    "router-typo": ("ctx.router.add_get(", "ctx.router.add_gett(", 'has no attribute "add_gett"'),
    "handler-of-wrong-shape": ('add_get("/example", handle)', 'add_get("/example", tick)', 'Argument 2 to "add_get"'),
    "services-typo": ("ctx.services.content.text(", "ctx.services.content.txt(", 'has no attribute "txt"'),
    "clock-misuse": ("ctx.clock.now()", "ctx.clock.now() + 1", "Unsupported operand types"),
    "roles-as-text": ("NotPermitted((Role.ADMIN,))", 'NotPermitted("admin")', 'Argument 1 to "NotPermitted"'),
}


@pytest.fixture(scope="module")
def snippets(whole_code: subprocess.CompletedProcess[str], tmp_path_factory: pytest.TempPathFactory) -> str:
    """One mypy run over the sound feature and one copy per mistake (after the whole code, so the
    cache is warm); mypy's report names each file."""
    folder = tmp_path_factory.mktemp("features")
    (folder / "sound.py").write_text(FEATURE)
    for name, (right, wrong, _) in MISTAKES.items():
        assert FEATURE.count(right) == 1
        (folder / f"{name.replace('-', '_')}.py").write_text(FEATURE.replace(right, wrong))
    result = mypy(*sorted(str(p) for p in folder.glob("*.py")))
    return result.stdout + result.stderr


def _errors(report: str, module: str) -> list[str]:
    return [line for line in report.splitlines() if f"/{module}.py:" in line and ": error:" in line]


def test_a_sound_feature_passes_the_check(snippets: str) -> None:
    assert "error: Cannot find" not in snippets and "No module named" not in snippets, snippets
    assert _errors(snippets, "sound") == [], snippets


@pytest.mark.parametrize("name", list(MISTAKES))
def test_a_feature_misusing_its_context_fails_the_check(snippets: str, name: str) -> None:
    errors = _errors(snippets, name.replace("-", "_"))
    assert len(errors) == 1, snippets
    assert MISTAKES[name][2] in errors[0]
