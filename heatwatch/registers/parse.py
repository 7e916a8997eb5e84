"""Read and check a register map file; every error names the file, the row, the register and the field.

A map is CSV with ``#`` comment lines; ``#@ key = value`` lines set the map's
own properties (``source``: where it was written from; ``max_gap``: how many
unlisted addresses one read may span). Columns (only ``address`` and
``channel`` are required; docs/register-maps.md has the details):

address, channel, unit, table (holding|input|coil|discrete), type
(int16|uint16|int32|uint32|float32|bool), word_order, byte_order (big|little),
scale, offset, sentinel, bit (0..15), values (``raw=value;...``), and the
first format's ``signed`` (1 = int16, 0 = uint16 when no type is given).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

from heatwatch.channels import BY_NAME, ERROR_LOCKOUT, MODES, TRIP_CODES
from heatwatch.registers import (BIT_TABLES, CLOCK, TABLES, TYPES, Register, RegisterMap, RegisterMapError)

COLUMNS = ("address", "channel", "unit", "table", "type", "word_order", "byte_order", "scale", "offset",
           "sentinel", "bit", "values", "signed", "note")
DIRECTIVES = ("source", "max_gap")
ORDERS = ("big", "little")
# names a values list may use, per channel
_NAMED = {
    "mode": {name: float(v) for v, name in MODES.items()},
    "error_code": {**{k: float(v) for k, v in TRIP_CODES.items()}, "lockout": float(ERROR_LOCKOUT), "none": 0.0},
}


def parse_map(path: Path) -> RegisterMap:
    """Load and check one map file."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise RegisterMapError(f"{path.name}: not a text (UTF-8) file") from None
    directives: dict[str, str] = {}
    lines: list[tuple[int, str]] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if line.startswith("#@"):
            key, sep, value = line[2:].partition("=")
            key = key.strip()
            if not sep or key not in DIRECTIVES:
                raise RegisterMapError(f"{path.name} line {n}: '#@ {key}': expected '#@ <{'|'.join(DIRECTIVES)}> = value'")
            directives[key] = value.strip()
        elif line.strip() and not line.startswith("#"):
            lines.append((n, line))
    if not lines:
        raise RegisterMapError(f"{path.name}: no header and no registers")
    reader = csv.DictReader([ln for _, ln in lines])
    header = [h.strip() for h in (reader.fieldnames or [])]
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise RegisterMapError(f"{path.name}: unknown column(s) {', '.join(unknown)} (known: {', '.join(COLUMNS)})")
    for col in ("address", "channel"):
        if col not in header:
            raise RegisterMapError(f"{path.name}: column {col!r} is missing")
    regs: list[Register] = []
    clock: Register | None = None
    for i, row in enumerate(reader, start=1):
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None}
        reg = _register(row, f"{path.name} row {i}")
        if reg.channel == CLOCK:
            clock = reg
        else:
            regs.append(reg)
    if not regs:
        raise RegisterMapError(f"{path.name}: no registers")
    _check_overlaps(path.name, regs + ([clock] if clock else []))
    seen: dict[str, int] = {}
    for r in regs:
        if r.channel in seen:
            raise RegisterMapError(f"{path.name}: channel {r.channel!r} mapped twice (registers {seen[r.channel]} and "
                                   f"{r.address})")
        seen[r.channel] = r.address
    try:
        max_gap = int(directives.get("max_gap", "0"))
        if max_gap < 0:
            raise ValueError
    except ValueError:
        raise RegisterMapError(f"{path.name}: '#@ max_gap' must be a whole number >= 0") from None
    regs.sort(key=lambda r: (list(TABLES).index(r.table), r.address, r.bit or 0))
    return RegisterMap(name=path.stem, registers=tuple(regs), clock=clock, max_gap=max_gap,
                       source=directives.get("source", ""), path=path)


