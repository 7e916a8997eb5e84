"""The serving loop: rows paced at simulated time / speed, to Modbus and MQTT at once."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass

import numpy as np
import paho.mqtt.client as mqtt
import pytest

from heatwatch.edge.sources.modbus_source import ModbusSource
from heatwatch.sim.modbus_server import ModbusPumpServer
from heatwatch.sim.mqtt_publisher import PumpStatePublisher
from heatwatch.sim.serve_command import ServeStats, serve
from heatwatch.channels import CHANNEL_NAMES, INDEX
from heatwatch.contract import parse_pump_state

N = len(CHANNEL_NAMES)


@dataclass
class FakeBlock:
    """The shape of a Fleet chunk, made by hand: the loop must not care where rows come from."""

    ts: np.ndarray
    values: np.ndarray
    tripped: np.ndarray


def ramp_blocks(n_rows: int, devices: int, step: float = 10.0, per_block: int = 7):
    """t_flow of pump d at row k = 20 + k + 10 d; everything else a fixed healthy value."""
    base = np.full(N, 1.0)
    base[INDEX["power_w"]] = 2000.0
    for start in range(0, n_rows, per_block):
        k = np.arange(start, min(n_rows, start + per_block))
        values = np.broadcast_to(base, (len(k), devices, N)).copy()
        values[:, :, INDEX["t_flow"]] = 20.0 + k[:, None] + 10.0 * np.arange(devices)[None, :]
        tripped = np.zeros((len(k), devices), dtype=bool)
        tripped[k >= n_rows - 2, 0] = True
        yield FakeBlock(ts=1_700_000_000.0 + step * k, values=values, tripped=tripped)


def run_in_thread(coro_factory):
    """Run an async serving loop in its own thread; returns (thread, result holder, stop setter)."""
    result: dict = {}
    ready = threading.Event()

    def main() -> None:
        async def go() -> None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            result["stop"] = lambda: loop.call_soon_threadsafe(stop.set)
            result["stats"] = await coro_factory(stop, ready)

        asyncio.run(go())

    t = threading.Thread(target=main, daemon=True)
    t.start()
    return t, result, ready


def test_rows_are_paced_by_speed_and_published_in_order(broker):
    got: list = []
    sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    sub.on_message = lambda c, u, m: got.append(parse_pump_state(m.payload, m.topic))
    sub.connect("127.0.0.1", broker.port)
    sub.subscribe("pumps/+/state", qos=1)
    sub.loop_start()
    time.sleep(0.3)
    pub = PumpStatePublisher(broker.url, ["hp-1", "hp-2"])
    pub.connect()

    async def go(stop, ready):
        stats = ServeStats(devices=["hp-1", "hp-2"], speed=200.0, mqtt=pub)  # 10 s rows -> one per 50 ms
        ready.set()
        return await serve(ramp_blocks(21, 2), stats, stop)

    t0 = time.monotonic()
    thread, result, _ = run_in_thread(go)
    thread.join(20)
    elapsed = time.monotonic() - t0
    pub.close()
    deadline = time.monotonic() + 5
    while len(got) < 42 and time.monotonic() < deadline:
        time.sleep(0.02)
    sub.loop_stop()
    sub.disconnect()
    stats = result["stats"]
    assert stats.finished and stats.rows == 21 and stats.tripped == 1
    assert 0.95 <= elapsed < 2.5  # 20 intervals of 50 ms, not as fast as possible
    hp2 = [s for s in got if s.device == "hp-2"]
    assert [s.values["t_flow"] for s in hp2] == [30.0 + k for k in range(21)]
    assert [s.ts for s in hp2] == sorted(s.ts for s in hp2)


def test_modbus_slave_answers_the_latest_row_while_serving(pty_pair):
    server = ModbusPumpServer(pty_pair.a, ["hp-1", "hp-2"])

    async def go(stop, ready):
        await server.start()
        stats = ServeStats(devices=server.devices, speed=50.0, modbus=server)  # a row every 0.2 s
        ready.set()
        try:
            return await serve(ramp_blocks(15, 2), stats, stop, wall_limit=30)
        finally:
            await server.stop()

    thread, result, ready = run_in_thread(go)
    assert ready.wait(10)
    seen = []
    with ModbusSource("hp-2", pty_pair.b, slave_id=2, poll_interval=0.05, timeout=0.5) as source:
        deadline = time.monotonic() + 10
        while thread.is_alive() and time.monotonic() < deadline:
            try:
                r = source.read()
            except Exception:  # the loop ended and closed the line under us
                break
            if r is not None and not np.isnan(r.get("t_flow")):
                seen.append(r.get("t_flow"))
    thread.join(10)
    assert result["stats"].finished
    # the agent saw the rows advance, never backwards, all from pump 2's register block
    assert len(set(seen)) >= 8
    assert seen == sorted(seen)
    assert all(30.0 <= v <= 44.0 for v in seen)


def test_wall_limit_and_stop_end_the_loop_cleanly():
    async def go(stop, ready):
        stats = ServeStats(devices=["hp-1"], speed=1.0)  # a row every 10 s: the limit comes first
        ready.set()
        return await serve(ramp_blocks(100, 1), stats, stop, wall_limit=0.5)

    t0 = time.monotonic()
    thread, result, _ = run_in_thread(go)
    thread.join(10)
    assert 0.45 <= time.monotonic() - t0 < 2.0
    assert result["stats"].rows == 1 and not result["stats"].finished

    async def go_forever(stop, ready):
        stats = ServeStats(devices=["hp-1"], speed=1.0)
        ready.set()
        return await serve(ramp_blocks(100, 1), stats, stop)

    thread, result, ready = run_in_thread(go_forever)
    assert ready.wait(5)
    time.sleep(0.2)
    t0 = time.monotonic()
    result["stop"]()
    thread.join(5)
    assert not thread.is_alive() and time.monotonic() - t0 < 1.0
    assert result["stats"].rows == 1


def test_status_line_reads_like_an_operator_would_want():
    stats = ServeStats(devices=["a", "b"], speed=60.0, rows=5, sim_ts=1_700_000_000.0, sim_start=1_699_999_700.0, tripped=1)
    line = stats.line()
    assert "sim 2023-11-14 22:13:20" in line and "speed 60x" in line and "pumps 2 (tripped 1)" in line
    with pytest.raises(ValueError, match="row shape"):
        ModbusPumpServer("/dev/null", ["a"]).set_row(np.zeros((2, N)))
