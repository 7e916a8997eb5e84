"""What ingest did, counted per worker: accepted per stream, refused per reason.

Counts are for operators (logs now, Prometheus later) and per process; what
correctness needs (which events and seqs were seen) is in the database.
"""

from __future__ import annotations

import threading
from collections import Counter


class IngestCounters:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def add(self, key: str, n: int = 1) -> None:
        with self._lock:
            self._counts[key] += n

    def get(self, key: str) -> int:
        with self._lock:
            return self._counts[key]

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._counts.items()))
