"""Read a text file a user named (a scenario, a CSV, a register map), or say plainly that it is not text.

A binary file handed to a command by mistake (a spreadsheet saved as .xlsx,
a gzip, a photo) must end in one line naming the file, not in a
UnicodeDecodeError traceback or in "no columns" from a parser that read
garbage: NUL bytes or bytes that are not UTF-8 mean "not a text file".
"""

from __future__ import annotations

from pathlib import Path

SNIFF_BYTES = 8192  # NUL bytes in this much of a file: binary


class NotTextError(ValueError):
    """The file is not UTF-8 text; the message names it."""


def read_text(path: str | Path, what: str = "file") -> str:
    """The file's text (UTF-8, a byte-order mark dropped). Raises NotTextError for a binary or
    non-UTF-8 file, OSError (which names the path) when it cannot be read."""
    path = Path(path)
    data = path.read_bytes()
    if b"\x00" in data[:SNIFF_BYTES]:
        raise NotTextError(f"{path}: the {what} is a binary file, not text (UTF-8 expected)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise NotTextError(f"{path}: the {what} is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); "
                           "save it as UTF-8") from None
