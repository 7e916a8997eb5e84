"""A chunk's results when it was scored in parts (PumpPipeline._provisional_batch: a fleet-judged
pump whose commissioning window fell due mid-chunk), joined only when read.

The parts are the batch before the due reading, that reading's HeatPumpResult and the batch after
it. Joined, they are ``BatchResults.from_results`` of all their rows, one HeatPumpResult made per
row: some 3 % of a season replay's pipeline CPU (py-spy), although a replay that keeps only the
events (``heatwatch eval``, bench/site_season.py) never reads them. ``JoinedResults`` keeps the
parts and makes that same object the first time anything of it is read.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from heatwatch.edge.heatpump.detector import BatchResults, HeatPumpResult
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES

Part = BatchResults | list[HeatPumpResult]


def join(parts: list[Part], n_channels: int) -> BatchResults:
    """The parts' rows as one BatchResults (from_results), in order."""
    rows = [r for part in parts for r in part]
    n, n_t = len(rows), len(TARGET_NAMES)
    return BatchResults.from_results(rows, np.array([r.values for r in rows]).reshape(n, n_channels),
                                     np.array([r.derived for r in rows]).reshape(n, -1),
                                     np.array([r.targets for r in rows]).reshape(n, n_t))


class JoinedResults(BatchResults):
    """``join(parts, n_channels)``, made on the first read of any of its attributes (its arrays,
    ``len``, a row, ``hasattr(_, "_results")``): then it is that object in every field.

    The parts must not change meanwhile: their arrays are the detector's own for that chunk
    (the readings cleaned into copies), never written after scoring."""

    def __init__(self, parts: list[Part], n_channels: int) -> None:  # noqa: D107 (BatchResults' fields come later)
        self.__dict__["_unjoined"] = (parts, n_channels)

    def __getattr__(self, name: str) -> Any:
        # only asked for what the instance does not hold yet: every field until joined
        d = self.__dict__
        if name.startswith("__") or "_unjoined" not in d:
            raise AttributeError(name)
        d.update(join(*d.pop("_unjoined")).__dict__)
        return getattr(self, name)
