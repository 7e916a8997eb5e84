"""`heatwatch sim run` end to end, as an operator starts it: a subprocess serving the demo
scenario over a serial pty and over MQTT, read by the edge sources."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time

import numpy as np

from heatwatch.edge.sources.base import SourceRetryableError
from heatwatch.edge.sources.modbus_source import ModbusSource
from heatwatch.edge.sources.mqtt_source import MqttSource
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import load_scenario

HEATWATCH = [sys.executable, "-m", "heatwatch.cli"]


def sim_run(*args: str) -> subprocess.Popen:
    return subprocess.Popen([*HEATWATCH, "sim", "run", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_sim_run_serves_the_demo_fleet_over_serial_and_stops_on_ctrl_c(pty_pair):
    devices = Fleet(load_scenario("demo")).devices
    proc = sim_run("demo", "--serial", pty_pair.a, "--speed", "600")  # a 60 s row every 0.1 s
    readings = []
    try:
        with ModbusSource(devices[1], pty_pair.b, slave_id=2, poll_interval=0.2, timeout=0.5) as source:
            deadline = time.monotonic() + 15
            while len(readings) < 5 and time.monotonic() < deadline:
                try:
                    r = source.read()
                except SourceRetryableError:
                    continue
                if r is not None and not np.isnan(r.get("t_flow")):
                    readings.append(r)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert len(readings) == 5, err
    # a running heating pump: plausible flow temperature and pressures, from slave 2's block
    assert all(10.0 < r.get("t_flow") < 70.0 and r.get("p_high") > r.get("p_low") for r in readings)
    assert proc.returncode == 0, err
    assert "stopped:" in out and "pumps 4" in out and "modbus" in out
    assert "slave 2" in err


def test_sim_run_publishes_pump_state_over_mqtt(broker):
    devices = Fleet(load_scenario("demo")).devices
    source = MqttSource(devices[0], broker.url, read_timeout=5.0)
    source.open()
    proc = sim_run("demo", "--mqtt", broker.url, "--speed", "3000", "--minutes", "0.05")
    try:
        # the first reading waits for the simulator to start (a Python process importing numpy: seconds
        # on a loaded machine; one fresh-clone run under load saw none within 5 s), the rest come each 20 ms
        readings = [source.read(timeout=30.0 if k == 0 else 5.0) for k in range(20)]
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
        source.close()
    assert proc.returncode == 0, err
    assert all(r is not None for r in readings)
    ts = [r.ts for r in readings]
    assert np.allclose(np.diff(ts), 60.0)  # simulated time, one row per 60 s step, none lost
    assert source.counters["rejected_payloads"] == 0
    # the summary counts what went to the broker: at least what the source read, nothing dropped
    m = re.search(r"mqtt (up|DOWN) sent (\d+) dropped (\d+)", out)
    assert m, out
    assert int(m.group(2)) >= len(readings) and int(m.group(3)) == 0, m.group(0)


def test_sim_run_refuses_without_a_transport_and_names_a_bad_scenario():
    r = subprocess.run([*HEATWATCH, "sim", "run", "demo"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "--serial PORT and/or --mqtt" in r.stderr
    r = subprocess.run([*HEATWATCH, "sim", "run", "no-such-scenario", "--serial", "/dev/null"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "no-such-scenario" in r.stderr


def test_sim_run_serves_a_real_pump_map_over_modbus_tcp():
    from heatwatch.demo.services import free_port

    devices = Fleet(load_scenario("demo")).devices
    port = free_port()
    proc = sim_run("demo", "--tcp", f"127.0.0.1:{port}", "--register-map", "nibe_vvm_s320", "--speed", "600")
    readings = []
    try:
        source = ModbusSource(devices[0], transport="tcp", host="127.0.0.1", tcp_port=port,
                              register_map="nibe_vvm_s320", poll_interval=0.2, timeout=0.5)
        deadline = time.monotonic() + 20
        while len(readings) < 3 and time.monotonic() < deadline:
            try:
                r = source.read()
            except SourceRetryableError:
                time.sleep(0.1)
                continue
            if r is not None and not np.isnan(r.get("t_flow")):
                readings.append(r)
        source.close()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert len(readings) == 3, err
    assert all(10.0 < r.get("t_flow") < 70.0 and np.isnan(r.get("power_w")) for r in readings)  # NIBE: no power
    assert "Modbus TCP on 127.0.0.1" in err and "map nibe_vvm_s320" in err


def test_sim_run_refuses_an_unknown_register_map_and_a_bad_tcp_address():
    for args, said in ((["--tcp", "127.0.0.1:1502", "--register-map", "nope"], "register map 'nope' not found"),
                       (["--tcp", "localhost"], "expected HOST:PORT")):
        proc = subprocess.run([*HEATWATCH, "sim", "run", "demo", *args], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2 and said in proc.stderr, proc.stderr
