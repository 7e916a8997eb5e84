"""bench/prognosis_in_force.py --by-left: the half-days in force split by the real time left."""

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import prognosis_in_force  # noqa: E402


def test_half_days_fall_in_their_band_and_misses_are_told_early_or_late():
    logs = {"condenser_fouling": [(1.0, 0.0), (1.5, -2.0), (3.0, 1.5), (20.0, 2.0), (20.0, 0.5), (40.0, -0.5)]}
    lines = prognosis_in_force.by_left(logs)
    assert len(lines) == 1
    cells = lines[0].split(" | ")
    assert cells[0].endswith("0-2d n=2 50% early 0 late 1")
    assert cells[1] == "2-4d n=1 0% early 1 late 0"
    assert cells[2] == f"16-{math.inf:g}d n=3 67% early 1 late 0"
