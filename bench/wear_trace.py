"""What the compressor-wear evidence of one pump looked like, day by day (why a wear is named late).

Replays a scenario's pumps as bench/lead_time.py does (chunks of four days, its stride) and prints,
per half day, the weather, the compressor's operating point and the levels the wear rules read:
the efficiency measures (compression_loss, compression_current: their relative shift, the alarm
they are judged against widened by the prediction's uncertainty, the level), the design day's
headroom and the loss's level over it (with the scenario's design temperature), the learned shifts of
discharge superheat, COP, current and power, and the excluding channels' levels, at the half day's
last rule row; the share of its steady rows with the discharge held at the derate's step-down
temperature, and the mean valve opening (a derated wear read as a leak: bench/heldout28_cold.md). The
first raise of each fault and the trips are marked.

    python bench/wear_trace.py [--stride 5] [--every 12] SCENARIO hp-003 [hp-005 ...]
"""

from __future__ import annotations

import argparse
import math

import numpy as np

from heatwatch.channels import INDEX
from heatwatch.edge.heatpump.detector import HeatPumpDetectorConfig
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
from heatwatch.edge.pipeline import PumpPipeline
from heatwatch.eval.fleet_prior import scenario_design_c, with_design
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import load_scenario
from heatwatch.units import DAY, HOUR

DERATE_PINNED_C = 109.0  # a steady discharge at or above this is held by the derate (it starts at 110 °C)
LEARNED = ("discharge_superheat", "cop", "compressor_a", "power_w", "superheat", "eev_pct", "flow_lpm",
           "evap_sat_gap", "cond_sat_gap")


def trace(name: str, devices: list[str], stride: int = 5, every_h: float = 12.0) -> dict[str, list[dict]]:
    """Per device, one row per ``every_h`` hours: the evidence at its last steady reading."""
    scenario = load_scenario(name)
    out: dict[str, list[dict]] = {}
    for part in scenario.site_scenarios():
        mine = [d for d in devices if d in part.device_ids]
        if mine:
            out.update(_trace_part(part, mine, stride, every_h))
    return out


def _trace_part(scenario, devices: list[str], stride: int, every_h: float) -> dict[str, list[dict]]:
    fleet = Fleet(scenario)
    config = HeatPumpDetectorConfig(refrigerant=scenario.refrigerant)
    cols = {d: fleet.devices.index(d) for d in devices}
    design_c = scenario_design_c(scenario)
    pipes = {d: PumpPipeline.with_config(d, with_design(config, float(fleet.params.q_nom[j]), design_c))
             for d, j in cols.items()}
    rows: dict[str, list[dict]] = {d: [] for d in devices}
    t0 = scenario.start_ts
    for chunk in fleet.chunks(steps=1440 * 4):
        ts = chunk.ts[::stride]
        for d, j in cols.items():
            pipe = pipes[d]
            X = chunk.values[::stride, j, :]
            res, events = pipe.process_batch(ts, X)
            comp = pipe.compressor
            shifts = pipe._comp_shifts
            states = shifts.get("states") if shifts else None
            steady = np.flatnonzero(res.steady)
            for b0 in np.arange(ts[0], ts[-1], every_h * HOUR):
                sel = steady[(res.ts[steady] >= b0) & (res.ts[steady] < b0 + every_h * HOUR)]
                if not len(sel):
                    continue
                k = int(sel[-1])
                row = {"day": (b0 - t0) / DAY, "t_out": float(np.nanmean(X[sel, INDEX["t_outdoor"]])),
                       "hz": float(np.nanmean(X[sel, INDEX["compressor_hz"]])),
                       "t_dis_max": float(np.nanmax(X[sel, INDEX["t_discharge"]])),
                       # the inverter's discharge derate holds the discharge at its step-down temperature
                       # (110 °C in firmware_sim) with the frequency cut: the share of steady rows there
                       "pinned": float(np.mean(X[sel, INDEX["t_discharge"]] >= DERATE_PINNED_C)),
                       "eev": float(np.nanmean(X[sel, INDEX["eev_pct"]]))}
                if states is not None and comp is not None and comp.alarm is not None and len(states):
                    st = states[min(np.searchsorted(steady, k), len(states) - 1)]
                    levels = {name: lv for name, lv, _, _ in comp.snapshot_of(st) or ()}
                    for q, (nm, name) in enumerate((("loss", "compression_loss"), ("cur", "compression_current"))):
                        if name in levels:
                            lv = levels[name]
                            row[nm + "_shift"], row[nm + "_lv"] = float(st[q]), lv
                            row[nm + "_scale"] = float(st[q] / lv) if lv else math.nan
                    if "discharge_unexplained" in levels:  # the energy balance's witness (energy_balance.py)
                        row["en_lv"] = levels["discharge_unexplained"]
                        e = comp.energy.st
                        row["en_c"] = float(e[1] / e[0])  # the chunk's last (the state is not kept per row)
                    if "design_discharge" in levels:  # the loss over the design day's headroom (design_headroom.py)
                        row["des_lv"], row["des_head"] = levels["design_discharge"], float(st[10])
                if res.ready[k] and res.S is not None:
                    for c in LEARNED:
                        t = TARGET_NAMES.index(c)
                        row[c] = float(res.R[k, t] / res.S[k, t])
                rows[d].append(row)
            for ev in events:
                if ev.kind.raises or "trip" in ev.kind.value:
                    rows[d].append({"day": (ev.ts - t0) / DAY, "event": f"{ev.kind.value} {ev.fault or ''}"})
    for t in fleet.truth:
        if t.device in rows:
            onset = (t.onset_ts - t0) / DAY if t.onset_ts else None
            trip = (t.trip_ts - t0) / DAY if t.trip_ts else None
            rows[t.device].insert(0, {"day": 0.0, "event": f"truth {t.fault} onset {onset} trip {trip}"})
    return rows


def _fmt(r: dict) -> str:
    if "event" in r:
        return f"{r['day']:6.2f}  ** {r['event']}"
    s = (f"{r['day']:6.2f} {r['t_out']:6.1f}C {r['hz']:5.1f}Hz td{r['t_dis_max']:6.1f} pin{100 * r['pinned']:3.0f}%"
         f" eev{r['eev']:5.1f}")
    if "loss_lv" in r:
        s += (f" | loss {100 * r['loss_shift']:+5.1f}%/{100 * r['loss_scale']:4.1f}% lv{r['loss_lv']:+5.2f}"
              f" cur {100 * r['cur_shift']:+5.1f}%/{100 * r['cur_scale']:4.1f}% lv{r['cur_lv']:+5.2f}")
    if "des_lv" in r:
        s += f" design {100 * r['des_head']:+5.1f}% lv{r['des_lv']:+5.2f}"
    if "en_lv" in r:
        s += f" energy {100 * r['en_c']:+5.1f}% lv{r['en_lv']:+5.2f}"
    if "cop" in r:
        s += " | " + " ".join(f"{c[:6]}{r[c]:+5.2f}" for c in LEARNED)
    return s


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario")
    ap.add_argument("devices", nargs="+")
    ap.add_argument("--stride", type=int, default=5)
    ap.add_argument("--every", type=float, default=12.0, help="hours per printed row")
    a = ap.parse_args()
    for d, rows in trace(a.scenario, a.devices, a.stride, a.every).items():
        print(f"== {d}")
        for r in sorted(rows, key=lambda r: r["day"]):
            print(_fmt(r))


if __name__ == "__main__":
    main()
