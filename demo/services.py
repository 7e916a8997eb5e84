"""Start real local services on free ports: a Mosquitto broker, a pty pair.

Used by the tests and by `heatwatch demo`; never binds a standard port.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _prctl():  # noqa: ANN202
    """libc's prctl, looked up here in the parent: a forked child must not load libraries."""
    if sys.platform != "linux":
        return None
    import ctypes

    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _prctl()
_PR_SET_PDEATHSIG = 1  # <sys/prctl.h>


def die_with_parent() -> None:
    """``preexec_fn`` for a child service: Linux sends it SIGTERM when the process that started it dies,
    even by SIGKILL (a test's timeout, an OOM kill), so no broker or gateway outlives its demo. A child
    that changes its user (Mosquitto started as root) loses the setting; elsewhere it is a no-op."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM)


def mosquitto_binary() -> str | None:
    return shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if os.access("/usr/sbin/mosquitto", os.X_OK) else None
    )


def terminate(proc: subprocess.Popen | None, timeout: float = 5.0) -> None:
    """Stop a child service: SIGTERM, then SIGKILL if it does not go within ``timeout``."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@dataclass
class Mosquitto:
    """A private Mosquitto broker on 127.0.0.1:<free port>. ``stop()``/``start()``
    simulate an outage; the port stays the same across restarts."""

    port: int = field(default_factory=free_port)
    extra_config: str = ""
    allow_anonymous: bool = True  # False: only users in a password_file given in extra_config
    proc: subprocess.Popen | None = None
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="hw-mosq-")))

    def __post_init__(self) -> None:
        # The config folder outlives stop() (a restart reuses it) but not the broker object:
        # without this every test's broker left a folder in /tmp.
        weakref.finalize(self, shutil.rmtree, self.workdir, ignore_errors=True)

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> "Mosquitto":
        binary = mosquitto_binary()
        if binary is None:
            raise RuntimeError("mosquitto is not installed (apt-get install mosquitto)")
        conf = self.workdir / "mosquitto.conf"
        conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous {str(self.allow_anonymous).lower()}\n"
            "persistence false\n"
            f"max_queued_messages 100000\n{self.extra_config}\n"
        )
        self.proc = subprocess.Popen(
            [binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
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
        terminate(self.proc)
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
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, preexec_fn=die_with_parent,
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
        terminate(self.proc)
        self.proc = None


_AMQTT_SCRIPT = """
import asyncio, logging, sys
logging.disable(logging.CRITICAL)
from amqtt.broker import Broker
async def main():
    b = Broker({"listeners": {"default": {"type": "tcp", "bind": "127.0.0.1:" + sys.argv[1]}},
                "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}}})
    await b.start()
    print("ready", flush=True)
    await asyncio.Event().wait()
asyncio.run(main())
"""


@dataclass
class EmbeddedBroker:
    """A pure-Python MQTT 3.1.1 broker (amqtt) in a child process, for machines
    without Mosquitto. Agents fall back from MQTT 5 to 3.1.1 against it."""

    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> "EmbeddedBroker":
        self.proc = subprocess.Popen([sys.executable, "-c", _AMQTT_SCRIPT, str(self.port)],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                     preexec_fn=die_with_parent)
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.stdout.readline().strip() == "ready":
                return self
            if self.proc.poll() is not None:
                break
        self.stop()
        raise RuntimeError("the embedded amqtt broker did not start")

    def stop(self) -> None:
        terminate(self.proc)
        self.proc = None
