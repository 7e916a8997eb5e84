"""The generic detector's interface: ``update`` per sample on the device, ``score`` per array for replay.

Both entry points run the same algorithm and return the same numbers; the
state a detector carries between samples is explicit (``state_dict``) so an
agent that restarts resumes where it stopped instead of re-learning.

Time comes first, as everywhere in heatwatch (the heat-pump detector's
``update(ts, x)``/``score(ts, X)``, the pipeline, the agent): ``update(ts, x)``,
``score(ts, X)``, ``fit(ts, X)``. A series without a time column passes
``ts=None`` to ``score`` and ``fit`` and its rows are numbered 0, 1, ...
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from heatwatch.edge.generic_detector.result import BatchResult, DetectorResult


class Detector(Protocol):
    def fit(self, ts: np.ndarray | None, X: np.ndarray) -> BatchResult:
        """Learn healthy behaviour from rows assumed healthy."""
        ...

    def update(self, ts: float, x: np.ndarray) -> DetectorResult:
        """Score one sample and advance the state (O(F²), no allocation-heavy work)."""
        ...

    def score(self, ts: np.ndarray | None, X: np.ndarray) -> BatchResult:
        """Score many samples at once; identical to ``update`` in a loop, state included."""
        ...

    def state_dict(self) -> dict[str, np.ndarray]: ...

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None: ...
