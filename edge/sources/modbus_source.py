"""Read a pump over Modbus RTU (RS-485 / serial) or Modbus TCP with the pump model's register map.

The agent is the client (bus master): every ``poll_interval`` it reads the
blocks of the map's read plan (``RegisterMap.read_plan``: per function code,
at most 125 registers or 2000 bits a request, never across a gap the pump
would refuse) from its slave (unit id), decodes them with the same
``RegisterMap`` the simulator encodes with (sentinels -> NaN) and hands back a
:class:`Reading`. ``transport="tcp"`` reads a pump, or an RS-485 gateway, at
``host:tcp_port``; the unit id then picks the pump behind the gateway.

A serial line is noisy and can vanish (USB adapter pulled, pty closed):
* a reply with a bad CRC, stray bytes before/after a reply, or no reply at
  all are counted (``crc_errors``, ``garbage_bytes``, ``timeouts``) and the
  request is retried up to ``retries`` times, then ``read()`` returns None;
* a line that errors on write/read, or stays silent for ``reopen_after``
  polls in a row, is closed and reopened with exponential backoff
  (``line_lost``, ``reconnects``, ``reconnect_failures``); ``read()`` raises
  SourceRetryableError meanwhile;
* a slave that answers "illegal address/function" will never answer
  otherwise: that is a wrong register map, raised as SourceFatalError naming
  the table and addresses it refused.

With ``use_pump_clock`` readings carry the controller's clock; a poll that
finds the clock where it was (polled faster than the controller samples) is
the reading already handed on: counted (``clock_unchanged``), returns None.

Counting is done on the raw bytes the client read from the line (the client's
``recv`` is wrapped), not on pymodbus' log lines, so the counters are exact.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass, field

import numpy as np
import serial
from pymodbus import FramerType
from pymodbus.client import ModbusSerialClient, ModbusTcpClient
from pymodbus.exceptions import ConnectionException, ModbusException, ModbusIOException
from pymodbus.framer.rtu import FramerRTU

from heatwatch.backoff import Backoff
from heatwatch.edge.reading import N_CHANNELS, Reading
from heatwatch.edge.sources.base import Source, SourceFatalError, SourceRetryableError
from heatwatch.channels import INDEX
from heatwatch.registers import BIT_TABLES, ReadBlock, RegisterMap

log = logging.getLogger(__name__)

READ_HOLDING = 0x03
TRANSPORTS = ("rtu", "tcp")
_READ = {"coil": "read_coils", "discrete": "read_discrete_inputs", "holding": "read_holding_registers",
         "input": "read_input_registers"}
# Modbus exception codes that mean "this request can never succeed here"
FATAL_EXCEPTION_CODES = {1: "illegal function", 2: "illegal data address", 3: "illegal data value"}


class _CapturingClient(ModbusSerialClient):
    """pymodbus' serial client, keeping every byte it reads and draining stale input.

    Stale bytes waiting before a request (noise on an idle line) are read and
    counted here instead of being dropped with a log warning inside pymodbus.
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.capture = bytearray()
        self.stale_bytes = 0

    def send(self, request: bytes, addr: tuple | None = None) -> int:
        if self.socket is not None and request:
            try:
                waiting = self.socket.in_waiting
                if waiting:
                    self.stale_bytes += len(self.socket.read(waiting))
            except (OSError, serial.SerialException):
                self.close()
                raise ConnectionException(f"{self.comm_params.host}: line lost") from None
        self.capture.clear()
        return super().send(request, addr)

    def recv(self, size: int | None) -> bytes:
        data = super().recv(size)
        self.capture += data
        return data


@dataclass
class ReplyCheck:
    """What the raw bytes of one request's reply contained."""

    frame_ok: bool
    crc_error: bool
    garbage_bytes: int


