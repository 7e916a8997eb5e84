"""bench/lead_time.py with the window's dates recalibrated toward the calibration fleets' typical horizon
(start_history.AGE_HORIZON off: the s-raisedate33 code), for the comparison in bench/heldout41_raisedate.md.

    python bench/raise_dates_fleet_horizon.py --stride 5 --save F.json SCENARIO
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from heatwatch.edge.heatpump import start_history  # noqa: E402

import lead_time  # noqa: E402

if __name__ == "__main__":
    start_history.AGE_HORIZON = False
    sys.argv[0] = "lead_time.py"
    a = lead_time._arguments()
    lead_time.main(a.scenarios, stride=a.stride, save=a.save)
