"""One pump's evaporator fouling index per day beside the weather, the frost and the true fouling.

    python bench/evap_index_trace.py [--scenario service_area_200] [--site stockholm] [--device hp-016]

Why: the suction chain (edge/heatpump/prognosis_evap_chain.py) reads the fouling from the approach's
relative excess c = residual / healthy approach, one value a day. When c stalls the chain's date runs
out. This replays one site's season as the eval does (the same chunks, poll and fleet prior) but runs
only the one pump's agent, records every c the prognosis computes (the latest value of each day wins:
it saw the whole day), and prints per day beside it what the simulator knows and the agent does not:
the outdoor air (mean, and over the running hours), its humidity, defrost starts and minutes, the coil
temperature and the true approach on running hours outside defrosts, the frost on the coil, and the
pump's true fouling severity (the scenario's growth law). For diagnosis only: nothing here feeds the agent.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import pickle  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from heatwatch.sim.refrigerant_cycle import AIR_FLOOR  # noqa: E402
from heatwatch.units import DAY, HOUR  # noqa: E402


def daily_means(ts: np.ndarray, x: np.ndarray, mask: np.ndarray | None = None) -> dict[int, float]:
    """{UTC day number: mean of x over that day's samples where mask holds}; days without one left out."""
    ts, x = np.asarray(ts, dtype=float), np.asarray(x, dtype=float)
    if ts.shape != x.shape:
        raise ValueError(f"times {ts.shape} and values {x.shape} differ in shape")
    ok = np.isfinite(x) if mask is None else (np.asarray(mask, dtype=bool) & np.isfinite(x))
    day = (ts[ok] // DAY).astype(np.int64)
    if not len(day):
        return {}
    keys, inv = np.unique(day, return_inverse=True)
    s = np.bincount(inv, weights=x[ok])
    n = np.bincount(inv)
    return dict(zip(keys.tolist(), (s / n).tolist()))


def approach_factor(sev: np.ndarray, phase: np.ndarray) -> np.ndarray:
    """The simulator's widening of the coil's approach at fouling ``sev`` and frost ``phase`` (0..1).

    A copy of refrigerant_cycle.running_cycle's air and frost terms (diagnosis only: the agent never
    sees it): approach / healthy approach at the same load and fan command."""
    sev, phase = np.asarray(sev, dtype=float), np.asarray(phase, dtype=float)
    s = np.minimum(sev, 1.5)
    ice = 0.8 * np.clip((sev - 0.5) / 0.5, 0.0, 1.6) ** 2 * (0.6 + 0.4 * phase)
    air = np.maximum((1.0 - 0.3 * s) * (1.0 - 0.35 * s) * (1.0 - ice), AIR_FLOOR)
    return (1.0 + 0.35 * phase) / air


def daily_index_parts(cols: tuple[np.ndarray, ...], i_app: int) -> dict[int, tuple[float, float, float]]:
    """{day: (mean residual K, mean healthy approach K, c)} as daily_fouling reads them (its hours, its filter)."""
    from heatwatch.edge.heatpump.prognosis_evap_chain import MIN_APPROACH_K, MIN_DAY_HOURS

    t, M, HI, LO = cols
    res = M[:, i_app]
    healthy = 0.5 * (HI[:, i_app] + LO[:, i_app]) - res
    ok = np.isfinite(res) & np.isfinite(healthy) & (healthy >= MIN_APPROACH_K)
    r, h = daily_means(t, res, ok), daily_means(t, healthy, ok)
    day = (t[ok] // DAY).astype(np.int64)
    counts = dict(zip(*np.unique(day, return_counts=True)))
    return {d: (r[d], h[d], r[d] / h[d]) for d in r if counts[d] >= MIN_DAY_HOURS}


def main() -> None:
    from heatwatch.edge.heatpump import prognosis
    from heatwatch.eval import worker
    from heatwatch.eval.fleet_prior import cohort_prior_of, earlier_cohort_priors
    from heatwatch.eval.partitions import parts_of
    from heatwatch.sim import climate
    from heatwatch.sim.fleet import Fleet
    from heatwatch.sim.plant import emitter_types
    from heatwatch.sim.scenario import load_scenario

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="service_area_200")
    ap.add_argument("--site", default="stockholm")
    ap.add_argument("--device", default="hp-016")
    ap.add_argument("--poll", type=float, default=5.0, help="minutes between readings")
    ap.add_argument("--from-day", type=float, default=None, help="print from this scenario day (default: 5 days before onset)")
    a = ap.parse_args()
    sc = load_scenario(a.scenario)
    parts = [p for p in parts_of([sc]) if p.site == a.site]
    if not parts:
        raise SystemExit(f"error: {a.scenario} has no site {a.site!r}")
    part = parts[0]
    poll = a.poll * 60
    pk = Path(f"/tmp/heatwatch-priors-{a.scenario}-{a.site}-None-{a.poll:g}.pkl")  # bench/site_season.py's
    sc_p = part.scenario
    priors = pickle.loads(pk.read_bytes()) if pk.exists() else \
        earlier_cohort_priors([sc_p], stride=worker.stride_for(sc_p.step_s, poll))

    weather: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    sample = climate.Weather.sample

    def kept_sample(self, ts):  # noqa: ANN001, ANN202
        t_out, rh = sample(self, ts)
        weather.append((ts, t_out, rh))
        return t_out, rh

    climate.Weather.sample = kept_sample  # type: ignore[method-assign]
    seen: dict[int, tuple[float, float, float]] = {}
    fouling = prognosis.daily_fouling

    def kept_fouling(cols, i_app, now):  # noqa: ANN001, ANN202
        seen.update(daily_index_parts(cols, i_app))
        return fouling(cols, i_app, now)

    prognosis.daily_fouling = kept_fouling

    fleet = Fleet(sc_p)
    if a.device not in fleet.devices:
        raise SystemExit(f"error: {a.site} has no pump {a.device!r}")
    j = fleet.devices.index(a.device)
    pipe = worker.agent_pipelines(sc_p, fleet)[a.device]
    prior = cohort_prior_of(priors, sc_p.refrigerant, float(fleet.params.q_nom[j]), emitter_types(fleet.params)[j])
    if prior is not None:
        pipe.detector.use_fleet_prior(prior)
    stride = worker.stride_for(sc_p.step_s, poll)
    per_hour = max(1, int(round(HOUR / sc_p.step_s)))
    chunk_steps = max(per_hour * stride, int(worker.CHUNK_SECONDS // sc_p.step_s) // (per_hour * stride) * per_hour * stride)
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("ts", "t_outdoor", "t_evap", "defrost", "running", "frost_phase", "severity")}
    for chunk in fleet.chunks(steps=chunk_steps):
        pipe.process_batch(chunk.ts[::stride], chunk.values[::stride, j, :])
        cols["ts"].append(chunk.ts)
        for k in list(cols)[1:]:
            cols[k].append(chunk.truth[k][:, j])
    climate.Weather.sample = sample  # type: ignore[method-assign]
    prognosis.daily_fouling = fouling
    v = {k: np.concatenate(x) for k, x in cols.items()}
    wts = np.concatenate([w[0] for w in weather])
    rh = np.concatenate([w[2][:, j] for w in weather])
    ts = v["ts"]
    run = v["running"] > 0.5
    dfr = v["defrost"] > 0.5
    heat = run & ~dfr
    start_step = np.r_[dfr[0], dfr[1:] & ~dfr[:-1]]
    dt_min = float(np.median(np.diff(ts))) / 60
    tab = {
        "t_out": daily_means(ts, v["t_outdoor"]),
        "t_out_run": daily_means(ts, v["t_outdoor"], heat),
        "rh": daily_means(wts, rh),
        "t_evap": daily_means(ts, v["t_evap"], heat),
        "approach": daily_means(ts, v["t_outdoor"] - v["t_evap"], heat),
        "frost": daily_means(ts, v["frost_phase"], heat),
        "run_h": {d: x * 24 for d, x in daily_means(ts, run.astype(float)).items()},
        "dfr_n": {d: x * DAY / (dt_min * 60) for d, x in daily_means(ts, start_step.astype(float)).items()},
        "dfr_min": {d: x * 24 * 60 for d, x in daily_means(ts, dfr.astype(float)).items()},
        "sev": daily_means(ts, v["severity"]),
    }
    onset0 = next((t.onset_ts for t in fleet.truth if t.device == a.device), ts[-1])
    pre = heat & (ts < onset0) & (ts >= onset0 - 5 * DAY)
    phi0 = float(np.mean(v["frost_phase"][pre])) if pre.any() else 0.5  # the frost the healthy days carried
    ref = approach_factor(0.0, phi0)
    tab["c_sim"] = daily_means(ts, approach_factor(v["severity"], v["frost_phase"]) / ref - 1.0, heat)
    tab["c_foul"] = daily_means(ts, approach_factor(v["severity"], np.full_like(ts, phi0)) / ref - 1.0, heat)
    d0 = int(ts[0] // DAY)
    onset = next((t.onset_ts for t in fleet.truth if t.device == a.device), None)
    trip = next((t.trip_ts for t in fleet.truth if t.device == a.device), None)
    first = d0 + int(a.from_day) if a.from_day is not None else \
        (int(onset // DAY) - 5 if onset is not None else min(seen, default=d0))
    last = int(trip // DAY) if trip is not None else int(ts[-1] // DAY)
    print(f"{a.scenario}/{a.site} {a.device}: onset day {None if onset is None else round((onset - ts[0]) / DAY, 1)}, "
          f"trip day {None if trip is None else round((trip - ts[0]) / DAY, 1)} (days from the season's start)")
    print("day   c     res_K  hlth_K | t_out  t_run  rh%  run_h defr_n defr_min t_evap appr_K frost | true_sev c_sim c_foul")
    print(f"c_sim: the simulator's own widening over the healthy days' (frost {phi0:.2f}) less 1, heating hours; "
          "c_foul: the same with the frost held at the healthy days'")
    for d in range(first, last + 1):
        r, h, c = seen.get(d, (np.nan, np.nan, np.nan))
        g = {k: tab[k].get(d, np.nan) for k in tab}
        print(f"{d - d0:4d} {c:5.2f} {r:6.2f} {h:6.2f} | {g['t_out']:5.1f} {g['t_out_run']:6.1f} {g['rh']:4.0f} "
              f"{g['run_h']:5.1f} {g['dfr_n']:6.0f} {g['dfr_min']:8.0f} {g['t_evap']:6.1f} {g['approach']:6.1f} "
              f"{g['frost']:5.2f} | {g['sev']:.3f} {g['c_sim']:5.2f} {g['c_foul']:5.2f}")


if __name__ == "__main__":
    main()