def check_reply(raw: bytes, slave: int, function_code: int, n_registers: int) -> ReplyCheck:
    """Find this request's reply in the raw bytes; everything else is garbage.

    A candidate is a slave id + function code (or its exception form) with the
    length that reply must have; a candidate with a wrong CRC is a CRC error.
    ``n_registers`` counts bits for function codes 1 and 2.
    """
    data = (n_registers + 7) // 8 if function_code in (1, 2) else 2 * n_registers
    lengths = {function_code: 5 + data, function_code | 0x80: 5}
    crc_bad_at: tuple[int, int] | None = None
    for i in range(len(raw) - 1):
        if raw[i] != slave or raw[i + 1] not in lengths:
            continue
        length = lengths[raw[i + 1]]
        if raw[i + 1] == function_code and i + 2 < len(raw) and raw[i + 2] != data:
            continue  # byte count does not fit: not our reply
        if i + length > len(raw):
            continue
        body, crc = raw[i : i + length - 2], raw[i + length - 2 : i + length]
        if FramerRTU.check_CRC(body, (crc[0] << 8) | crc[1]):
            return ReplyCheck(True, False, len(raw) - length)
        if crc_bad_at is None:
            crc_bad_at = (i, length)
    if crc_bad_at is not None:
        return ReplyCheck(False, True, len(raw) - crc_bad_at[1])
    return ReplyCheck(False, False, len(raw))


@dataclass
class ModbusLine:
    """One RS-485 line (or one TCP connection to a gateway) that several pumps share.

    A bus carries one request at a time: the sources of the pumps on it take
    turns through ``lock``, one request each, so a slave that does not answer
    costs the others at most one timeout per request, never a whole poll, and
    each pump keeps its own poll clock. A silent slave is that pump's problem:
    it is polled less often (its own backoff), and the line is reopened only
    when the port itself fails.
    """

    name: str
    lock: threading.Lock = field(default_factory=threading.Lock)
    client: object | None = None
    users: set = field(default_factory=set)


# what a noisy, cut or misconfigured RS-485 line shows as: counted from the first poll
LINE_COUNTERS = ("reads_ok", "requests", "crc_errors", "garbage_bytes", "bad_frames", "timeouts", "retries",
                 "exception_replies", "polls_failed", "line_lost", "reconnects")


