"""`heatwatch demo` as a newcomer runs it, headless (stdout piped: plain progress lines).

One run from pump to customer on Mosquitto: a ticket opens before its pump
trips, the customer's email arrives in the demo's SMTP mailbox and the
board's mailbox page shows it, the run ends on its own with a summary and
leaves no folder behind. One run on the embedded broker stopped by Ctrl-C.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from heatwatch.demo.services import free_port

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


def _start(*args: str) -> tuple[subprocess.Popen, Output]:
    proc = subprocess.Popen([*DEMO, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return proc, Output(proc)


@pytest.mark.timeout(180)  # a fresh clone compiles the agents' kernels first (kernel_warmup: 10-30 s)
def test_demo_opens_a_ticket_before_the_trip_and_the_customer_reads_the_email_on_the_board() -> None:
    port = free_port()
    proc, out = _start("--minutes", "0.9", "--pumps", "4", "--speed", "4000", "--port", str(port))
    try:
        work = Path(out.wait_for(r"^work folder: (\S+)", 60).group(1))
        board = out.wait_for(r"board on (http://127\.0\.0\.1:\d+)/board", 60).group(1)
        assert board.endswith(f":{port}")
        assert out.wait_for(r"dispatcher token: (hwt_\S+)", 5)
        assert (work / "mosquitto").is_dir()  # Mosquitto's folder lives in the work folder
        lead = out.wait_for(r"(hp-\d{3}): tripped; ticket #(\d+) opened (.+) before the trip", 110)
        device = lead.group(1)
        email = out.wait_for(rf"{device}: ticket #{lead.group(2)} opened .*<(\S+@example\.com)>", 1).group(1)
        deadline = time.monotonic() + 30  # the notification worker polls every 5 s
        page = ""
        while time.monotonic() < deadline and f"to {email}" not in page:
            with urllib.request.urlopen(f"{board}/demo/mailbox", timeout=10) as answer:
                page = answer.read().decode()
            time.sleep(1)
        assert f"to {email}" in page, page[-3000:]
        text = out.finish(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, text[-3000:]
    assert "Traceback" not in text
    assert re.search(r"^\[\s*\d+ s\] pump time .* tickets \d+", text, re.M), "no plain progress lines when piped"
    summary = text[text.index("Summary"):]
    before = re.search(r"opened before trip: (\d+) of (\d+) tripped pumps", summary)
    assert before and int(before.group(1)) >= 1, summary
    sent = re.search(r"emails sent: (\d+) \(in the mailbox: (\d+)", summary)
    assert sent and int(sent.group(1)) >= 1 and sent.group(1) == sent.group(2), summary
    assert not work.exists(), f"{work} left behind"


@pytest.mark.timeout(90)
def test_demo_on_the_embedded_broker_stops_cleanly_on_ctrl_c_and_leaves_nothing_behind() -> None:
    proc, out = _start("--minutes", "5", "--pumps", "3", "--broker", "embedded", "--speed", "3000")
    try:
        work = Path(out.wait_for(r"^work folder: (\S+)", 60).group(1))
        out.wait_for(r"^simulator:", 60)
        out.wait_for(r"^\[\s*\d+ s\] pump time .*findings", 30)  # piped: plain progress lines
        time.sleep(8)  # the agents read for a while (hp-000 over the serial line)
        proc.send_signal(signal.SIGINT)
        text = out.finish(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, text[-3000:]
    assert "Traceback" not in text
    assert "embedded amqtt" in text and "Modbus RTU" in text
    assert "stopping" in text
    summary = text[text.index("Summary"):]
    judged = re.search(r"pumps: 3 \(1 on Modbus RTU, 2 on MQTT\); (\d+\.\d) pump days judged", summary)
    assert judged and float(judged.group(1)) > 0.0, summary
    assert "no gateway in this run" in summary
    assert not work.exists(), f"{work} left behind"


def test_demo_refuses_a_scenario_it_cannot_read_with_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "fleet.yaml"
    bad.write_text("fleet: {size: 4}\nclimate: mars\nstart: 2025-01-10\nduration: 1d\n")
    for scenario, words in ((str(bad), "climate"), ("no_such_fleet", "no such file or built-in scenario")):
        done = subprocess.run([*DEMO, "--scenario", scenario, "--minutes", "1"], capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 2, done.stdout + done.stderr
        assert words in done.stdout and "Traceback" not in done.stdout + done.stderr
    done = subprocess.run([*DEMO, "--pumps", "0"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stdout + done.stderr


@pytest.mark.timeout(90)
def test_ctrl_c_while_the_demo_starts_stops_what_started_and_leaves_nothing_behind() -> None:
    proc, out = _start("--minutes", "5", "--pumps", "3", "--port", str(free_port()))
    try:
        work = Path(out.wait_for(r"^work folder: (\S+)", 60).group(1))
        out.wait_for(r"^broker: Mosquitto", 30)
        proc.send_signal(signal.SIGINT)  # while the gateway starts
        text = out.finish(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, text[-3000:]
    assert "Traceback" not in text
    assert not work.exists(), f"{work} left behind"
