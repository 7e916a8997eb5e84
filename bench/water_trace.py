"""The water-side evidence of chosen pumps every few hours: the flow's level and its ratio to the
learned flow, delta-T's and the COP's, and the flow meter's test (flow_meter.levels), beside the events.

    python bench/water_trace.py SCENARIO hp-001,hp-007 [--every-h 6] [--stride 5]

For diagnosis only (what the rules read when low_water_flow or the meter's notice is raised); it runs
the pumps as bench/lead_time.py does and records each chunk's ready rows before the rules read them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import lead_time  # noqa: E402

from heatwatch.edge.heatpump import flow_meter  # noqa: E402
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES  # noqa: E402
from heatwatch.edge.pipeline import PumpPipeline  # noqa: E402
from heatwatch.sim.scenario import load_scenario  # noqa: E402
from heatwatch.units import DAY, HOUR  # noqa: E402

_F, _DT, _COP = (TARGET_NAMES.index(n) for n in ("flow_lpm", "delta_t", "cop"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario")
    ap.add_argument("devices")
    ap.add_argument("--every-h", type=float, default=6.0)
    ap.add_argument("--stride", type=int, default=5)
    ap.add_argument("--save", help="also keep every ready row (and the events) of each pump here (pickle)")
    opts = ap.parse_args()
    rows: dict[str, list] = {}
    original = PumpPipeline._after_batch

    def recording(self, res):
        if len(res) and res.ready.any():
            i = np.flatnonzero(res.ready)
            S = res.S[i] if res.S is not None else np.broadcast_to(self.detector.alarm, res.R[i].shape)
            meter, _ = flow_meter.levels(res.O[i], res.R[i], S)
            L = res.R[i] / S
            for k, j in enumerate(i):
                rows.setdefault(self.device, []).append(
                    (float(res.ts[j]), L[k, _F], res.O[j, _F] / (res.O[j, _F] - res.R[j, _F]), L[k, _DT],
                     res.O[j, _DT], res.R[j, _DT], L[k, _COP], meter[k, 0], S[k, _DT], S[k, _F]))
        return original(self, res)

    PumpPipeline._after_batch = recording
    devices = opts.devices.split(",")
    outs = lead_time.run_scenario(opts.scenario, step_stride=opts.stride, devices=devices)
    sc = load_scenario(opts.scenario)
    if opts.save:
        import pickle
        with open(opts.save, "wb") as fh:
            pickle.dump({"start": sc.start_ts, "rows": {d: np.array(r) for d, r in rows.items()},
                         "outcomes": [o.to_dict() for o in outs]}, fh)
    for o in outs:
        print(f"== {o.device} {o.fault or 'healthy'} onset {((o.onset_ts or sc.start_ts) - sc.start_ts) / DAY:.1f}")
        for e in o.events:
            if e.kind.value in ("fault", "sensor_fault", "fault_cleared", "sensor_fault_cleared"):
                print(f"   ev {(e.ts - sc.start_ts) / DAY:6.2f} {e.kind.value} {e.fault} {(e.explanation or '')[:50]}")
        last = -1e18
        for r in rows.get(o.device, []):
            if r[0] - last < opts.every_h * HOUR:
                continue
            last = r[0]
            print(f"  d{(r[0] - sc.start_ts) / DAY:6.2f} flowL {r[1]:6.2f} ratio {r[2]:5.3f} dTL {r[3]:6.2f} "
                  f"dT {r[4]:5.2f} rdT {r[5]:+5.2f} copL {r[6]:6.2f} meterL {r[7]:6.2f} sdT {r[8]:.2f} sF {r[9]:.2f}")


if __name__ == "__main__":
    main()