class ModbusSource(Source):
    """Poll one pump (one slave id) on a serial line, or over Modbus TCP."""

    def __init__(
        self,
        device: str,
        port: str = "",
        *,
        transport: str = "rtu",
        host: str = "",
        tcp_port: int = 502,
        slave_id: int = 1,
        register_map: RegisterMap | str | None = None,
        baudrate: int = 9600,
        parity: str = "N",
        bytesize: int = 8,
        stopbits: int = 1,
        poll_interval: float = 10.0,
        timeout: float = 1.0,
        retries: int = 2,
        reopen_after: int = 3,
        backoff: Backoff | None = None,
        use_pump_clock: bool = False,
        line: ModbusLine | None = None,
    ) -> None:
        super().__init__(device)
        self.line = line  # shared with the other pumps on this line, or None (the source owns its line)
        self._own_client: _CapturingClient | ModbusTcpClient | None = None
        self.use_pump_clock = use_pump_clock  # stamp with the controller's clock when it has one
        if not 1 <= slave_id <= 247:
            raise SourceFatalError(f"slave id {slave_id} outside 1..247")
        if transport not in TRANSPORTS:
            raise SourceFatalError(f"transport {transport!r}: one of {', '.join(TRANSPORTS)}")
        if transport == "rtu" and (parity not in ("N", "E", "O") or baudrate <= 0):
            # pyserial takes both and the line then never answers: an endless retry loop
            raise SourceFatalError(f"serial settings {baudrate} baud, parity {parity!r}: parity N, E or O, "
                                   "a positive baud rate")
        self.transport = transport
        self.host, self.tcp_port = host, tcp_port
        self.port = port if transport == "rtu" else f"{host}:{tcp_port}"
        self.slave_id = slave_id
        self.rmap = register_map if isinstance(register_map, RegisterMap) else RegisterMap.load(register_map or "heatwatch_generic")
        self.serial_params = dict(baudrate=baudrate, parity=parity, bytesize=bytesize, stopbits=stopbits)
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.retries = retries
        self.reopen_after = reopen_after
        self.backoff = backoff or Backoff(initial=0.5, factor=2.0, maximum=60.0)
        self._columns = np.array([INDEX[r.channel] for r in self.rmap.registers])
        self.plan: list[ReadBlock] = self.rmap.read_plan()
        self._next_poll = 0.0
        self._reconnect_at = 0.0
        self._silent_polls = 0
        self._ever_open = False
        self._last_pump_ts: float | None = None
        self.last_round_trip: float | None = None
        # line health, shown from the first status on (a clean line reads 0, not "absent")
        for name in LINE_COUNTERS:
            self.counters[name] = 0

    @property
    def channels(self) -> tuple[str, ...]:
        return self.rmap.channels

    # -- line management -------------------------------------------------
    @property
    def _client(self):  # noqa: ANN202 - the line's client when shared
        return self.line.client if self.line is not None else self._own_client

    @_client.setter
    def _client(self, client) -> None:  # noqa: ANN001
        if self.line is not None:
            self.line.client = client
        else:
            self._own_client = client

    def _turn(self) -> contextlib.AbstractContextManager:
        """This source's turn on a shared line (one request at a time)."""
        return self.line.lock if self.line is not None else contextlib.nullcontext()

    def open(self) -> None:
        if self.line is not None:
            with self.line.lock:
                self.line.users.add(self)
                if self.line.client is not None:  # another pump on this line opened it
                    self._ever_open = True
                    self._silent_polls = 0
                    return
                self._open_client()
            return
        self._open_client()

    def _open_client(self) -> None:
        client: _CapturingClient | ModbusTcpClient
        if self.transport == "tcp":
            client = ModbusTcpClient(self.host, port=self.tcp_port, timeout=self.timeout, retries=0,
                                     name=f"modbus:{self.device}")
        else:
            client = _CapturingClient(
                self.port, framer=FramerType.RTU, timeout=self.timeout, retries=0, name=f"modbus:{self.device}",
                **self.serial_params,  # type: ignore[arg-type]
            )
        if not client.connect():
            client.close()
            what = "Modbus TCP server" if self.transport == "tcp" else "serial port"
            raise SourceRetryableError(f"{self.device}: cannot open {what} {self.port}")
        self._client = client
        if self._ever_open:
            self.counters["reconnects"] += 1
            log.info("%s: line %s reopened", self.device, self.port)
        self._ever_open = True
        self._silent_polls = 0

    def close(self) -> None:
        """Release the line; a shared line closes when its last pump leaves."""
        if self.line is not None:
            self.line.users.discard(self)
            if self.line.users:
                return
        self._close_client()

    def _close_client(self) -> None:
        if self._client is not None:
            self._count_stale()
            self._client.close()
            self._client = None

    def _line_lost(self, why: str) -> SourceRetryableError:
        self._close_client()  # the port itself failed: for every pump on it
        self.counters["line_lost"] += 1
        delay = self.backoff.next_delay()
        self._reconnect_at = time.monotonic() + delay
        log.warning("%s: %s on %s; reopening in %.1f s", self.device, why, self.port, delay)
        return SourceRetryableError(f"{self.device}: {why} on {self.port}; reopening in {delay:.1f} s")

    def _reconnect(self) -> None:
        wait = self._reconnect_at - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        try:
            self.open()
        except SourceRetryableError as exc:
            self.counters["reconnect_failures"] += 1
            delay = self.backoff.next_delay()
            self._reconnect_at = time.monotonic() + delay
            raise SourceRetryableError(f"{exc}; next try in {delay:.1f} s") from None

    def _count_stale(self) -> None:
        if isinstance(self._client, _CapturingClient) and self._client.stale_bytes:
            self.counters["garbage_bytes"] += self._client.stale_bytes
            self._client.stale_bytes = 0

    # -- polling ------------------------------------------------------------
    def read(self) -> Reading | None:
        """Wait for the next poll slot, poll (with retries), return the Reading or None."""
        if self._client is None:
            self._reconnect()
        wait = self._next_poll - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._next_poll = time.monotonic() + self.poll_interval
        words = self._poll()
        if words is None:
            self._silent_polls += 1
            self.counters["polls_failed"] += 1
            if self._silent_polls >= self.reopen_after:
                if self.line is not None:
                    # a shared line: a silent slave is that pump's problem; a failing port
                    # shows itself as an error on the port, and is reopened then
                    delay = max(self.poll_interval, self.backoff.next_delay())
                    self._next_poll = time.monotonic() + delay
                    self.counters["slave_silent"] += 1
                    log.warning("%s: slave %d silent for %d polls; next poll in %.1f s", self.device,
                                self.slave_id, self._silent_polls, delay)
                    return None
                raise self._line_lost(f"no valid reply for {self._silent_polls} polls")
            return None
        self._silent_polls = 0
        self.backoff.reset()
        decoded = self.rmap.decode_tables(words)
        values = np.full(N_CHANNELS, np.nan)
        values[self._columns] = [decoded[r.channel] for r in self.rmap.registers]
        self.counters["reads_ok"] += 1
        ts = time.time()
        if self.use_pump_clock:
            pump_ts = self.rmap.clock_from_tables(words)
            if pump_ts is None:  # controller clock not set (yet): its values have no time
                self.counters["clock_unset"] += 1
                return None
            if pump_ts == self._last_pump_ts:
                # polled again before the controller stored a new sample (an accelerated
                # pump, or polling faster than it samples): the reading we already have
                self.counters["clock_unchanged"] += 1
                return None
            self._last_pump_ts = ts = pump_ts
        return Reading(self.device, ts, values)

    def _poll(self) -> dict[str, dict[int, int]] | None:
        """One poll: every block of the read plan; what each table holds, or None."""
        tables: dict[str, dict[int, int]] = {}
        started = time.perf_counter()
        for block in self.plan:
            got = self._read_block(block)
            if got is None:
                return None
            tables.setdefault(block.table, {}).update(zip(range(block.start, block.end + 1), got))
        self.last_round_trip = time.perf_counter() - started
        return tables

    def _read_block(self, block: ReadBlock) -> list[int] | None:
        """One block: up to 1 + retries requests; its values (words or 0/1) or None."""
        assert self._client is not None
        for attempt in range(self.retries + 1):
            if attempt:
                self.counters["retries"] += 1
            self.counters["requests"] += 1
            with self._turn():
                if self._client is None:  # another pump on this line found the port gone
                    raise SourceRetryableError(f"{self.device}: line {self.port} closed; reopening")
                try:
                    reply = getattr(self._client, _READ[block.table])(block.start, count=block.count,
                                                                       device_id=self.slave_id)
                except ConnectionException:
                    self._count_stale()
                    raise self._line_lost("line lost") from None
                except ModbusIOException:
                    reply = None
                except ModbusException as exc:  # a malformed frame pymodbus could not decode
                    self.counters["bad_frames"] += 1
                    log.debug("%s: undecodable reply: %s", self.device, exc)
                    reply = None
                finally:
                    if self._client is not None:
                        self._count_stale()
                        self._count_capture(block)
            if reply is None:
                self.counters["timeouts"] += 1
                continue
            if reply.isError():
                code = getattr(reply, "exception_code", 0)
                if code in FATAL_EXCEPTION_CODES:
                    raise SourceFatalError(
                        f"{self.device}: slave {self.slave_id} answered {FATAL_EXCEPTION_CODES[code]} for "
                        f"{block.table} registers {block.start}..{block.end} "
                        f"(map {self.rmap.name}): wrong register map or slave id"
                    )
                self.counters["exception_replies"] += 1
                continue
            values = [int(b) for b in reply.bits] if block.table in BIT_TABLES else list(reply.registers)
            if len(values) < block.count:
                self.counters["bad_frames"] += 1
                continue
            return values[: block.count]
        return None

    def _count_capture(self, block: ReadBlock) -> None:
        if not isinstance(self._client, _CapturingClient):
            return  # TCP: the transport checks frames; no CRC, no line noise to count
        check = check_reply(bytes(self._client.capture), self.slave_id, block.function_code, block.count)
        self._client.capture.clear()
        if check.crc_error:
            self.counters["crc_errors"] += 1
        if check.garbage_bytes:
            self.counters["garbage_bytes"] += check.garbage_bytes
