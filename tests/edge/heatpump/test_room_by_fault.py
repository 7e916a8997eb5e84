"""Why the derate's room in kelvin stays the worn compressor's (docs/heatpump.md, "The leak's and the
stuck-closed valve's room in kelvin"): a worn compressor's excess is alike on every hour, so its mild hours off
the derate carry the kelvin the heavy hour will gain; a leak's and a stuck-closed valve's is the suction's
superheat, which grows with the hour's load, so in their last two days before the trip their off-derate hours
show well under half the wear's excess and a hottest hour far from the derate. Read here on the evaluation
fleet 2001's fixture (two pumps of each) with bench/room_by_fault.py; fails before that bench existed."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[3]
FIXTURE = ROOT / "tests" / "edge" / "fixtures" / "prognosis_fleet_2001.json.gz"
sys.path.insert(0, str(ROOT / "bench"))
import room_by_fault  # noqa: E402


def test_leak_and_valve_excess_is_not_on_the_mild_hours() -> None:
    pumps = json.loads(gzip.decompress(FIXTURE.read_bytes()))
    _, last = room_by_fault.hours_before_trip(pumps)
    off = {f: a[a[:, 0] == 0] for f, a in last.items()}
    wear = float(np.median(off["compressor_wear"][:, 3]))
    for fault in ("refrigerant_leak", "eev_stuck_closed"):
        excess, hottest = float(np.median(off[fault][:, 3])), float(np.median(off[fault][:, 1]))
        print(fault, excess, hottest, wear)
        assert excess < 0.6 * wear, (fault, excess, wear)
        assert hottest < float(np.median(off["compressor_wear"][:, 1])) - 5.0
