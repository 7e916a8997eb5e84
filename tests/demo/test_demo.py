"""`heatwatch demo` as a newcomer runs it: the whole chain, then Ctrl-C stops it cleanly."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time

import pytest


@pytest.mark.timeout(120)
def test_demo_runs_the_chain_on_the_embedded_broker_and_stops_on_ctrl_c() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "heatwatch.cli", "demo", "--minutes", "5", "--broker", "embedded"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    assert proc.stdout is not None
    head = []
    for line in proc.stdout:  # broker, serial line, then the simulator is up
        head.append(line)
        if line.startswith("simulator:"):
            break
    time.sleep(20)  # four agents up, a few simulated hours through
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    out = "".join(head) + out
    assert proc.returncode == 0, out[-3000:]
    assert "Traceback" not in out
    assert "embedded amqtt" in out and "Modbus RTU" in out
    summary = out[out.index("What the agents saw"):]
    readings = dict(re.findall(r"(hp-\d{3}): (\d+) readings", summary))
    delivered = dict(re.findall(r"(hp-\d{3}):.*?\n\s+delivered to the broker: (\d+) telemetry", summary, re.S))
    assert set(readings) == {"hp-000", "hp-001", "hp-002", "hp-003"}
    assert all(int(n) > 100 for n in readings.values()), readings  # hp-000 over the serial line too
    assert all(int(n) > 0 for n in delivered.values()) and len(delivered) == 4, delivered
