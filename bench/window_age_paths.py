"""bench/lead_time.py with every date made from a commissioning window logged: which path made it and
what it would have said with the fault's age counted from the window's first reading, from its last, or
with the fleets' pivot, and where the window shows the fault's onset, from that onset
(bench/heldout43_agepivot.md, bench/heldout44_onset.md; read by bench/window_age_table.py).

    WINDOW_LOG=F.jsonl python bench/window_age_paths.py --stride 5 --save F.json SCENARIO

Paths: "prior" (named by the prior's bands, no model yet: start_history.window_date), "own start" (the
window refused for its growth and handed to the pump's own start), "healthy" (no fleet, the window
learned as the pump's healthy model). The run's own dates are the code's: nothing but the log is added.
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from heatwatch.edge import pipeline  # noqa: E402
from heatwatch.edge.heatpump import start_history  # noqa: E402
from heatwatch.edge.heatpump.prognosis_calibration import horizon_at_least  # noqa: E402
from heatwatch.units import DAY  # noqa: E402

import lead_time  # noqa: E402

_now: dict = {}


def _days(p, now: float) -> list[float] | None:
    return None if p is None else [(p.predicted_trip_ts - now) / DAY, (p.lower_ts - now) / DAY,
                                   (p.upper_ts - now) / DAY]


def _install(log) -> None:
    predict, scratch_date, dated = (pipeline.PumpPipeline._predict, start_history.scratch_date,
                                    start_history._dated_from_its_age)

    def _predict(self, fault, ts):
        fleet = self.detector.fleet
        _now.update(device=self.device, path="prior" if self._basis == "prior" else
                    "own start" if fleet is not None and fleet.own else "healthy")
        return predict(self, fault, ts)

    def _scratch_date(tracker, fault, now, T, F, Y, model, *args, **kw):
        _now["T"] = T
        return scratch_date(tracker, fault, now, T, F, Y, model, *args, **kw)

    def _dated(scratch, fault, now, born):  # born: the window's times on main (1e13f79), a time after it
        T, cal = (born if hasattr(born, "__len__") else _now["T"]), scratch.calibration
        said = {}
        onset = scratch.evidence_start(fault, now) if hasattr(scratch, "evidence_start") else None
        ages = [("fleets", 0.0), ("from_first", (now - T[0]) / DAY), ("from_last", (now - T[-1]) / DAY)]
        if onset is not None:  # the onset's age (bench/heldout44_onset.md), however the code counts it
            ages.append(("from_onset", (now - min(max(T[0], onset), T[-1])) / DAY))
        for name, age in ages:
            scratch.calibration = horizon_at_least(cal, math.log2(age)) if age > 0 else cal
            said[name] = _days(scratch.predict(fault, now), now)
        scratch.calibration = cal
        p = dated(scratch, fault, now, born)
        log.write(json.dumps({k: _now[k] for k in ("device", "path")} | dict(
            fault=fault, now=now, first=float(T[0]), last=float(T[-1]), issued=_days(p, now),
            onset=None if onset is None else max(float(onset), -1e18),
            born=float(born) if not hasattr(born, "__len__") else float(T[0]), **said)) + "\n")
        log.flush()
        return p

    pipeline.PumpPipeline._predict = _predict
    start_history.scratch_date = _scratch_date
    start_history._dated_from_its_age = _dated


if __name__ == "__main__":
    _install(open(os.environ["WINDOW_LOG"], "a"))
    sys.argv[0] = "lead_time.py"
    a = lead_time._arguments()
    names = a.scenarios or sorted(p.stem for p in (Path(__file__).resolve().parent.parent / "firmware_sim"
                                                   / "scenarios").glob("fault_*.yaml"))
    lead_time.main(names, stride=a.stride, save=a.save)
