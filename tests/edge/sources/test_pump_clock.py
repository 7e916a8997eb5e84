"""The controller clock registers: an accelerated simulated pump tells the agent its own time."""

from __future__ import annotations

import asyncio

import numpy as np

from heatwatch.edge.sources.modbus_source import ModbusSource
from heatwatch.registers import RegisterMap
from tests.support.modbus import ServerThread, healthy_row


def test_clock_round_trips_through_the_register_block():
    rmap = RegisterMap.load()
    assert rmap.clock_address is not None
    words = rmap.encode({"t_flow": 35.0}, clock=1_795_000_123.0)
    assert rmap.decode_clock(words) == 1_795_000_123.0
    assert rmap.decode(words)["t_flow"] == 35.0
    assert rmap.decode_clock(rmap.encode({})) is None  # clock not set: the agent uses its own


def test_modbus_source_stamps_readings_with_the_pump_clock(pty_pair):
    sim_ts = 1_798_761_600.0  # 2027-01-01, far from the wall clock
    with ServerThread(pty_pair.a, ["hp-000"]) as srv:
        async def apply() -> None:
            srv.server.set_row(np.array([healthy_row()]), sim_ts)

        asyncio.run_coroutine_threadsafe(apply(), srv.loop).result(5)
        src = ModbusSource("hp-000", pty_pair.b, poll_interval=0.05, use_pump_clock=True)
        src.open()
        try:
            reading = None
            for _ in range(20):
                reading = src.read()
                if reading is not None:
                    break
        finally:
            src.close()
    assert reading is not None and reading.ts == sim_ts
    assert abs(reading.get("t_flow") - 35.3) < 0.051
