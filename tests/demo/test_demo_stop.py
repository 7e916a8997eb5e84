"""`heatwatch demo` stopped and refused, headless (stdout piped: plain progress lines).

One run on the embedded broker stopped by Ctrl-C, one stopped while it starts,
and the arguments it refuses; the run from pump to customer is in test_demo.py.
"""

from __future__ import annotations

import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from heatwatch.demo.services import free_port
from tests.support.demo_run import DEMO, running_demo


@pytest.mark.timeout(90)
def test_demo_on_the_embedded_broker_stops_cleanly_on_ctrl_c_and_leaves_nothing_behind() -> None:
    with running_demo("--minutes", "5", "--pumps", "3", "--broker", "embedded", "--speed", "3000") as (proc, out):
        work = Path(out.wait_for(r"^work folder: (\S+)", 60).group(1))
        out.wait_for(r"^simulator:", 60)
        out.wait_for(r"^\[\s*\d+ s\] pump time .*findings", 30)  # piped: plain progress lines
        time.sleep(8)  # the agents read for a while (hp-000 over the serial line)
        proc.send_signal(signal.SIGINT)
        text = out.finish(timeout=60)
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
    with running_demo("--minutes", "5", "--pumps", "3", "--port", str(free_port())) as (proc, out):
        work = Path(out.wait_for(r"^work folder: (\S+)", 60).group(1))
        out.wait_for(r"^broker: Mosquitto", 30)
        proc.send_signal(signal.SIGINT)  # while the gateway starts
        text = out.finish(timeout=60)
    assert proc.returncode == 0, text[-3000:]
    assert "Traceback" not in text
    assert not work.exists(), f"{work} left behind"
