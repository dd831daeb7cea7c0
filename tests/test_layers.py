"""The layer contracts in pyproject.toml ([tool.importlinter]) hold, checked by import-linter's
`lint-imports`, so an import across a layer, between two features or round a circle fails the suite."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
PACKAGES = ("bot", "dialogs", "scheduler", "storage")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_the_code_keeps_every_layer_contract() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _copy(tmp_path: Path) -> Path:
    for name in PACKAGES:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


@pytest.mark.parametrize("module, line, expected", [
    ("storage/shortcut.py", "from bot import logs", "storage.shortcut -> bot.logs"),  # a layer skipped upwards
    ("dialogs/feedback/form.py", "from dialogs.sessions import common", "dialogs.feedback.form -> dialogs.sessions.common"),
    ("dialogs/feedback/export.py", "from dialogs.feedback import reports", "No cycles are allowed in dialogs.feedback"),
], ids=["storage-imports-the-edge", "feature-imports-a-feature", "circle"])
def test_an_injected_violation_breaks_the_build(tmp_path: Path, module: str, line: str, expected: str) -> None:
    root = _copy(tmp_path)
    path = root / module
    before = path.read_text() if path.exists() else ""
    path.write_text(before + f"\n{line}  # noqa: E402,F401\n")
    result = lint_imports(root)
    assert result.returncode != 0
    assert expected in result.stdout
