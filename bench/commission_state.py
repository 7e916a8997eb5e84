"""Why a commissioning window stays open: per pump and 4-day chunk, the running and steady share of its
readings, compressor starts, defrost and error-code shares, steady rows collected, fits postponed by the
prior's bands, whether its model is ready, the mean outdoor temperature, the prior's bands at a level of
0.3 or more and the averages it judges, and the events said (agent notices printed in full). Replays as
bench/lead_time.py does (no fleet prior, the scenario's refrigerant and design data).

    python bench/commission_state.py SCENARIO hp-000,hp-008 [DAYS] [STRIDE]

Used for bench/heldout37_window.md: heldout36b's Lisbon hp-000, hp-008, hp-009 had their 1,500 steady
rows by days 30-35; their windows were held open by the prior's bands (postponed thousands of times).
"""

from __future__ import annotations

import sys

import numpy as np

from heatwatch.channels import INDEX
from heatwatch.edge.heatpump.detector import HeatPumpDetectorConfig
from heatwatch.edge.pipeline import PumpPipeline
from heatwatch.eval.fleet_prior import scenario_design_c, with_design
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import load_scenario
from heatwatch.units import DAY

_SHOWN = ("superheat", "subcooling", "cop", "evap_approach", "cond_approach", "t_discharge", "flow_lpm")


def main(name: str, devs: list[str], days: float = 72.0, stride: int = 5) -> None:
    sc = load_scenario(name)
    fleet = Fleet(sc)
    col = {d: fleet.devices.index(d) for d in devs}
    pipes = {d: PumpPipeline.with_config(d, with_design(HeatPumpDetectorConfig(refrigerant=sc.refrigerant),
                                                        float(fleet.params.q_nom[col[d]]), scenario_design_c(sc)))
             for d in devs}
    t0 = sc.start_ts
    truth = {t.device: f"{t.fault} from day {(t.onset_ts - t0) / DAY:.0f}" for t in fleet.truth}
    for d in devs:
        print(d, truth.get(d, "healthy"), "capacity", fleet.params.q_nom[col[d]], "kW")
    for chunk in fleet.chunks(steps=1440 * 4):
        ts = chunk.ts[::stride]
        if ts[0] - t0 >= days * DAY:
            break
        for d in devs:
            X = chunk.values[::stride, col[d], :]
            det = pipes[d].detector
            res, evs = pipes[d].process_batch(ts, X)
            hz = X[:, INDEX["compressor_hz"]]
            starts = int(((hz[1:] >= 15) & (hz[:-1] < 15)).sum())
            lv = det.prior.levels(float(ts[-1])) if det.model is None else {}
            bands = {k: round(v[0], 2) for k, v in lv.items() if abs(v[0]) >= 0.3}
            obs = {k: round(v[2], 1) for k, v in lv.items() if k in _SHOWN}
            said = ";".join(f"{e.kind.value}:{e.fault}" for e in evs if e.kind.value != "fault_update")
            print(f"{d} day {(ts[-1] - t0) / DAY:5.1f} running {(hz >= 15).mean():.2f} starts {starts:4d} "
                  f"defrost {(X[:, INDEX['defrost']] > 0.5).mean():.3f} error {(X[:, INDEX['error_code']] > 0).mean():.3f} "
                  f"steady {res.steady.mean():.2f} rows {len(det._rows_ts):5d} postponed {det.postponed_fits:5d} "
                  f"ready {det.model is not None} t_outdoor {np.nanmean(X[:, INDEX['t_outdoor']]):5.1f} "
                  f"bands {bands} averages {obs} said {said}")
            for e in evs:
                if e.kind.value == "agent":
                    print("   ", e.fault, e.explanation)


if __name__ == "__main__":
    a = sys.argv[1:]
    main(a[0], a[1].split(","), float(a[2]) if len(a) > 2 else 72.0, int(a[3]) if len(a) > 3 else 5)
