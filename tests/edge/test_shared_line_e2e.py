"""Several pumps on one RS-485 line, as an installer wires them: `heatwatch sim run` serves two
pumps in a real pump's register map (Midea M-thermal) on one pty, and one `heatwatch edge run`
with three configs watches them and a third slave that never answers. The live pumps' telemetry
flows; the dead slave is reported, not allowed to stall the line; each status says what that
pump's map cannot judge."""

from __future__ import annotations

import time
from pathlib import Path

from heatwatch.contract import Status, parse_agent_message
from tests.edge.test_agent_e2e import Gateway, Proc
from tests.support.mqtt import wait_for


def pump_toml(tmp_path: Path, broker_url: str, port: str, device: str, slave: int) -> Path:
    path = tmp_path / f"{device}.toml"
    path.write_text(f"""
[device]
id = "{device}"

[source]
kind = "modbus"
port = "{port}"
baudrate = 115200
slave_id = {slave}
register_map = "midea_mthermal"
poll_interval = 0.1
timeout = 0.2
retries = 1

[broker]
url = "{broker_url}"
status_interval = 0.5

[outbox]
path = "{tmp_path / (device + '.db')}"

[telemetry]
interval = 2
""")
    return path


def parsed(gw: Gateway, stream: str) -> list:
    """Every pump's messages of ``stream`` (Gateway.parsed keeps the one-pump tests' device only)."""
    return [parse_agent_message(m.topic, m.payload) for m in gw.messages() if m.topic.endswith("/" + stream)]


def latest_status(gw: Gateway, device: str) -> Status | None:
    for st in reversed(parsed(gw, "status")):
        if st.device == device and st.counters is not None:
            return st
    return None


def test_two_pumps_and_a_dead_slave_on_one_line_in_one_agent_process(broker, pty_pair, tmp_path):
    scen = tmp_path / "two.yaml"
    scen.write_text("name: two\nfleet:\n  size: 2\nclimate: stockholm\nstart: 2025-01-10\nduration: 6h\n"
                    "step: 60s\nseed: 3\nrefrigerant: R32\n")
    gw = Gateway(broker.port)
    sim = Proc(["sim", "run", str(scen), "--serial", pty_pair.a, "--baud", "115200", "--speed", "60",
                "--minutes", "2", "--register-map", "midea_mthermal"], tmp_path / "sim.log")
    sim.wait_for_line("Modbus RTU on", 30)
    configs = [pump_toml(tmp_path, broker.url, pty_pair.b, d, s) for d, s in
               (("hp-000", 1), ("hp-001", 2), ("hp-dead", 9))]
    agent = Proc(["edge", "run", *[a for c in configs for a in ("--config", str(c))]], tmp_path / "agent.log")
    try:
        def flowing() -> bool:
            tel = parsed(gw, "telemetry")
            dead = latest_status(gw, "hp-dead")
            return (sum(t.device == "hp-000" for t in tel) >= 3 and sum(t.device == "hp-001" for t in tel) >= 3
                    and dead is not None and dead.counters["source"].get("slave_silent", 0) >= 1)

        def seen() -> str:
            dead = latest_status(gw, "hp-dead")
            return (f"telemetry by device {[t.device for t in parsed(gw, 'telemetry')][-6:]}, "
                    f"dead status {None if dead is None else dead.counters.get('source')}")

        try:
            wait_for(flowing, 60, "telemetry from both pumps and the dead slave reported")
        except AssertionError:
            raise AssertionError(f"{seen()}\n{agent.text()[-3000:]}") from None
        assert agent.alive
    finally:
        rc = agent.stop()
        sim.stop()
        time.sleep(0.3)
        gw.close()
    assert rc == 0, agent.text()[-3000:]
    for device in ("hp-000", "hp-001"):
        st = latest_status(gw, device)
        assert st is not None
        src = st.counters["source"]
        assert src["reads_ok"] >= 10 and src["line_lost"] == 0 and src["crc_errors"] == 0, (device, src)
        cov = st.counters["coverage"]
        assert "condenser_fouling" in str(cov["not_judged"]) and cov["channels"] == 19
        # the Midea map has no valve opening: no sensor_dropout raised for channels it does not have
        assert not [e for e in parsed(gw, "event") if e.device == device and e.fault == "sensor_dropout"]
    tel = [t for t in parsed(gw, "telemetry") if t.device == "hp-001"]
    assert all(10.0 < t.channels["t_flow"].mean < 70.0 for t in tel if "t_flow" in t.channels)
    dead = latest_status(gw, "hp-dead").counters["source"]
    assert dead["reads_ok"] == 0 and dead["line_lost"] == 0
    assert "cannot judge" in agent.text() and "slave 9 silent" in agent.text()
