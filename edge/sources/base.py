"""What every edge source is: open, read a Reading, close, and count what went wrong.

One base for all transports (Modbus RTU over serial, MQTT from a pump's own
Wi-Fi module), in the manner of the nibe library's ``Connection``: the agent
loop does not care where a reading came from, only whether a failure is worth
retrying. Errors therefore come in two kinds:

* :class:`SourceRetryableError`: the line or broker is gone for now (pty
  closed, adapter unplugged, broker restarting). Call ``read()`` again; the
  source reconnects with exponential backoff on its own.
* :class:`SourceFatalError`: retrying cannot help (wrong register map, slave
  refuses the address, bad configuration). Stop and tell the operator.

Noise that a healthy line produces now and then (a CRC error, garbage bytes,
one timeout, one malformed MQTT payload) is neither: it is counted in
``counters`` and ``read()`` returns None.

A source hands on what the pump said, parsed: whether a value is plausible and
whether the reading's time follows the last one is judged once, downstream,
for every path (see ``heatwatch.edge.reading``).

Anything else ``read()`` raises (a library bug met by line noise nobody
foresaw) is not allowed to end the agent's watch either: ``readings()``
counts it (``unexpected_errors``), logs it with its traceback, closes the
source so the next read starts on a fresh connection, and goes on after a
growing pause.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections import Counter
from typing import Iterator, Mapping

from heatwatch.backoff import Backoff
from heatwatch.edge.reading import Reading
from heatwatch.edge.reading import vector_from_channels

log = logging.getLogger(__name__)

__all__ = ["Backoff", "Source", "SourceError", "SourceFatalError", "SourceRetryableError"]  # Backoff: heatwatch.backoff


class SourceError(Exception):
    """Base of source errors; never raised as such."""


class SourceRetryableError(SourceError):
    """The source cannot read right now; calling read() again may succeed."""


class SourceFatalError(SourceError):
    """The source can never read with this configuration; stop and report."""


class Source(ABC):
    """A pump reading source. ``counters`` are named for an operator to read."""

    device: str

    @property
    def channels(self) -> tuple[str, ...] | None:
        """The canonical channels this source can ever deliver (a register map's), None = any."""
        return None

    def __init__(self, device: str) -> None:
        self.device = device
        self.counters: dict[str, int] = Counter()
        self.counters["unexpected_errors"] = 0  # a bug, not the line: shown so that 0 can be read

    def reading_from(self, ts: float, channels: Mapping[str, object]) -> Reading:
        """A Reading from a channel -> value mapping; a value that is not a number (a
        string, a bool) is counted (``not_a_number[channel]``) and missing."""
        vec, not_numbers = vector_from_channels(channels)
        for name in not_numbers:
            self.counters[f"not_a_number[{name}]"] += 1
        return Reading(self.device, float(ts), vec)

    @abstractmethod
    def open(self) -> None:
        """Connect; raise SourceRetryableError if the line is not there yet."""

    @abstractmethod
    def close(self) -> None:
        """Release the line; safe to call twice."""

    @abstractmethod
    def read(self) -> Reading | None:
        """The next reading, or None when this attempt yielded nothing (counted)."""

    def readings(self, stop: threading.Event | None = None, retry_pause: float = 0.05) -> Iterator[Reading]:
        """Yield readings until ``stop`` is set; rides out retryable errors, raises fatal ones."""
        stop = stop or threading.Event()
        unexpected = Backoff(initial=0.1, factor=2.0, maximum=5.0)
        while not stop.is_set():
            try:
                reading = self.read()
            except SourceRetryableError:
                time.sleep(retry_pause)
                continue
            except SourceFatalError:
                raise
            except Exception:  # noqa: BLE001 - see the module docstring
                self.counters["unexpected_errors"] += 1
                log.exception("%s: unexpected error reading the source (counted); starting it afresh", self.device)
                try:
                    self.close()
                except Exception:  # noqa: BLE001
                    log.exception("%s: closing the source failed", self.device)
                stop.wait(unexpected.next_delay())
                continue
            unexpected.reset()
            if reading is not None:
                yield reading

    def __enter__(self) -> "Source":
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