def _register(row: dict[str, str], where: str) -> Register:
    def fail(fld: str, why: str) -> RegisterMapError:
        reg = f"register {row.get('address') or '?'} ({row.get('channel') or '?'})"
        return RegisterMapError(f"{where}: field {fld!r} of {reg}: {why}")

    def number(fld: str, default: float, kind=float):
        raw = row.get(fld, "")
        if not raw:
            return default
        try:
            value = kind(raw)
        except ValueError:
            raise fail(fld, f"{raw!r} is not a {'whole ' if kind is int else ''}number") from None
        if kind is float and not math.isfinite(value):
            raise fail(fld, f"{raw!r} is not finite")
        return value

    channel = row.get("channel", "")
    if not channel:
        raise fail("channel", "is missing")
    if channel != CLOCK and channel not in BY_NAME:
        raise fail("channel", f"unknown channel {channel!r} (known: {', '.join(BY_NAME)}, clock)")
    if not row.get("address"):
        raise fail("address", "is missing")
    address = number("address", 0, int)
    table = row.get("table") or "holding"
    if table not in TABLES:
        raise fail("table", f"{table!r}: one of {', '.join(TABLES)}")
    signed = row.get("signed", "")
    if signed and signed not in ("0", "1", "true", "false", "yes", "no"):
        raise fail("signed", f"{signed!r}: 1 or 0")
    default_type = ("bool" if table in BIT_TABLES else "uint32" if channel == CLOCK
                    else "int16" if signed in ("1", "true", "yes") else "uint16")
    typ = row.get("type") or default_type
    if typ not in TYPES:
        raise fail("type", f"{typ!r}: one of {', '.join(TYPES)}")
    if (typ == "bool") != (table in BIT_TABLES):
        raise fail("type", f"{typ!r} in table {table!r}: coils and discrete inputs are bool, registers are not")
    orders = {}
    for fld in ("word_order", "byte_order"):
        orders[fld] = row.get(fld) or "big"
        if orders[fld] not in ORDERS:
            raise fail(fld, f"{orders[fld]!r}: big or little")
    bit = row.get("bit", "")
    bit_n: int | None = None
    if bit:
        bit_n = number("bit", 0, int)
        if table in BIT_TABLES or TYPES[typ][0] != 1 or not 0 <= bit_n <= 15:
            raise fail("bit", "a bit field is bit 0..15 of a 16-bit holding or input register")
    scale = number("scale", 1.0)
    if scale == 0:
        raise fail("scale", "must not be 0")
    offset = number("offset", 0.0)
    words = 1 if table in BIT_TABLES or bit_n is not None else TYPES[typ][0]
    if not 0 <= address or address + words - 1 > 65535:
        raise fail("address", f"{address} outside 0..65535 (a {typ} needs {words} register(s))")
    sentinel = row.get("sentinel", "")
    sentinel_n: int | None = None
    if sentinel:
        if typ == "float32":
            raise fail("sentinel", "a float32 reports a missing value as NaN; leave it empty")
        sentinel_n = number("sentinel", 0, int)
    reg = Register(address=address, channel=channel, unit=row.get("unit", ""), scale=scale,
                   signed=TYPES[typ][2], sentinel=sentinel_n, table=table, type=typ, offset=offset,
                   word_order=orders["word_order"], byte_order=orders["byte_order"], bit=bit_n)
    if sentinel_n is not None and not reg.raw_min <= sentinel_n <= reg.raw_max and not (
            words == 1 and -32768 <= sentinel_n <= 65535):
        raise fail("sentinel", f"{sentinel_n} does not fit a {typ}")
    listed = row.get("values", "")
    if listed:
        pairs = []
        named = _NAMED.get(channel, {})
        for item in filter(None, (p.strip() for p in listed.split(";"))):
            raw_s, eq, value_s = item.partition("=")
            try:
                raw_v = int(raw_s)
            except ValueError:
                raise fail("values", f"{item!r}: expected raw=value, raw a whole number") from None
            if not eq:
                raise fail("values", f"{item!r}: expected raw=value")
            if value_s in named:
                value = named[value_s]
            else:
                try:
                    value = float(value_s)
                except ValueError:
                    names = ", ".join(named) or "numbers only"
                    raise fail("values", f"{item!r}: {value_s!r} is not a value of {channel} ({names})") from None
            pairs.append((raw_v, value))
        raws = [r for r, _ in pairs]
        if len(set(raws)) != len(raws):
            raise fail("values", "a raw value is listed twice")
        reg = Register(**{**reg.__dict__, "values": tuple(pairs), "alarms": channel == "error_code"})
    return reg


def _check_overlaps(name: str, regs: list[Register]) -> None:
    used: dict[tuple[str, int], Register] = {}
    for r in regs:
        for a in range(r.address, r.last + 1):
            other = used.get((r.table, a))
            if other is not None and not (r.bit is not None and other.bit is not None and r.bit != other.bit):
                raise RegisterMapError(f"{name}: register {a} ({r.table}) used by both {other.channel!r} and "
                                       f"{r.channel!r}")
            used[(r.table, a)] = r
