"""Modbus register maps: one CSV file per pump model, shared by simulator and agent.

A map turns a contiguous block of 16-bit holding registers into canonical
channel values and back. The simulator serves ``encode(values)``; the edge
agent polls the block and calls ``decode(words)``. Sentinel raw values (what a
controller sends for a missing sensor) decode to NaN.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from heatwatch.channels import BY_NAME

MAPS_DIR = Path(__file__).parent
DEFAULT_MAP = "heatwatch_generic"


class RegisterMapError(ValueError):
    """A register map file is malformed; the message names file, row and field."""


@dataclass(frozen=True)
class Register:
    address: int
    channel: str
    unit: str
    scale: float
    signed: bool
    sentinel: int

    @property
    def raw_min(self) -> int:
        return -32768 if self.signed else 0

    @property
    def raw_max(self) -> int:
        return 32767 if self.signed else 65535

    def to_raw(self, value: float) -> int:
        """Engineering value -> 16-bit word (two's complement when signed)."""
        if value is None or not math.isfinite(value):
            raw = self.sentinel
        else:
            raw = int(round(value / self.scale))
            # never let a real value collide with the sentinel
            lo, hi = self.raw_min, self.raw_max
            if self.sentinel == lo:
                lo += 1
            if self.sentinel == hi:
                hi -= 1
            raw = min(max(raw, lo), hi)
        return raw & 0xFFFF

    def from_raw(self, word: int) -> float:
        """16-bit word -> engineering value; the sentinel gives NaN."""
        raw = word - 0x10000 if self.signed and word >= 0x8000 else word
        if raw == self.sentinel or (word & 0xFFFF) == (self.sentinel & 0xFFFF):
            return math.nan
        return raw * self.scale


CLOCK = "clock"  # pseudo-channel: the controller's clock, uint32 unix seconds, two registers


@dataclass(frozen=True)
class RegisterMap:
    name: str
    registers: tuple[Register, ...]  # channel registers, by address
    clock_address: int | None = None  # high word here, low word at +1

    @property
    def start(self) -> int:
        first = self.registers[0].address
        return first if self.clock_address is None else min(first, self.clock_address)

    @property
    def count(self) -> int:
        last = self.registers[-1].address
        if self.clock_address is not None:
            last = max(last, self.clock_address + 1)
        return last - self.start + 1

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(r.channel for r in self.registers)

    def encode(self, values: Mapping[str, float], clock: float | None = None) -> list[int]:
        """Channel values (and the clock, unix s) -> the register block from ``start``.

        Channels missing from ``values`` are sent as their sentinel; gaps are 0.
        """
        words = [0] * self.count
        for reg in self.registers:
            words[reg.address - self.start] = reg.to_raw(values.get(reg.channel, math.nan))
        if self.clock_address is not None and clock is not None and math.isfinite(clock):
            t = int(clock) & 0xFFFFFFFF
            i = self.clock_address - self.start
            words[i], words[i + 1] = t >> 16, t & 0xFFFF
        return words

    def decode_clock(self, words: Sequence[int]) -> float | None:
        """The controller's clock from a register block, or None (no clock / not set)."""
        if self.clock_address is None or len(words) < self.count:
            return None
        i = self.clock_address - self.start
        t = (int(words[i]) << 16) | int(words[i + 1])
        return float(t) if t else None

    def decode(self, words: Sequence[int]) -> dict[str, float]:
        """The register block read from ``start`` -> channel values (NaN = unknown)."""
        if len(words) < self.count:
            raise ValueError(f"register map {self.name}: need {self.count} words, got {len(words)}")
        return {reg.channel: reg.from_raw(int(words[reg.address - self.start])) for reg in self.registers}

    @classmethod
    def load(cls, name_or_path: str | Path = DEFAULT_MAP) -> "RegisterMap":
        """Load a map by model name (a file in this folder) or by path."""
        path = Path(name_or_path)
        if not path.suffix:
            path = MAPS_DIR / f"{name_or_path}.csv"
        if not path.is_file():
            known = ", ".join(sorted(p.stem for p in MAPS_DIR.glob("*.csv")))
            raise RegisterMapError(f"register map {name_or_path!r} not found (known: {known})")
        regs, clock = _parse(path)
        return cls(name=path.stem, registers=regs, clock_address=clock)


def _parse(path: Path) -> tuple[tuple[Register, ...], int | None]:
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]
    rows = list(csv.DictReader(lines))
    required = ("address", "channel", "unit", "scale", "signed", "sentinel")
    regs: list[Register] = []
    clock: int | None = None
    for i, row in enumerate(rows, start=1):
        where = f"{path.name} row {i}"
        for field in required:
            if not (row.get(field) or "").strip():
                raise RegisterMapError(f"{where}: field {field!r} is missing")
        try:
            address = int(row["address"])
            scale = float(row["scale"])
            signed = row["signed"].strip() in ("1", "true", "yes")
            sentinel = int(row["sentinel"])
        except ValueError as exc:
            raise RegisterMapError(f"{where}: {exc}") from None
        channel = row["channel"].strip()
        if channel == CLOCK:
            clock = address
            continue
        if channel not in BY_NAME:
            raise RegisterMapError(f"{where}: field 'channel': unknown channel {channel!r}")
        if scale <= 0:
            raise RegisterMapError(f"{where}: field 'scale' must be > 0")
        regs.append(Register(address, channel, row["unit"].strip(), scale, signed, sentinel))
    if not regs:
        raise RegisterMapError(f"{path.name}: no registers")
    regs.sort(key=lambda r: r.address)
    addrs = [r.address for r in regs] + ([clock, clock + 1] if clock is not None else [])
    if len(set(addrs)) != len(addrs):
        raise RegisterMapError(f"{path.name}: duplicate register address")
    return tuple(regs), clock
