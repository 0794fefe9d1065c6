"""The rooms' one-way dependencies (docs/architecture.md) hold: the import contracts in
pyproject.toml are kept, and every question a lower room asks (its hooks.py) is answered."""
import importlib
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import app as package
from app.hooks import Hook

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_import_contracts_are_kept():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    if lint is None:
        pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
    result = subprocess.run([lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_hook_is_provided_once_the_app_is_made(app):
    hooks = []
    for room in pkgutil.iter_modules(package.__path__):
        if room.ispkg and (Path(package.__path__[0]) / room.name / "hooks.py").exists():
            module = importlib.import_module(f"app.{room.name}.hooks")
            hooks += [value for value in vars(module).values() if isinstance(value, Hook)]
    assert len(hooks) >= 7
    assert [hook.name for hook in hooks if hook._function is None] == []
