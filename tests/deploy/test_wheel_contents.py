"""What `pip install heatwatch` puts on a machine: every package and data file of the repo's rooms.

An editable install reads the working tree, so a package left out of pyproject's list works in
development and in the tests and is missing only where a user installs the wheel (the gateway's
status page, its KPIs and its command line once were: the gateway would not start).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from tests.deploy.conftest import REPO, package_rooms


def _installed_path(prefix: str, room: str, path: Path) -> str:
    """The repo file's path inside the wheel: its room's folder read as its import prefix."""
    return "/".join([*prefix.split("."), *path.relative_to(REPO / room).parts])


def _shipped_sources() -> dict[str, Path]:
    """Every file of every room the wheel should carry: Python, templates, texts, scenarios, assets."""
    files = {}
    for prefix, room in package_rooms().items():
        for path in (REPO / room).rglob("*"):
            if not path.is_file() or "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            files[_installed_path(prefix, room, path)] = path
    return files


def test_the_wheel_carries_every_package_and_data_file_of_the_rooms(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = sorted(name for name in _shipped_sources() if name not in names)
    assert not missing, f"in the repo but not in the wheel (pyproject's packages / package-data): {missing}"


def test_setuptools_ships_the_data_folders_as_listed_packages(wheel):
    """Its fallback for data folders missing from `packages` warns that it will stop shipping them."""
    log = wheel.with_suffix(".log").read_text()
    assert "absent from the `packages` configuration" not in log, log[-3000:]
