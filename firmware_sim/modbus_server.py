"""The simulated pumps' Modbus RTU slave: one serial line, one slave id per pump.

A real RS-485 bus carries several controllers, each answering only its own
slave id; here pump ``i`` of the fleet (0-based) answers as slave ``i + 1``.
Each slave holds the register block of the shared register map
(``heatwatch.registers``), so the agent decodes exactly what the simulator
encoded, with the same quantization and sentinels.

Built on pymodbus 3.16's ``SimDevice``/``SimData`` datastore (the
``ModbusServerContext``/``ModbusSequentialDataBlock`` API is deprecated for
v4). With ``SimData`` wire address 100 is register 100, no +1 offset. Live
values enter through the device ``action`` hook, which pymodbus calls on every
access: it copies the slave's latest encoded row into the registers before the
answer is built, so each row set with :meth:`ModbusPumpServer.set_row` is what
the slave answers from then on. Writes are refused (the registers are
read-only sensor values).
"""

from __future__ import annotations

import asyncio
import functools
import math
from typing import Sequence

import numpy as np
from pymodbus import FramerType
from pymodbus.constants import ExcCodes
from pymodbus.exceptions import NoSuchIdException
from pymodbus.server import ModbusSerialServer
from pymodbus.simulator import DataType, SimData, SimDevice
from pymodbus.simulator.simcore import SimCore

from heatwatch.channels import CHANNEL_NAMES, INDEX
from heatwatch.registers import RegisterMap

DEFAULT_BAUDRATE = 9600
READ_FUNCTION_CODES = frozenset({3, 4})


class ModbusServerError(RuntimeError):
    """The Modbus slave could not start (port missing, bad configuration)."""


class _Bus(SimCore):
    """SimCore that stays silent for slave ids nobody holds, as a real RS-485 bus does.

    pymodbus' SimCore falls back to a catch-all device 0 and fails with a
    KeyError (answered as DEVICE_FAILURE) when there is none; raising
    NoSuchIdException lets the server's ``ignore_missing_devices`` drop the
    request, so a master polling a wrong id sees a timeout, not a reply.
    """

    async def async_getValues(self, device_id: int, func_code: int, address: int, count: int = 1):  # noqa: N802
        if device_id not in self.devices:
            raise NoSuchIdException(f"no slave {device_id} on this line")
        return await super().async_getValues(device_id, func_code, address, count)

    async def async_setValues(self, device_id: int, func_code: int, address: int, values):  # noqa: N802
        if device_id not in self.devices:
            raise NoSuchIdException(f"no slave {device_id} on this line")
        return await super().async_setValues(device_id, func_code, address, values)


class ModbusPumpServer:
    """Serve ``devices`` as Modbus RTU slaves 1..n on one serial port.

    Call :meth:`set_row` (or :meth:`set_values`) from the event loop that runs
    the server; the next request for a slave is answered from its latest row.
    """

    def __init__(
        self,
        port: str,
        devices: Sequence[str],
        register_map: RegisterMap | None = None,
        *,
        baudrate: int = DEFAULT_BAUDRATE,
        parity: str = "N",
        bytesize: int = 8,
        stopbits: int = 1,
    ) -> None:
        if not devices:
            raise ModbusServerError("no devices to serve")
        if len(devices) > 247:
            raise ModbusServerError(f"{len(devices)} pumps on one line; Modbus allows slave ids 1..247")
        self.port = port
        self.devices = list(devices)
        self.rmap = register_map or RegisterMap.load()
        self.serial = dict(baudrate=baudrate, parity=parity, bytesize=bytesize, stopbits=stopbits)
        # per slave: the block it answers with; starts as all sentinels ("no value yet")
        self._words: list[list[int]] = [self.rmap.encode({}) for _ in self.devices]
        # channel index in CHANNEL_NAMES for each register of the block
        self._columns = [INDEX[r.channel] for r in self.rmap.registers]
        self.counters: dict[str, int] = {"requests": 0, "rejected_writes": 0, "rows": 0}
        self.requests_by_slave: dict[int, int] = {i + 1: 0 for i in range(len(self.devices))}
        self._server: ModbusSerialServer | None = None

    def slave_id(self, device: str) -> int:
        """The slave id that ``device`` answers on (1-based position in the fleet)."""
        return self.devices.index(device) + 1

    def set_row(self, values: np.ndarray, ts: float | None = None) -> None:
        """One row of the fleet, shape (n_devices, n_channels) in CHANNEL_NAMES order.

        NaN (a dropout) is served as the register's sentinel, like a controller
        reporting a missing sensor. ``ts`` (the simulated time) sets the
        controller clock registers, so an agent reading an accelerated pump
        stamps readings with the pump's time.
        """
        values = np.asarray(values, dtype=np.float64)
        if values.shape != (len(self.devices), len(CHANNEL_NAMES)):
            raise ValueError(
                f"row shape {values.shape}, expected ({len(self.devices)}, {len(CHANNEL_NAMES)})"
            )
        for i in range(len(self.devices)):
            row = values[i]
            self._words[i] = self.rmap.encode(
                {reg.channel: float(row[col]) for reg, col in zip(self.rmap.registers, self._columns)}, clock=ts)
        self.counters["rows"] += 1

    def set_values(self, device: str, values: dict[str, float]) -> None:
        """Set one pump's channels by name (channels not given are served as sentinels)."""
        clean = {k: (math.nan if v is None else float(v)) for k, v in values.items()}
        self._words[self.slave_id(device) - 1] = self.rmap.encode(clean)

    def words(self, device: str) -> list[int]:
        """The register block ``device`` currently answers with (for tests and status)."""
        return list(self._words[self.slave_id(device) - 1])

    async def _on_access(
        self,
        index: int,
        function_code: int,
        start_address: int,
        address: int,
        count: int,
        registers: list[int],
        set_values: list[int] | list[bool] | None,
    ) -> ExcCodes | None:
        """pymodbus access hook: refresh the block from the latest row, refuse writes."""
        if set_values is not None or function_code not in READ_FUNCTION_CODES:
            self.counters["rejected_writes"] += 1
            return ExcCodes.ILLEGAL_FUNCTION
        words = self._words[index]
        registers[: len(words)] = words
        self.counters["requests"] += 1
        self.requests_by_slave[index + 1] += 1
        return None

    def _sim_devices(self) -> list[SimDevice]:
        return [
            SimDevice(
                id=i + 1,
                simdata=[
                    SimData(
                        address=self.rmap.start,
                        values=list(self._words[i]),
                        datatype=DataType.REGISTERS,
                    )
                ],
                action=functools.partial(self._on_access, i),
            )
            for i in range(len(self.devices))
        ]

    async def start(self) -> None:
        """Open the port and answer requests in the background of the running loop."""
        devices = self._sim_devices()
        self._server = ModbusSerialServer(
            devices,
            framer=FramerType.RTU,
            port=self.port,
            ignore_missing_devices=True,
            **self.serial,  # type: ignore[arg-type]
        )
        self._server.context = _Bus(devices)
        try:
            await self._server.serve_forever(background=True)
        except RuntimeError as exc:
            self._server = None
            raise ModbusServerError(f"cannot serve Modbus on {self.port}: {exc}") from None

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.shutdown()
            self._server = None
            await asyncio.sleep(0)

    async def __aenter__(self) -> "ModbusPumpServer":
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
