"""What the leak rules' evidence of one pump looked like, per half day (why a leak is named late or never).

Replays one pump of a scenario as bench/lead_time.py does (chunks of four days, its stride) and prints, per
``--every`` hours: the outdoor temperature, frequency, hottest discharge and the share of running rows held
at the derate's step-down temperature, the valve opening (mean, max: its end stop is 100 %), subcooling and
superheat from the raw readings (t_cond - t_liquid, t_suction - t_evap), the share of rows that were steady,
and then the median level (shift / the alarm it is judged against) over the steady judged rows of the
channels the leak rules read. A level that stops moving while the pump runs means its readings lie outside
the operating box the model has seen (detector.learned_envelope): they are not judged. Raises, trips and the
truth are listed after each chunk.

    python bench/leak_trace.py [--stride 5] [--every 12] SCENARIO hp-003

Used on heldout28c_cold_oulu_r290 hp-003 (docs/simulator.md, "A leak learned at commissioning").
"""

from __future__ import annotations

import argparse

import numpy as np

from heatwatch.channels import INDEX
from heatwatch.edge.heatpump.detector import HeatPumpDetectorConfig
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
from heatwatch.edge.pipeline import PumpPipeline
from heatwatch.eval.fleet_prior import scenario_design_c, with_design
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import load_scenario
from heatwatch.units import DAY, HOUR

CHANNELS = ("eev_pct", "subcooling", "evap_approach", "superheat", "p_low", "t_discharge", "fan_rpm",
            "flow_lpm", "cond_approach", "cop")
DERATE_PINNED_C = 109.0  # as bench/wear_trace.py: the derate steps down from 110 °C


def _raw(X: np.ndarray, on: np.ndarray) -> str:
    def col(name: str) -> np.ndarray:
        return X[on, INDEX[name]]
    return (f"{np.nanmean(col('t_outdoor')):6.1f} {np.nanmean(col('compressor_hz')):5.1f} "
            f"{np.nanmax(col('t_discharge')):6.1f} {100 * np.mean(col('t_discharge') >= DERATE_PINNED_C):4.0f} "
            f"{np.nanmean(col('eev_pct')):5.1f} {np.nanmax(col('eev_pct')):5.1f} "
            f"{np.nanmean(col('t_cond') - col('t_liquid')):5.2f} {np.nanmean(col('t_suction') - col('t_evap')):5.2f}")


def trace(name: str, device: str, stride: int = 5, every_h: float = 12.0) -> list[str]:
    """One line per ``every_h`` hours, then each chunk's events, then the truth."""
    scenario = next(p for p in load_scenario(name).site_scenarios() if device in p.device_ids)
    fleet = Fleet(scenario)
    j = fleet.devices.index(device)
    config = with_design(HeatPumpDetectorConfig(refrigerant=scenario.refrigerant), float(fleet.params.q_nom[j]),
                         scenario_design_c(scenario))
    pipe = PumpPipeline.with_config(device, config)
    t0 = scenario.start_ts
    out = ["   day   tout    hz  tdmax pin%   eev eevmx    sc    sh stdy% | " + " ".join(c[:7] for c in CHANNELS)]
    targets = [TARGET_NAMES.index(c) for c in CHANNELS]
    for chunk in fleet.chunks(steps=1440 * 4):
        ts = chunk.ts[::stride]
        X = chunk.values[::stride, j, :]
        res, events = pipe.process_batch(ts, X)
        for b0 in np.arange(ts[0], ts[-1], every_h * HOUR):
            in_bin = (res.ts >= b0) & (res.ts < b0 + every_h * HOUR)
            on = np.flatnonzero(in_bin & (X[:, INDEX["compressor_hz"]] > 0))
            line = f"{(b0 - t0) / DAY:6.2f} "
            if not len(on):
                out.append(line + "  off")
                continue
            steady = np.flatnonzero(res.steady & in_bin)
            line += _raw(X, on) + f" {100 * len(steady) / max(1, int(in_bin.sum())):4.0f} |"
            judged = steady[res.ready[steady]] if len(steady) else steady
            if len(judged) and res.S is not None:
                levels = res.R[np.ix_(judged, targets)] / res.S[np.ix_(judged, targets)]
                line += "".join(f" {v:+6.2f}" for v in np.nanmedian(levels, axis=0))
            out.append(line)
        out += [f"{(ev.ts - t0) / DAY:6.2f} ** {ev.kind.value} {ev.fault or ''}" for ev in events]
    out += [f"truth {t.fault} onset {(t.onset_ts - t0) / DAY:.2f} d, trip "
            f"{'none' if t.trip_ts is None else f'{(t.trip_ts - t0) / DAY:.2f} d ({t.trip_kind})'}"
            for t in fleet.truth if t.device == device]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario")
    ap.add_argument("device")
    ap.add_argument("--stride", type=int, default=5)
    ap.add_argument("--every", type=float, default=12.0, help="hours per printed row")
    a = ap.parse_args()
    print("\n".join(trace(a.scenario, a.device, a.stride, a.every)))


if __name__ == "__main__":
    main()
