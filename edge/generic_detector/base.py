"""The one detector interface: ``update`` per sample on the device, ``score`` per array for replay.

Both entry points run the same algorithm and return the same numbers; the
state a detector carries between samples is explicit (``state_dict``) so an
agent that restarts resumes where it stopped instead of re-learning.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from heatwatch.edge.generic_detector.result import BatchResult, DetectorResult


class Detector(Protocol):
    def fit(self, X: np.ndarray, ts: np.ndarray | None = None) -> BatchResult:
        """Learn healthy behaviour from rows assumed healthy."""
        ...

    def update(self, x: np.ndarray, ts: float) -> DetectorResult:
        """Score one sample and advance the state (O(F²), no allocation-heavy work)."""
        ...

    def score(self, X: np.ndarray, ts: np.ndarray | None = None) -> BatchResult:
        """Score many samples at once; identical to ``update`` in a loop, state included."""
        ...

    def state_dict(self) -> dict[str, np.ndarray]: ...

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None: ...
