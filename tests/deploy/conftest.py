"""The package as a user installs it: one wheel, built once per test run from the rooms pyproject names."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.support.once import once_per_run

REPO = Path(__file__).resolve().parents[2]


def package_rooms() -> dict[str, str]:
    """pyproject's package-dir: import prefix (heatwatch.gateway) -> the repo's folder for it (gateway)."""
    return tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]


def _build_wheel(out: Path) -> None:
    """pip wheel of a copy of what the package is made of (the tree gets no build/) into ``out``."""
    src = out / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    for room in package_rooms().values():  # every room pyproject names: a new room cannot be forgotten here
        shutil.copytree(REPO / room, src / room, ignore=shutil.ignore_patterns("__pycache__"))
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(out), str(src)],
                          check=True, capture_output=True, text=True, timeout=300)
    shutil.rmtree(src)
    (whl,) = out.glob("heatwatch-*.whl")
    whl.with_suffix(".log").write_text(done.stdout + done.stderr)  # setuptools' warnings, for the contents test


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    """heatwatch as a wheel (the install script and the wheel's contents test read it; no dependencies: no PyPI
    here), built once per run (tests/support/once.py: ~6 s of pip, twice when the two files went to two workers)."""
    (whl,) = once_per_run(tmp_path_factory, "wheel", _build_wheel).glob("heatwatch-*.whl")
    return whl
