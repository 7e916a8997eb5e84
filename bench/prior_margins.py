"""How close healthy pumps come to the prior's design bands while the prior judges them.

Without a fleet, a pump's first days are judged against its design data (edge/heatpump/prior.py):
superheat against the valve controller's setpoint, water flow against the design flow. Each
healthy pump of each scenario runs through the detector with its pump model's design data (its
model's capacity, as bench/lead_time.py and the eval configure it) for the first DAYS days at a
5-minute poll; printed per scenario: the lowest hours-averaged superheat, flow / design flow and delta-T any
healthy pump showed while not yet learned, and the largest prior level on any channel (0 = inside
every band; a rule reads 1). And the water thermistors' physics bounds (water_physics.py): the
largest excess (K; below 0 inside the bound, a notice's level 1 at +1 K) any healthy pump's
hours-long averages showed on any row, before its model (the prior's averages) and after it (the
learned shift's averages, the same time constant): every weather the scenario has, not only the
prior's first days. With the pump's design flow, the clean condenser's witnesses (water_witness.py)
likewise. A scenario with sites runs site by site, each site's pumps with its
refrigerant.

    python bench/prior_margins.py [--days 21] SCENARIO ...
"""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np

from heatwatch.edge.heatpump import water_physics, water_witness
from heatwatch.edge.heatpump.detector import HeatPumpDetector, HeatPumpDetectorConfig
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
from heatwatch.eval.fleet_prior import with_design
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import Scenario, load_scenario
from heatwatch.units import DAY

J_SH, J_FLOW, J_DT = (TARGET_NAMES.index(n) for n in ("superheat", "flow_lpm", "delta_t"))


def margins(name: str, days: float) -> dict:
    sc = load_scenario(name)
    sc = dataclasses.replace(sc, duration_s=min(sc.duration_s, days * DAY))
    out = {"pumps": 0, "min_superheat": (np.inf, ""), "min_flow_share": (np.inf, ""), "min_delta_t": (np.inf, ""), "max_level": (0.0, ""),
           **{f"max_{n}": (-np.inf, "") for n in (*water_physics.NAMES, *water_witness.NAMES)}}
    for site in sc.site_scenarios():
        _site_margins(site, out)
    return out


def _site_margins(sc: Scenario, out: dict) -> None:
    """One site's healthy pumps (a scenario without sites: its own), judged with its refrigerant, into ``out``."""
    fleet = Fleet(sc)
    faulty = {t.device for t in fleet.truth}
    dets = {d: HeatPumpDetector(with_design(HeatPumpDetectorConfig(refrigerant=sc.refrigerant),
                                            float(fleet.params.q_nom[j])))
            for j, d in enumerate(fleet.devices) if d not in faulty}
    out["pumps"] += len(dets)
    for chunk in fleet.chunks(steps=1440 * 4):
        for j, d in enumerate(fleet.devices):
            if d not in dets:
                continue
            det = dets[d]
            res = det.score(chunk.ts[::5], chunk.values[::5, j, :])
            ex = water_physics.excess(res.O)
            if det.prior.witness is not None:  # the clean condenser's witnesses (a design flow given)
                ex = np.concatenate([ex, det.prior.witness.excess(res.O)], axis=1)
            for k, n in enumerate((*water_physics.NAMES, *water_witness.NAMES)[:ex.shape[1]]):
                v = ex[:, k][~np.isnan(ex[:, k])]
                if len(v) and v.max() > out[f"max_{n}"][0]:
                    out[f"max_{n}"] = (float(v.max()), d)
            judged = ~res.ready
            if not judged.any():
                continue
            formed, L = det.prior.levels_rows(res.ts[judged], res.O[judged])
            avg, L = res.O[judged][formed], L[formed]
            for key, v in (("min_superheat", avg[:, J_SH]), ("min_flow_share", avg[:, J_FLOW] / det.config.design.flow_lpm),
                           ("min_delta_t", avg[:, J_DT])):
                v = v[~np.isnan(v)]
                if len(v) and v.min() < out[key][0]:
                    out[key] = (float(v.min()), d)
            a = np.abs(L[~np.isnan(L)])
            if len(a) and a.max() > out["max_level"][0]:
                out["max_level"] = (float(a.max()), d)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenarios", nargs="+")
    ap.add_argument("--days", type=float, default=21.0)
    opts = ap.parse_args()
    for name in opts.scenarios:
        m = margins(name, opts.days)
        print(f"{name}: {m['pumps']} healthy pumps; lowest superheat average {m['min_superheat'][0]:.2f} K "
              f"({m['min_superheat'][1]}), lowest flow {m['min_flow_share'][0]:.2f} of design "
              f"({m['min_flow_share'][1]}), lowest delta-T average {m['min_delta_t'][0]:.2f} K ({m['min_delta_t'][1]}), "
              f"largest prior level {m['max_level'][0]:.2f} {m['max_level'][1]}; water physics, largest excess: "
              + ", ".join(f"{n} {m['max_' + n][0]:+.2f} K ({m['max_' + n][1]})"
                          for n in (*water_physics.NAMES, *water_witness.NAMES)), flush=True)


if __name__ == "__main__":
    main()
