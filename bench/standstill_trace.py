"""What a stopped pump's coil reads against its outdoor sensor, day by day (an iced coil or a drifted sensor?).

An outdoor thermistor reading high and a fouled coil move the learned model alike while the
pump runs (docs/edge.md, known limits). At standstill (compressor and fan off, no defrost, for
a while) the coil, the suction line and the saturation temperature of p_low settle toward the
air: a sensor reading high stands above them by its offset, a fouled coil does not. This prints,
per day, the median of t_outdoor - t_evap, t_outdoor - t_suction and t_outdoor - Tsat(p_low) over
the standstill readings taken at least ``--settle`` minutes after the last running or defrosting
minute (at the agent's poll), their count, the defrost starts and minutes, and the fault's truth.

    python bench/standstill_trace.py [--poll 5] [--settle 5] SCENARIO hp-096 [hp-002 ...]
"""

from __future__ import annotations

import argparse

import numpy as np

from heatwatch.channels import INDEX
from heatwatch.refrigerant import t_sat_array
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import load_scenario
from heatwatch.units import DAY


def settled_standstill(values: np.ndarray, settle_steps: int) -> np.ndarray:
    """Which rows (of one pump's (n, channels) readings) are settled standstill: compressor and fan
    off, no defrost, and so for the last ``settle_steps`` rows too."""
    off = (values[:, INDEX["compressor_hz"]] <= 0.0) & (values[:, INDEX["fan_rpm"]] <= 0.0) \
        & ~(values[:, INDEX["defrost"]] > 0.5)
    last_on = np.maximum.accumulate(np.where(~off, np.arange(len(off)), -settle_steps - 1))
    return off & (np.arange(len(off)) - last_on > settle_steps)


def trace(name: str, devices: list[str], poll_min: int, settle_min: int) -> dict[str, list[str]]:
    scenario = load_scenario(name)
    out: dict[str, list[str]] = {}
    for part in scenario.site_scenarios():
        mine = [d for d in devices if d in part.device_ids]
        if not mine:
            continue
        fleet = Fleet(part)
        step_min = part.step_s / 60.0
        stride = max(1, int(round(poll_min / step_min)))
        cols = {d: fleet.devices.index(d) for d in mine}
        rows = {d: [] for d in mine}
        carry: dict[str, np.ndarray] = {}
        t0 = part.start_ts
        for chunk in fleet.chunks(steps=int(round(DAY / part.step_s))):  # one day per chunk
            day = (chunk.ts[0] - t0) / DAY
            for d, j in cols.items():
                X = chunk.values[:, j, :]
                prev = carry.get(d)
                full = X if prev is None else np.concatenate([prev, X])
                settled = settled_standstill(full, int(settle_min / step_min))[-len(X):]
                carry[d] = X[-int(settle_min / step_min) - 1:]
                sel = np.flatnonzero(settled)[::stride]
                t_out = X[sel, INDEX["t_outdoor"]]
                g_evap = np.nanmedian(t_out - X[sel, INDEX["t_evap"]]) if len(sel) else np.nan
                g_suc = np.nanmedian(t_out - X[sel, INDEX["t_suction"]]) if len(sel) else np.nan
                g_sat = np.nanmedian(t_out - t_sat_array(X[sel, INDEX["p_low"]], part.refrigerant)) \
                    if len(sel) else np.nan
                dfr = X[:, INDEX["defrost"]] > 0.5
                starts = int(np.sum(dfr[1:] & ~dfr[:-1]))
                running = X[:, INDEX["compressor_hz"]] > 0
                tripped = bool(chunk.tripped[:, j].any())
                rows[d].append(f"{day:6.1f} t_out {np.nanmean(X[:, INDEX['t_outdoor']]):6.1f}  standstill n={len(sel):3d}"
                               f"  out-evap {g_evap:+6.2f}  out-suction {g_suc:+6.2f}  out-Tsat(p_low) {g_sat:+6.2f}"
                               f"  defrost {starts:2d} starts {int(dfr.sum() * step_min):4d} min"
                               f" ({dfr.sum() * step_min / starts if starts else np.nan:4.1f}/start)"
                               f"  run {int(running.sum() * step_min):4d} min"
                               f"{'  TRIPPED' if tripped else ''}")
        for t in fleet.truth:
            if t.device in rows:
                onset = (t.onset_ts - t0) / DAY if t.onset_ts else None
                trip = (t.trip_ts - t0) / DAY if t.trip_ts else None
                rows[t.device].insert(0, f"truth {t.fault} onset {onset} trip {trip}")
        out.update(rows)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario")
    ap.add_argument("devices", nargs="+")
    ap.add_argument("--poll", type=int, default=5, help="the agent's poll, minutes")
    ap.add_argument("--settle", type=int, default=5, help="minutes stopped before a reading counts")
    a = ap.parse_args()
    for d, rows in trace(a.scenario, a.devices, a.poll, a.settle).items():
        print(f"== {d}")
        print("\n".join(rows))


if __name__ == "__main__":
    main()
