"""One part of an evaluation: simulate a site's pumps, judge each with the agent's pipeline in
batch, feed every event to a private gateway, keep per pump the truth and the tickets.

The agent reads its pump every ``poll`` seconds: the simulator's steps are taken every
``poll / step`` steps (a field agent on a cellular line reads every few minutes; the rules judge
every 5 minutes of reading time in any case). Batch and streaming give the same events
(PumpPipeline.process_batch).

With ``priors`` (eval.fleet_prior.earlier_cohort_priors: what the gateway's fleet knows) each
agent starts as the field's does on its first status: judged against the fleet prior of its pump
model, refrigerant and emitters until its own commissioning window is learned and agrees with it.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable

import numpy as np

from heatwatch.channels import CHANNEL_NAMES
from heatwatch.contract import EventBody
from heatwatch.edge.heatpump.detector import HeatPumpDetectorConfig
from heatwatch.edge.pipeline import PumpPipeline
from heatwatch.eval.fleet_prior import cohort_prior_of, scenario_design_c, with_design
from heatwatch.eval.gateway_side import PrivateGateway
from heatwatch.eval.partitions import Part
from heatwatch.eval.results import PartResult, PrognosisAt, PumpResult, TicketResult
from heatwatch.gateway.incidents.service import incident_title
from heatwatch.fleet_prior import FleetPrior
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import Scenario
from heatwatch.sim.plant import emitter_types
from heatwatch.units import DAY, HOUR

CHUNK_SECONDS = 4 * DAY  # a simulator chunk: the detector's batches are this long


def stride_for(step_s: float, poll_s: float | None) -> int:
    """Simulator steps per reading: the poll rounded to whole steps (at least one)."""
    return 1 if poll_s is None else max(1, int(round(poll_s / step_s)))


def agent_pipelines(sc: Scenario, fleet: Fleet) -> dict[str, PumpPipeline]:
    """Each pump's agent as the field configures it: its refrigerant, its model's design data (the
    prior's design bands) and its site's design outdoor temperature (the installer's heat-loss
    calculation; the compressor's design-day headroom is judged at it)."""
    config = HeatPumpDetectorConfig(refrigerant=sc.refrigerant)
    design_c = scenario_design_c(sc)
    return {d: PumpPipeline.with_config(d, with_design(config, float(fleet.params.q_nom[j]), design_c))
            for j, d in enumerate(fleet.devices)}


def run_part(part: Part, poll_s: float | None, progress: Callable[[int], None] | None = None,
             priors: dict[str, FleetPrior] | None = None) -> PartResult:
    t0, c0 = time.perf_counter(), time.process_time()
    sim_cpu = 0.0
    sc = part.scenario
    fleet = Fleet(sc)
    stride = stride_for(sc.step_s, poll_s)
    per_hour = max(1, int(round(HOUR / sc.step_s)))
    chunk_steps = max(per_hour * stride, int(CHUNK_SECONDS // sc.step_s) // (per_hour * stride) * per_hour * stride)
    devices = fleet.devices
    pipes = agent_pipelines(sc, fleet)
    if priors:  # the gateway answers each new agent's first status with its fleet's prior
        kinds = emitter_types(fleet.params)
        for j, d in enumerate(devices):
            prior = cohort_prior_of(priors, sc.refrigerant, float(fleet.params.q_nom[j]), kinds[j])
            if prior is not None:
                pipes[d].detector.use_fleet_prior(prior)
    pumps = {d: PumpResult(part.scenario_name, part.site, sc.climate, sc.refrigerant, d, sc.duration_s / DAY)
             for d in devices}
    gw = PrivateGateway(devices, sc.climate, sc.refrigerant, sc.climate_spec)
    by_id: dict[int, TicketResult] = {}
    hourly: list[np.ndarray] = []  # (hours, D, C) per chunk
    hourly_ts: list[np.ndarray] = []
    readings = 0
    try:
        chunks = fleet.chunks(steps=chunk_steps)
        while True:
            c1 = time.process_time()
            chunk = next(chunks, None)
            sim_cpu += time.process_time() - c1
            if chunk is None:
                break
            n = len(chunk.ts)
            ts = chunk.ts[::stride]
            batch: list[tuple[float, int, EventBody]] = []
            for j, d in enumerate(devices):
                _, events = pipes[d].process_batch(ts, chunk.values[::stride, j, :])
                pumps[d].readings += len(ts)
                pumps[d].events += len(events)
                batch.extend((ev.ts, j, ev) for ev in events)
            readings += len(ts) * len(devices)
            batch.sort(key=lambda e: (e[0], e[1]))
            for _, _, ev in batch:
                _take(gw, ev, pumps[ev.device], by_id)
            h = n // per_hour
            if h:  # hourly means of what the agent read (every reading when the poll does not divide an hour)
                step = stride if per_hour % stride == 0 else 1
                k = per_hour // step
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore", RuntimeWarning)  # an hour of dropouts: NaN
                    block = chunk.values[:h * per_hour:step].reshape(h, k, len(devices), -1)
                    hourly.append(np.nanmean(block, axis=1).astype(np.float32))
                hourly_ts.append(chunk.ts[:h * per_hour:per_hour])
            if progress is not None:
                progress(n * len(devices))
        notes = gw.notifications_by_device()
        for r in gw.revisions():
            if (t := by_id.get(r.ticket_id)) is not None:
                t.first_fault, t.fault, t.revised_ts, t.cancelled_into = r.first_fault, r.fault, r.at, r.cancelled_into
    finally:
        gw.close()
    for t in fleet.truth:
        p = pumps[t.device]
        p.fault, p.channel, p.onset_ts, p.trip_ts, p.trip_kind = t.fault, t.channel, t.onset_ts, t.trip_ts, t.trip_kind
    series = np.concatenate(hourly) if hourly else np.zeros((0, len(devices), len(CHANNEL_NAMES)), np.float32)
    series_ts = np.concatenate(hourly_ts).tolist() if hourly_ts else []
    for j, d in enumerate(devices):
        p = pumps[d]
        p.notifications = notes.get(d, 0)
        channels = {c for t in p.tickets for f in t.evidence for c in f.get("channels", []) if c in CHANNEL_NAMES}
        if channels:
            p.series = {c: series[:, j, CHANNEL_NAMES.index(c)].tolist() for c in sorted(channels)}
        if channels or p.trip_ts is not None:
            p.series_ts = series_ts
            p.outdoor_c = series[:, j, CHANNEL_NAMES.index("t_outdoor")].tolist()
    return PartResult(part.key, list(pumps.values()), readings, time.perf_counter() - t0,
                      time.process_time() - c0, sim_cpu)


def _take(gw: PrivateGateway, ev: EventBody, pump: PumpResult, by_id: dict[int, TicketResult]) -> None:
    """Hand one event to the gateway; note a ticket it opened, its priority and prognosis."""
    rec = gw.record(ev)
    o, inc = rec.outcome, rec.incident
    if o.ticket_id is None or inc is None:
        return
    t = by_id.get(o.ticket_id)
    if t is None and o.action == "opened":
        t = by_id[o.ticket_id] = TicketResult(
            o.ticket_id, inc.fault, ev.ts, o.priority or 4, o.priority or 4, incident_title(inc.fault),
            ev.explanation, [f.model_dump(exclude_none=True) for f in ev.findings])
        pump.tickets.append(t)
    if t is None:
        return
    if o.priority is not None:
        t.best_priority = min(t.best_priority, o.priority)
    if inc.predicted_failure_ts is not None:
        pred = inc.predicted_failure_ts.timestamp()
        if not t.prognoses or t.prognoses[-1].predicted_ts != pred:
            t.prognoses.append(PrognosisAt(ev.ts, pred, inc.predicted_failure_earliest.timestamp(),
                                           inc.predicted_failure_latest.timestamp()))
    if inc.lead_time_s is not None:
        t.gateway_lead_s = inc.lead_time_s
