"""`heatwatch demo` run as a newcomer runs it, its stdout piped: the process and its output, read by a
thread so a test can wait for a line. Shared by tests/demo/test_demo.py and test_demo_stop.py (two files, so
--dist loadfile runs the long ticket run and the stop runs on two workers)."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

DEMO = [sys.executable, "-m", "heatwatch.cli", "demo"]


class Output:
    """The demo's piped output, read by a thread so the test can wait for a line."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self._proc = proc
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            self.lines.append(line)

    def wait_for(self, pattern: str, timeout: float) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                m = re.search(pattern, line)
                if m:
                    return m
            if self._proc.poll() is not None and not self._thread.is_alive():
                break
            time.sleep(0.2)
        raise AssertionError(f"no line matching {pattern!r} in:\n{self.text[-4000:]}")

    def finish(self, timeout: float) -> str:
        self._proc.wait(timeout)
        self._thread.join(10)
        return self.text

    @property
    def text(self) -> str:
        return "".join(self.lines)


def start_demo(*args: str) -> tuple[subprocess.Popen, Output]:
    """``heatwatch demo ARGS`` with stdout and stderr piped into one Output (what a newcomer's terminal shows)."""
    proc = subprocess.Popen([*DEMO, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return proc, Output(proc)


@contextmanager
def running_demo(*args: str) -> Iterator[tuple[subprocess.Popen, Output]]:
    """start_demo, and the demo killed if the test leaves before it ended (a failed wait): no stray demo holds a
    port or a work folder after a failed test."""
    proc, out = start_demo(*args)
    try:
        yield proc, out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
