"""The generic detector's interface: ``update`` per sample on the device, ``score`` per array for replay.

Both entry points run the same algorithm and return the same numbers; the
state a detector carries between samples is explicit (``state``) so a
process that restarts resumes where it stopped instead of re-learning.

Time comes first, as everywhere in heatwatch (the heat-pump detector's
``update(ts, x)``/``score(ts, X)``, the pipeline, the agent): ``update(ts, x)``,
``score(ts, X)``, ``fit(ts, X)``. A series without a time column passes
``ts=None`` to ``score`` and ``fit`` and its rows are numbered 0, 1, ...

State, the heatwatch convention (rule engine, heat-pump detector and its
pieces, the agent's state file): ``state()`` returns a JSON-safe dict (numbers,
bools, strings, lists, dicts; arrays as nested lists via ``tolist()``, NaN and
±inf as Python's json writes them) and ``load_state(d)`` takes that dict back.
Lists, not arrays, so a state goes into a JSON file as it is; floats survive
json exactly, so a restored detector continues bit for bit. Every piece with
state of its own (expectation model, sensor checks, alarm decision, wander)
has the pair too, and the detector nests their states under their names.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from heatwatch.edge.generic_detector.result import BatchResult, HealthyBehaviourResult


class Stateful(Protocol):
    def state(self) -> dict:
        """Everything needed to resume, JSON-safe."""
        ...

    def load_state(self, state: dict) -> None:
        """Resume from what ``state()`` returned."""
        ...


class Detector(Stateful, Protocol):
    def fit(self, ts: np.ndarray | None, X: np.ndarray) -> BatchResult:
        """Learn healthy behaviour from rows assumed healthy."""
        ...

    def update(self, ts: float, x: np.ndarray) -> HealthyBehaviourResult:
        """Score one sample and advance the state (O(F²), no allocation-heavy work)."""
        ...

    def score(self, ts: np.ndarray | None, X: np.ndarray) -> BatchResult:
        """Score many samples at once; identical to ``update`` in a loop, state included."""
        ...
