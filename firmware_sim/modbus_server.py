"""The simulated pumps' Modbus slave: one serial line (RTU) or one TCP port, one slave id per pump.

A real RS-485 bus carries several controllers, each answering only its own
slave id; here pump ``i`` of the fleet (0-based) answers as slave ``i + 1``
(over TCP: unit id ``i + 1``, as behind an RS-485 gateway). Each slave holds
the registers of one shared register map (``heatwatch.registers``: any
shipped map, in its tables, types and scaling), so the agent decodes exactly
what the simulator encoded, with the same quantization and sentinels. Only
the addresses the map lists exist: a read across a gap is answered
"illegal data address", as a real pump answers it. Channels the map does not
carry are simply not served.

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
from pymodbus.server import ModbusSerialServer, ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice
from pymodbus.simulator.simcore import SimCore

from heatwatch.channels import CHANNEL_NAMES, INDEX
from heatwatch.registers import BIT_TABLES, TABLES, RegisterMap, Tables

DEFAULT_BAUDRATE = 9600
READ_FUNCTION_CODES = frozenset(TABLES.values())
_TABLE_OF = {fc: table for table, fc in TABLES.items()}
# where a table the map does not use gets its one placeholder (pymodbus wants every table non-empty)
_PLACEHOLDER = 65535


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
    """Serve ``devices`` as Modbus slaves 1..n on one serial port, or on ``tcp=(host, port)``.

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
        tcp: tuple[str, int] | None = None,
    ) -> None:
        if not devices:
            raise ModbusServerError("no devices to serve")
        if len(devices) > 247:
            raise ModbusServerError(f"{len(devices)} pumps on one line; Modbus allows slave ids 1..247")
        self.tcp = tcp
        self.port = port if tcp is None else f"{tcp[0]}:{tcp[1]}"
        self.devices = list(devices)
        self.rmap = register_map or RegisterMap.load()
        self.serial = dict(baudrate=baudrate, parity=parity, bytesize=bytesize, stopbits=stopbits)
        # per slave: what each table holds; starts as all sentinels ("no value yet")
        self._tables: list[Tables] = [self.rmap.encode_tables({}) for _ in self.devices]
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
            self._tables[i] = self.rmap.encode_tables(
                {reg.channel: float(row[col]) for reg, col in zip(self.rmap.registers, self._columns)}, clock=ts)
        self.counters["rows"] += 1

    def set_values(self, device: str, values: dict[str, float]) -> None:
        """Set one pump's channels by name (channels not given are served as sentinels)."""
        clean = {k: (math.nan if v is None else float(v)) for k, v in values.items()}
        self._tables[self.slave_id(device) - 1] = self.rmap.encode_tables(clean)

    def words(self, device: str) -> list[int]:
        """The one holding block ``device`` answers with (maps in one block only; for tests)."""
        holding = self._tables[self.slave_id(device) - 1]["holding"]
        return [holding.get(a, 0) for a in range(self.rmap.start, self.rmap.start + self.rmap.count)]

    def tables(self, device: str) -> Tables:
        """What each table of ``device`` holds now (for tests and status)."""
        return {t: dict(v) for t, v in self._tables[self.slave_id(device) - 1].items()}

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
        table = _TABLE_OF[function_code]
        held = self._tables[index][table]
        if table in BIT_TABLES:  # packed 16 bits a word, bit 0 first; start_address counts words
            for a, bit in held.items():
                i, b = a // 16 - start_address, a % 16
                if 0 <= i < len(registers):
                    registers[i] = (registers[i] & ~(1 << b)) | (int(bool(bit)) << b)
        else:
            for a, w in held.items():
                if 0 <= a - start_address < len(registers):
                    registers[a - start_address] = w
        self.counters["requests"] += 1
        self.requests_by_slave[index + 1] += 1
        return None

    def _simdata(self, table: str) -> list[SimData]:
        """The addresses the map reads in ``table``: its registers and the gaps its read plan spans
        (``max_gap``: the pump implements them). A wider gap is an illegal address, as on a real pump."""
        addresses = sorted({a for b in self.rmap.read_plan() if b.table == table for a in range(b.start, b.end + 1)})
        if table in BIT_TABLES:
            return [SimData(address=a, values=[False], datatype=DataType.BITS) for a in addresses] or \
                [SimData(address=_PLACEHOLDER, values=[False], datatype=DataType.BITS)]
        return [SimData(address=a, values=[0], datatype=DataType.REGISTERS) for a in addresses] or \
            [SimData(address=_PLACEHOLDER, values=[0], datatype=DataType.REGISTERS)]

    def _sim_devices(self) -> list[SimDevice]:
        blocks = tuple(self._simdata(t) for t in ("coil", "discrete", "holding", "input"))
        return [
            SimDevice(
                id=i + 1,
                simdata=tuple([SimData(address=d.address, values=d.values, datatype=d.datatype) for d in b]
                              for b in blocks),  # type: ignore[arg-type]
                action=functools.partial(self._on_access, i),
            )
            for i in range(len(self.devices))
        ]

    async def start(self) -> None:
        """Open the port and answer requests in the background of the running loop."""
        devices = self._sim_devices()
        if self.tcp is not None:
            self._server = ModbusTcpServer(devices, address=self.tcp, ignore_missing_devices=True)
        else:
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
