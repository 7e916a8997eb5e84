"""Start real local services on free ports: a Mosquitto broker, a pty pair.

Used by the tests and by `heatwatch demo`; never binds a standard port.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mosquitto_binary() -> str | None:
    return shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if os.access("/usr/sbin/mosquitto", os.X_OK) else None
    )


@dataclass
class Mosquitto:
    """A private Mosquitto broker on 127.0.0.1:<free port>. ``stop()``/``start()``
    simulate an outage; the port stays the same across restarts."""

    port: int = field(default_factory=free_port)
    extra_config: str = ""
    proc: subprocess.Popen | None = None
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="hw-mosq-")))

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> "Mosquitto":
        binary = mosquitto_binary()
        if binary is None:
            raise RuntimeError("mosquitto is not installed (apt-get install mosquitto)")
        conf = self.workdir / "mosquitto.conf"
        conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
            f"max_queued_messages 100000\n{self.extra_config}\n"
        )
        self.proc = subprocess.Popen(
            [binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"mosquitto exited with {self.proc.returncode}")
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("mosquitto did not start listening in time")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


@dataclass
class PtyPair:
    """Two connected pseudo-terminals made by socat: a null-modem serial cable.

    ``a`` is the pump (server) end, ``b`` the agent (client) end.
    """

    a: str = ""
    b: str = ""
    proc: subprocess.Popen | None = None

    def start(self, timeout: float = 10.0) -> "PtyPair":
        socat = shutil.which("socat")
        if socat is None:
            raise RuntimeError("socat is not installed (apt-get install socat)")
        self.proc = subprocess.Popen(
            [socat, "-d", "-d", "pty,raw,echo=0", "pty,raw,echo=0"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        ptys: list[str] = []
        deadline = time.monotonic() + timeout
        assert self.proc.stderr is not None
        while len(ptys) < 2 and time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            m = re.search(r"PTY is (\S+)", line)
            if m:
                ptys.append(m.group(1))
        if len(ptys) < 2:
            self.stop()
            raise RuntimeError("socat did not report two ptys")
        self.a, self.b = ptys
        # keep draining socat's log so it never blocks on a full pipe
        self.proc.stderr.close()
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc = None
