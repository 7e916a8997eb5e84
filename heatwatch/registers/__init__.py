"""Modbus register maps: one CSV file per pump model, shared by simulator and agent.

A map says where a pump keeps each canonical channel and how to turn the raw
value into the channel's unit: which table (holding or input registers,
function codes 3 and 4; coils or discrete inputs, 1 and 2), which data type
(int16, uint16, int32, uint32, float32, or one bit of a register), word and
byte order, ``value = raw * scale + offset``, the raw value the controller
sends for a missing sensor (decoded as NaN), and for enumerations (the mode)
and the pump's own alarm numbers a ``values`` list such as
``10=off;20=dhw;30=heating`` or ``21=high_pressure;20=low_pressure``.

The simulator serves ``encode_tables(values)``; the edge agent reads the
blocks of :meth:`RegisterMap.read_plan` and calls ``decode_tables``. The file
format is in docs/register-maps.md; :mod:`heatwatch.registers.parse` checks a
file and names file, row, register and field in every error.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

from heatwatch.channels import ERROR_NONE, PUMP_ALARM_BASE

MAPS_DIR = Path(__file__).parent
DEFAULT_MAP = "heatwatch_generic"
CLOCK = "clock"  # pseudo-channel: the controller's clock, uint32 unix seconds

# table -> Modbus read function code; bit tables hold one bit per address
TABLES: dict[str, int] = {"coil": 1, "discrete": 2, "holding": 3, "input": 4}
BIT_TABLES = frozenset({"coil", "discrete"})
# the protocol's limits per read request (Modbus application protocol v1.1b3, 6.1-6.4)
MAX_REGISTERS_PER_READ = 125
MAX_BITS_PER_READ = 2000
# type -> (words, struct code, signed)
TYPES: dict[str, tuple[int, str, bool]] = {
    "int16": (1, "h", True), "uint16": (1, "H", False), "int32": (2, "i", True),
    "uint32": (2, "I", False), "float32": (2, "f", True), "bool": (1, "", False),
}


class RegisterMapError(ValueError):
    """A register map file is malformed; the message names file, row/register and field."""


@dataclass(frozen=True)
class Register:
    """One channel's place in the pump's Modbus tables and how to read it."""

    address: int
    channel: str
    unit: str = ""
    scale: float = 1.0
    signed: bool = False  # kept for the first map format (int16 when true); the type says it now
    sentinel: int | None = None  # raw value meaning "no value" (sensor missing), or None
    table: str = "holding"
    type: str = "uint16"
    offset: float = 0.0
    word_order: str = "big"  # int32/uint32/float32: "big" = high word first
    byte_order: str = "big"  # within each word: "big" = as Modbus sends, "little" = swapped
    bit: int | None = None  # a bit field: bit n (0 = least significant) of a 16-bit register
    values: tuple[tuple[int, float], ...] = ()  # raw -> channel value (an enumeration)
    alarms: bool = False  # error_code with a values list: unlisted raw codes are the pump's own

    @property
    def words(self) -> int:
        return 1 if self.table in BIT_TABLES or self.bit is not None else TYPES[self.type][0]

    @property
    def last(self) -> int:
        return self.address + self.words - 1

    @property
    def raw_min(self) -> int:
        n, code, signed = TYPES[self.type]
        return -(1 << (16 * n - 1)) if signed and code != "f" else 0

    @property
    def raw_max(self) -> int:
        n, code, signed = TYPES[self.type]
        return (1 << (16 * n - 1)) - 1 if signed and code != "f" else (1 << (16 * n)) - 1

    # -- raw <-> words -------------------------------------------------------
    def words_of(self, raw: float | int) -> list[int]:
        """A raw value (an int, or a float for float32) -> the words on the wire."""
        n, code, _ = TYPES[self.type]
        data = struct.pack(">" + code, raw if code == "f" else int(raw))
        ws = [int.from_bytes(data[i : i + 2], "big") for i in range(0, 2 * n, 2)]
        if self.word_order == "little":
            ws.reverse()
        if self.byte_order == "little":
            ws = [((w & 0xFF) << 8) | (w >> 8) for w in ws]
        return ws

    def raw_of(self, words: Sequence[int]) -> float | int:
        """The words on the wire -> the raw value (int, or float for float32)."""
        n, code, _ = TYPES[self.type]
        ws = [int(w) & 0xFFFF for w in words[:n]]
        if self.byte_order == "little":
            ws = [((w & 0xFF) << 8) | (w >> 8) for w in ws]
        if self.word_order == "little":
            ws.reverse()
        return struct.unpack(">" + code, b"".join(w.to_bytes(2, "big") for w in ws))[0]

    # -- raw <-> engineering value ---------------------------------------------
    def to_raw(self, value: float | None) -> float | int:
        """Engineering value -> raw value; NaN/None -> the sentinel (or what a missing
        sensor shows when the map names none: the type's extreme, or NaN for float32)."""
        missing = value is None or not math.isfinite(value)
        if self.values and not missing:
            raw = self._raw_for_listed(float(value))  # type: ignore[arg-type]
            if raw is not None:
                return raw
            missing = True
        if missing:
            if self.sentinel is not None:
                return self.sentinel
            if self.type == "float32":
                return math.nan
            return self.raw_max if self.raw_min == 0 else self.raw_min
        if self.type == "float32":
            return (float(value) - self.offset) / self.scale  # type: ignore[arg-type]
        raw = int(round((float(value) - self.offset) / self.scale))  # type: ignore[arg-type]
        lo, hi = self.raw_min, self.raw_max
        if self.sentinel == lo:  # never let a real value collide with the sentinel
            lo += 1
        if self.sentinel == hi:
            hi -= 1
        return min(max(raw, lo), hi)

    def _raw_for_listed(self, value: float) -> int | None:
        for raw, v in self.values:
            if v == value:
                return raw
        if self.alarms:
            if value == ERROR_NONE:
                return 0
            if value >= PUMP_ALARM_BASE:
                return int(value - PUMP_ALARM_BASE)
        return None

    def from_raw(self, raw: float | int) -> float:
        """Raw value -> engineering value; the sentinel (and an unlisted enum value) gives NaN."""
        if isinstance(raw, float) and not math.isfinite(raw):
            return math.nan
        if self.sentinel is not None and (raw == self.sentinel or (int(raw) & 0xFFFF) == (self.sentinel & 0xFFFF)
                                          and self.words == 1):
            return math.nan
        if self.values:
            for r, v in self.values:
                if r == raw:
                    return v
            if self.alarms:
                return float(ERROR_NONE) if raw == 0 else float(PUMP_ALARM_BASE + int(raw))
            return math.nan
        return raw * self.scale + self.offset


@dataclass(frozen=True)
class ReadBlock:
    """One read request: ``count`` registers (or bits) of ``table`` from ``start``."""

    table: str
    start: int
    count: int

    @property
    def function_code(self) -> int:
        return TABLES[self.table]

    @property
    def end(self) -> int:
        return self.start + self.count - 1


def read_plan(registers: Sequence[Register], max_gap: int = 0) -> list[ReadBlock]:
    """The fewest read requests covering ``registers``: per table, addresses in order,
    merged while the block stays within the protocol's limit (125 registers, 2000
    bits) and never across more than ``max_gap`` addresses the map does not list
    (a real pump answers "illegal data address" for a gap it does not implement)."""
    blocks: list[ReadBlock] = []
    for table in TABLES:
        spans = sorted((r.address, r.last) for r in registers if r.table == table)
        limit = MAX_BITS_PER_READ if table in BIT_TABLES else MAX_REGISTERS_PER_READ
        cur: list[int] | None = None
        for lo, hi in spans:
            if cur is not None and lo - cur[1] - 1 <= max_gap and max(hi, cur[1]) - cur[0] + 1 <= limit:
                cur[1] = max(cur[1], hi)
                continue
            if cur is not None:
                blocks.append(ReadBlock(table, cur[0], cur[1] - cur[0] + 1))
            cur = [lo, hi]
        if cur is not None:
            blocks.append(ReadBlock(table, cur[0], cur[1] - cur[0] + 1))
    return blocks


Tables = dict[str, dict[int, int]]  # table -> address -> word (or 0/1 for a bit table)


@dataclass(frozen=True)
class RegisterMap:
    name: str
    registers: tuple[Register, ...]  # channel registers, by table and address
    clock: Register | None = None  # the controller's clock, if the pump has one
    max_gap: int = 0  # unlisted addresses a read may span (see read_plan)
    source: str = ""  # where the map was written from (documentation, library)
    path: Path | None = field(default=None, compare=False)

    @property
    def clock_address(self) -> int | None:
        return None if self.clock is None else self.clock.address

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(r.channel for r in self.registers)

    def read_plan(self, max_gap: int | None = None) -> list[ReadBlock]:
        regs = list(self.registers) + ([self.clock] if self.clock is not None else [])
        return read_plan(regs, self.max_gap if max_gap is None else max_gap)

    # -- whole tables (any map) -------------------------------------------------
    def encode_tables(self, values: Mapping[str, float], clock: float | None = None) -> Tables:
        """Channel values (and the clock, unix s) -> what each table holds at each address.

        Channels missing from ``values`` are served as missing (their sentinel).
        """
        out: Tables = {t: {} for t in TABLES}
        for reg in self.registers:
            value = values.get(reg.channel, math.nan)
            table = out[reg.table]
            if reg.table in BIT_TABLES or reg.bit is not None:
                # one bit cannot say "missing": a missing status reads as 0
                on = 1 if value is not None and math.isfinite(value) and reg.to_raw(value) else 0
                if reg.bit is None:
                    table[reg.address] = on
                else:
                    table[reg.address] = (table.get(reg.address, 0) & ~(1 << reg.bit)) | (on << reg.bit)
                continue
            for i, w in enumerate(reg.words_of(reg.to_raw(value))):
                table[reg.address + i] = w
        if self.clock is not None:
            t = int(clock) & 0xFFFFFFFF if clock is not None and math.isfinite(clock) else 0
            for i, w in enumerate(self.clock.words_of(t)):
                out[self.clock.table][self.clock.address + i] = w
        return out

    def decode_tables(self, tables: Mapping[str, Mapping[int, int]]) -> dict[str, float]:
        """What was read from each table -> channel values (NaN = unknown or not read)."""
        out: dict[str, float] = {}
        for reg in self.registers:
            table = tables.get(reg.table, {})
            try:
                if reg.table in BIT_TABLES:
                    raw: float | int = 1 if table[reg.address] else 0
                elif reg.bit is not None:
                    raw = (int(table[reg.address]) >> reg.bit) & 1
                else:
                    raw = reg.raw_of([table[reg.address + i] for i in range(reg.words)])
            except KeyError:
                out[reg.channel] = math.nan
                continue
            out[reg.channel] = reg.from_raw(raw)
        return out

    def clock_from_tables(self, tables: Mapping[str, Mapping[int, int]]) -> float | None:
        """The controller's clock, or None (no clock, not read, or not set: 0)."""
        if self.clock is None:
            return None
        table = tables.get(self.clock.table, {})
        try:
            t = self.clock.raw_of([table[self.clock.address + i] for i in range(self.clock.words)])
        except KeyError:
            return None
        return float(t) if t else None

    # -- one contiguous holding block (the first map format's API) ----------------
    @property
    def start(self) -> int:
        return min(b.start for b in self._single_block())

    @property
    def count(self) -> int:
        b = self._single_block()[0]
        return b.count

    def _single_block(self) -> list[ReadBlock]:
        regs = list(self.registers) + ([self.clock] if self.clock is not None else [])
        blocks = read_plan(regs, max_gap=MAX_REGISTERS_PER_READ)
        if len(blocks) != 1 or blocks[0].table != "holding":
            raise ValueError(f"register map {self.name}: not one holding-register block; use read_plan()")
        return blocks

    def encode(self, values: Mapping[str, float], clock: float | None = None) -> list[int]:
        """Channel values -> the one holding-register block from ``start`` (gaps are 0)."""
        block = self._single_block()[0]
        table = self.encode_tables(values, clock)["holding"]
        return [table.get(a, 0) for a in range(block.start, block.end + 1)]

    def decode(self, words: Sequence[int]) -> dict[str, float]:
        """The one holding-register block read from ``start`` -> channel values."""
        block = self._single_block()[0]
        if len(words) < block.count:
            raise ValueError(f"register map {self.name}: need {block.count} words, got {len(words)}")
        return self.decode_tables({"holding": {block.start + i: int(w) for i, w in enumerate(words)}})

    def decode_clock(self, words: Sequence[int]) -> float | None:
        block = self._single_block()[0]
        if len(words) < block.count:
            return None
        return self.clock_from_tables({"holding": {block.start + i: int(w) for i, w in enumerate(words)}})

    @classmethod
    def load(cls, name_or_path: str | Path = DEFAULT_MAP) -> "RegisterMap":
        """Load a map by model name (a file in this folder) or by path."""
        from heatwatch.registers.parse import parse_map

        path = Path(name_or_path)
        if not path.suffix:
            path = MAPS_DIR / f"{name_or_path}.csv"
        if not path.is_file():
            raise RegisterMapError(f"register map {str(name_or_path)!r} not found (known: {', '.join(shipped_maps())})")
        return parse_map(path)


def shipped_maps() -> list[str]:
    """The names of the maps that come with heatwatch."""
    return sorted(p.stem for p in MAPS_DIR.glob("*.csv"))
