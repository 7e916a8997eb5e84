"""The demo's gateway: its settings, its seeded database, its process and its board's address.

Settings made for a simulated clock that runs thousands of times faster than
the wall's: telemetry compaction, quiet hours, the daily cap and the SLA
clock all count wall time, so the demo gives customers no quiet hours, lifts
the daily cap, runs the sweeps every few seconds, and points the email
channel at the local SMTP mailbox. What the demo changes is written out in
``gateway.toml`` in its work folder.
"""

from __future__ import annotations

import json
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from heatwatch.demo.mailbox import SmtpMailbox
from heatwatch.demo.services import die_with_parent, free_port, terminate

BOARD_PORT = 8000


def board_port(first: int = BOARD_PORT, tries: int = 100) -> int:
    """``first`` when it is free on 127.0.0.1, else the next free one."""
    for port in range(first, first + tries):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    return free_port()


def gateway_toml(work: Path, broker_url: str, port: int, smtp: SmtpMailbox) -> str:
    return f"""# written by `heatwatch demo`: the gateway of the demo (docs/demo.md)
[database]
url = "sqlite:///{work / 'gateway.db'}"

[broker]
url = "{broker_url}"
client_id = "heatwatch-demo-gateway"
shared_group = ""          # one worker: a plain subscription

[api]
host = "127.0.0.1"
port = {port}

[sweeps]
every_s = 5.0              # silent devices, priorities, the SLA clock: seconds, not a minute

[notifications]
status_base_url = "http://127.0.0.1:{port}"
status_link_secret = "{secrets.token_urlsafe(24)}"
company = "heatwatch demo service"
daily_cap = 1000           # pump days pass in wall seconds: no customer waits for tomorrow's digest
channels.email = "{smtp.apprise_url}"
"""


@dataclass
class DemoGateway:
    work: Path
    broker_url: str
    port: int
    smtp_port: int
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.work / 'gateway.db'}"

    def write_settings(self) -> None:
        from heatwatch.demo.mailbox import Maildir

        smtp = SmtpMailbox(Maildir(self.work / "mailbox"), self.smtp_port)
        (self.work / "gateway.toml").write_text(gateway_toml(self.work, self.broker_url, self.port, smtp))
        (self.work / "gateway-host.json").write_text(json.dumps({"maildir": str(self.work / "mailbox"),
                                                                 "smtp_port": self.smtp_port}))

    def start(self, timeout: float = 60.0, cancel: threading.Event | None = None) -> DemoGateway:
        """Start the process and wait until /healthz answers (or ``cancel`` is set: Ctrl-C)."""
        log = open(self.work / "gateway.out", "w")
        self.proc = subprocess.Popen([sys.executable, "-m", "heatwatch.demo.gateway_host", str(self.work)],
                                     stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                     preexec_fn=die_with_parent)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if cancel is not None and cancel.is_set():
                return self  # the caller stops it
            if self.proc.poll() is not None:
                tail = (self.work / "gateway.out").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"the demo gateway exited with {self.proc.returncode}:\n{tail}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.3)
        raise RuntimeError(f"the demo gateway did not answer on {self.url} within {timeout:.0f} s")

    def stop(self) -> None:
        terminate(self.proc, timeout=20)
        self.proc = None
