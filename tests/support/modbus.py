"""A simulated pump on a real serial line, and a cable that can be made noisy or cut.

Shared by the Modbus source tests and the agent's end-to-end tests.
"""
from __future__ import annotations

import asyncio
import os
import random
import select
import shutil
import subprocess
import threading
import time
from pathlib import Path

import numpy as np

from heatwatch.channels import CHANNEL_NAMES, INDEX
from heatwatch.registers import RegisterMap
from heatwatch.sim.modbus_server import ModbusPumpServer

N = len(CHANNEL_NAMES)
RMAP = RegisterMap.load()


def healthy_row(shift: float = 0.0) -> np.ndarray:
    """A plausible pump state (values chosen off the register grid so quantization shows)."""
    v = {
        "t_outdoor": -3.04, "t_flow": 35.26, "t_return": 30.13, "t_dhw": 48.0, "t_indoor": 21.02,
        "t_discharge": 71.77, "t_suction": 1.31, "t_evap": -9.48, "t_cond": 38.9, "t_liquid": 34.4,
        "p_high": 23.456, "p_low": 5.834, "compressor_hz": 58.4, "compressor_a": 6.33, "power_w": 1910.6,
        "flow_lpm": 18.44, "fan_rpm": 611.0, "eev_pct": 34.56, "defrost": 0.0, "mode": 1.0, "error_code": 0.0,
    }
    row = np.array([v[name] for name in CHANNEL_NAMES])
    row[INDEX["t_flow"]] += shift
    return row


def quantized(row: np.ndarray) -> np.ndarray:
    """What the agent must see: the row through the shared register map."""
    decoded = RMAP.decode(RMAP.encode({n: float(x) for n, x in zip(CHANNEL_NAMES, row)}))
    return np.array([decoded[n] for n in CHANNEL_NAMES])


class ServerThread:
    """The simulator's Modbus slave in its own event loop thread (as `sim run` runs it)."""

    def __init__(self, port: str, devices: list[str], register_map: RegisterMap | None = None,
                 tcp: tuple[str, int] | None = None) -> None:
        self.server = ModbusPumpServer(port, devices, register_map, tcp=tcp)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> "ServerThread":
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(10)
        return self

    def set_row(self, rows: np.ndarray) -> None:
        async def apply() -> None:
            self.server.set_row(rows)

        asyncio.run_coroutine_threadsafe(apply(), self.loop).result(5)

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


class NoisyLine:
    """A serial cable between the pump's pty pair and the agent's, made of a forwarding thread.

    It can corrupt the next replies (one byte flipped: a CRC error), put noise
    on the line (garbage bytes toward the agent), and be cut and reconnected
    (the agent-side pty disappears and comes back under the same path, as a
    USB adapter does when unplugged and plugged in again).
    """

    def __init__(self, pump_end: str, workdir: Path) -> None:
        self.pump_end = pump_end
        self.proxy_link = str(workdir / "proxy")
        self.agent_link = str(workdir / "agent")
        self.socat: subprocess.Popen | None = None
        self.corrupt_next = 0
        self.noise_before_next = 0
        self.forwarded_replies = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def plug(self) -> None:
        self.socat = subprocess.Popen(
            [shutil.which("socat") or "socat", "pty,raw,echo=0,link=" + self.proxy_link, "pty,raw,echo=0,link=" + self.agent_link],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 5
        while not (os.path.exists(self.proxy_link) and os.path.exists(self.agent_link)):
            assert time.monotonic() < deadline, "socat did not create the agent-side ptys"
            time.sleep(0.01)

    def unplug(self) -> None:
        if self.socat and self.socat.poll() is None:
            self.socat.terminate()
            self.socat.wait(5)
        for link in (self.proxy_link, self.agent_link):
            if os.path.lexists(link):
                os.unlink(link)

    def start(self) -> "NoisyLine":
        self.plug()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.unplug()

    def noise(self, data: bytes) -> None:
        """Write garbage toward the agent now (noise on an idle line)."""
        with self._lock:
            self._pending_noise = getattr(self, "_pending_noise", b"") + data

    def _run(self) -> None:
        pump = os.open(self.pump_end, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        agent: int | None = None
        rng = random.Random(7)
        while not self._stop.is_set():
            if agent is None:
                try:
                    agent = os.open(self.proxy_link, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
                except OSError:
                    time.sleep(0.02)
                    continue
            with self._lock:
                noise, self._pending_noise = getattr(self, "_pending_noise", b""), b""
            try:
                if noise:
                    os.write(agent, noise)
                ready, _, _ = select.select([pump, agent], [], [], 0.02)
                if agent in ready:
                    request = os.read(agent, 4096)
                    if not request:  # hang-up: the far end of the agent's pty is gone
                        raise OSError("agent side hung up")
                    os.write(pump, request)  # requests pass unchanged
                if pump in ready:
                    reply = bytearray(os.read(pump, 4096))
                    with self._lock:
                        if self.corrupt_next and len(reply) > 6:
                            self.corrupt_next -= 1
                            reply[len(reply) // 2] ^= 0x5A
                        if self.noise_before_next:
                            self.noise_before_next -= 1
                            reply[:0] = bytes(rng.randrange(256) for _ in range(5))
                    self.forwarded_replies += 1
                    os.write(agent, bytes(reply))
            except OSError:  # the agent side was unplugged
                os.close(agent)
                agent = None
        os.close(pump)
        if agent is not None:
            os.close(agent)


