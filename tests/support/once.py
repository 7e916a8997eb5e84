"""Expensive test data made once per test run, not once per xdist worker.

A session-scoped fixture is built in every worker that runs one of its files: with ``--dist loadfile``
the files using it may land on both workers and the data is made twice. ``once_per_run`` makes it in
the first worker to ask, under a lock, in the folder the run's workers share (pytest's base temp
folder's parent under xdist; the base temp folder itself otherwise), and the others wait and read it.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest


def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder this run's workers share (a fresh one per run)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def once_per_run(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]) -> Path:
    """The folder ``<run folder>/<name>``, filled by ``make(folder)`` by the first caller of the run; a
    failed ``make`` leaves no mark, so the next caller tries again (and fails the same way)."""
    root = run_folder(tmp_path_factory)
    folder, done = root / name, root / f"{name}.done"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # what a failed make left
            folder.mkdir()
            make(folder)
            done.touch()
    return folder
