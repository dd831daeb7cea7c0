"""The layer contracts in pyproject.toml ([tool.importlinter]) hold, checked by import-linter's
`lint-imports`, so an import across a layer, between two features or round a circle fails the suite."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

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


def test_a_storage_module_importing_the_edge_breaks_the_build(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / "storage" / "shortcut.py").write_text("from bot import logs  # noqa: F401\n")
    result = lint_imports(root)
    assert result.returncode != 0
    assert "storage is not allowed to import bot" in result.stdout
    assert "storage.shortcut -> bot.logs" in result.stdout


def test_a_feature_importing_another_feature_breaks_the_build(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    module = root / "dialogs" / "feedback" / "form.py"
    module.write_text(module.read_text() + "\nfrom dialogs.sessions import common  # noqa: E402,F401\n")
    result = lint_imports(root)
    assert result.returncode != 0
    assert "dialogs.feedback.form -> dialogs.sessions.common" in result.stdout


def test_an_import_circle_breaks_the_build(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    module = root / "dialogs" / "feedback" / "export.py"
    module.write_text(module.read_text() + "\nfrom dialogs.feedback import reports  # noqa: E402,F401\n")
    result = lint_imports(root)
    assert result.returncode != 0
    assert "No cycles are allowed in dialogs.feedback" in result.stdout
