"""Lead time and false alarms of the edge pipeline on simulated scenarios.

For every device of each scenario: which named faults the agent raised,
when, against the simulator's ground truth (onset, first trip). Prints one
row per device and a summary: detected before trip, lead time (days, and as
a share of onset -> trip: 1 = named at onset, 0 = at the trip), wrong pump
diagnoses and sensor notices on pumps with a pump fault, false alarms on
healthy pumps, and how well the prognoses held (within a factor 2, interval
coverage). Each scenario's agent is configured as the field configures it:
with the scenario's refrigerant (a scenario with sites: its site's).

    python bench/lead_time.py [--stride N] [--save F.json] [--load F.json] [--fleet-prior F.json] [--days D]
                              [--install-day D] [--devices hp-001,hp-004] [SCENARIO ...]
    (default: every fault_* scenario; --save keeps the raw outcomes, --load prints figures from them;
    --fleet-prior: every agent starts with a fleet prior: the file's prior, or, for a file of priors by
    pump model and emitters ({"5/underfloor": prior, "5/radiators": ..., "7": ...}, bench/fleet_priors.py),
    its model's with its emitters, else its model's of any emitters; a file of such files by site, from
    fleet_priors.py on a scenario with sites: each site's agents their site's; --days: the first D days;
    --install-day D: the agents' first reading is on day D, so faults that began before are there at
    installation (bench/scenarios/installed_faulty.yaml); onsets stay the scenario's)
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


from heatwatch.contract import EventBody, EventKind  # noqa: E402
from heatwatch.edge.heatpump.detector import HeatPumpDetectorConfig  # noqa: E402
from heatwatch.eval.fleet_prior import prior_key, prior_of, scenario_design_c, site_priors, with_design  # noqa: E402
from heatwatch.fleet_prior import FleetPrior  # noqa: E402
from heatwatch.edge.pipeline import PumpPipeline  # noqa: E402
from heatwatch.sim.fleet import Fleet  # noqa: E402
from heatwatch.sim.plant import emitter_types  # noqa: E402
from heatwatch.sim.scenario import Scenario, ScenarioError, load_scenario  # noqa: E402
from heatwatch.faults import FAULTS  # noqa: E402
from heatwatch.units import DAY  # noqa: E402


@dataclass
class DeviceOutcome:
    device: str
    fault: str  # ground truth ("" = healthy)
    onset_ts: float | None
    trip_ts: float | None
    raised: dict[str, float] = field(default_factory=dict)  # fault -> first raise ts
    events: list[EventBody] = field(default_factory=list)

    @property
    def first_right(self) -> float | None:
        return self.raised.get(self.fault)

    @property
    def lead_share(self) -> float | None:
        """Lead as a share of onset -> trip: 1 = named at onset, 0 = named at the trip."""
        if self.first_right is None or self.trip_ts is None or self.onset_ts is None or self.trip_ts <= self.onset_ts:
            return None
        return (self.trip_ts - self.first_right) / (self.trip_ts - self.onset_ts)

    def to_dict(self) -> dict:
        return dict(device=self.device, fault=self.fault, onset_ts=self.onset_ts, trip_ts=self.trip_ts,
                    raised=self.raised, events=[e.model_dump(mode="json") for e in self.events])

    @classmethod
    def from_dict(cls, d: dict) -> "DeviceOutcome":
        return cls(d["device"], d["fault"], d["onset_ts"], d["trip_ts"], dict(d["raised"]),
                   [EventBody.model_validate(e) for e in d["events"]])

    @property
    def lead_days(self) -> float | None:
        if self.first_right is None or self.trip_ts is None:
            return None
        return (self.trip_ts - self.first_right) / DAY


def run_scenario(name: str, config: HeatPumpDetectorConfig | None = None, step_stride: int = 1,
                 fleet_prior: FleetPrior | dict[str, FleetPrior] | None = None, days: float | None = None,
                 install_day: float = 0.0, devices: list[str] | None = None) -> list[DeviceOutcome]:
    """Run a scenario through one pipeline per device (``devices``: only these), in batch (same
    results as streaming). A scenario with sites runs site by site, each site's agents configured
    with its refrigerant."""
    scenario = load_scenario(name)
    if days is not None:
        scenario = dataclasses.replace(scenario, duration_s=min(scenario.duration_s, days * DAY))
    unknown = sorted(set(devices or ()) - set(scenario.device_ids))
    if unknown:
        raise ScenarioError(f"{name}: no device {', '.join(unknown)}")
    outcomes: list[DeviceOutcome] = []
    for part in scenario.site_scenarios():
        if not devices or set(devices) & set(part.device_ids):
            outcomes += _run_part(part, config, step_stride, _prior_of_site(name, fleet_prior, part), install_day, devices)
    return outcomes


def _prior_of_site(name: str, fleet_prior: FleetPrior | dict | None, site: Scenario) -> FleetPrior | dict | None:
    """The prior (or priors by model) a site's agents start with: from a file of priors by site, their site's."""
    if fleet_prior is None or isinstance(fleet_prior, FleetPrior):
        return fleet_prior
    try:
        return site_priors(fleet_prior, site)
    except KeyError as exc:
        raise ScenarioError(f"{name}: {exc.args[0]}") from None


def _run_part(scenario: Scenario, config: HeatPumpDetectorConfig | None, step_stride: int,
              fleet_prior: FleetPrior | dict[str, FleetPrior] | None, install_day: float,
              devices: list[str] | None) -> list[DeviceOutcome]:
    """One site (or a scenario without sites): its fleet, its agents."""
    fleet = Fleet(scenario)
    # the refrigerant the scenario's pumps run on, as their edge.toml would say (judged as R32, an
    # R290 fleet looks broken); a config given by the caller is taken as it is
    config = config or HeatPumpDetectorConfig(refrigerant=scenario.refrigerant)
    # each agent's edge.toml carries its pump model's design data (the prior's design bands) and its
    # site's design outdoor temperature (the compressor's discharge headroom on the design day)
    design_c = scenario_design_c(scenario)
    pipes = {d: PumpPipeline.with_config(d, with_design(config, float(fleet.params.q_nom[j]), design_c))
             for j, d in enumerate(fleet.devices) if not devices or d in devices}
    if fleet_prior is not None:
        emitters = emitter_types(fleet.params)
        for j, d in enumerate(fleet.devices):  # each pump its own model's prior (capacity class, emitters)
            if d in pipes:
                pipes[d].detector.use_fleet_prior(fleet_prior if isinstance(fleet_prior, FleetPrior) else
                                                  prior_of(fleet_prior, float(fleet.params.q_nom[j]), emitters[j]))
    outcomes = {d: DeviceOutcome(d, "", None, None) for d in pipes}
    installed = scenario.start_ts + install_day * DAY
    for chunk in fleet.chunks(steps=1440 * 4):
        keep = chunk.ts[::step_stride] >= installed
        if not keep.any():
            continue
        for j, dev in enumerate(fleet.devices):
            if dev not in pipes:
                continue
            ts = chunk.ts[::step_stride][keep]
            X = chunk.values[::step_stride, j, :][keep]
            _, events = pipes[dev].process_batch(ts, X)
            for ev in events:
                outcomes[dev].events.append(ev)
                if ev.kind.raises:
                    outcomes[dev].raised.setdefault(ev.fault, ev.ts)
    for t in fleet.truth:
        if t.device not in outcomes:
            continue
        o = outcomes[t.device]
        o.fault, o.onset_ts, o.trip_ts = t.fault, t.onset_ts, t.trip_ts
    return list(outcomes.values())


def main(names: list[str], stride: int = 1, save: str | None = None, load: str | None = None,
         fleet_prior: str | None = None, days: float | None = None, install_day: float = 0.0,
         devices: list[str] | None = None) -> None:
    import json

    prior = None
    if fleet_prior:
        doc = json.loads(Path(fleet_prior).read_text())
        prior = FleetPrior.from_dict(doc) if "version" in doc else _priors(doc)

    t0 = time.perf_counter()
    if load:
        raw = json.loads(Path(load).read_text())
        results = {n: [DeviceOutcome.from_dict(d) for d in raw[n]] for n in (names or raw)}
    else:
        results = {}
        for name in names:
            results[name] = run_scenario(name, step_stride=stride, fleet_prior=prior, days=days,
                                         install_day=install_day, devices=devices)
            if save:  # after each scenario: a long run stopped half way keeps what it did
                Path(save).write_text(json.dumps({n: [o.to_dict() for o in r] for n, r in results.items()}))
    report(results, time.perf_counter() - t0)


def _priors(doc: dict) -> dict:
    """A file of priors by model and emitters, or one by site of them (fleet_priors.py on a scenario with sites)."""
    if all("version" in v for v in doc.values()):
        return {_key(k): FleetPrior.from_dict(v) for k, v in doc.items()}
    return {site: _priors(v) for site, v in doc.items()}


def _key(k: str) -> str:
    """A key of a file of priors, as prior_key writes it ("7.0" of an older file is "7")."""
    kw, _, emitters = k.partition("/")
    return prior_key(float(kw), emitters or None)


def report(results: dict[str, list[DeviceOutcome]], seconds: float = 0.0) -> dict:
    """Print the per-device table and the summary; returns the summary figures."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title="heatwatch edge pipeline on simulated scenarios")
    for col in ("scenario", "device", "truth", "raised before trip", "onset→raise d", "lead before trip d",
                "prognosis at raise d (actual)"):
        table.add_column(col)
    detected = missed = wrong = false_pump = false_sensor = 0
    wrong_pump = sensor_on_pump = n_pump = 0
    leads: list[float] = []
    shares: list[float] = []
    first_estimates: list[tuple[float, float, float, float]] = []  # predicted, lower, upper, actual (days)
    all_estimates: list[tuple[float, float, float, float]] = []
    for name, outcomes in results.items():
        for o in outcomes:
            before = {f: t for f, t in o.raised.items() if o.trip_ts is None or t < o.trip_ts}
            raised = ", ".join(f"{f}" for f in before) or "-"
            prog = "-"
            first_ev = next((e for e in o.events if e.kind is EventKind.FAULT and e.fault == o.fault
                             and e.prognosis is not None), None)
            if o.trip_ts:  # every estimate issued before the trip, also when the raise itself had none
                all_estimates += [_estimate(e, o.trip_ts) for e in o.events
                                  if e.kind in (EventKind.FAULT, EventKind.FAULT_UPDATE) and e.fault == o.fault
                                  and e.prognosis is not None and e.ts < o.trip_ts]
            if first_ev and o.trip_ts:
                first_estimates.append(_estimate(first_ev, o.trip_ts))
                p = first_ev.prognosis
                prog = (f"{(p.predicted_trip_ts - first_ev.ts) / DAY:.1f} "
                        f"({(o.trip_ts - first_ev.ts) / DAY:.1f})")
            onset_raise = (f"{(o.first_right - o.onset_ts) / DAY:.1f}"
                           if o.first_right is not None and o.onset_ts is not None else "-")
            lead = f"{o.lead_days:.1f}" if o.lead_days is not None else "-"
            table.add_row(name, o.device, o.fault or "healthy", raised, onset_raise, lead, prog)
            if not o.fault:
                false_pump += any(not FAULTS[f].sensor_fault for f in before)
                false_sensor += any(FAULTS[f].sensor_fault for f in before)
                continue
            if o.first_right is not None and (o.trip_ts is None or o.first_right < o.trip_ts):
                detected += 1
                if o.lead_days is not None:
                    leads.append(o.lead_days)
                if o.lead_share is not None:
                    shares.append(o.lead_share)
            else:
                missed += 1
            others = [f for f in before if f != o.fault]
            wrong += bool(others)
            if not FAULTS[o.fault].sensor_fault:
                n_pump += 1
                wrong_pump += any(not FAULTS[f].sensor_fault for f in others)
                sensor_on_pump += any(FAULTS[f].sensor_fault for f in others)
    console.print(table)
    console.print(
        f"faulty devices: detected before trip {detected}, missed {missed}, "
        f"with a wrong extra diagnosis {wrong}; healthy devices with a pump-fault alarm: {false_pump}, "
        f"with a sensor notice: {false_sensor}; "
        f"lead time before trip: mean {np.mean(leads) if leads else float('nan'):.1f} d, "
        f"min {min(leads) if leads else float('nan'):.1f} d; ran in {seconds:.0f} s"
    )
    console.print(
        f"lead as a share of onset→trip: median {np.median(shares) if shares else float('nan'):.2f}, "
        f"min {min(shares) if shares else float('nan'):.2f} (n={len(shares)}); "
        f"pumps with a pump fault ({n_pump}): a wrong pump diagnosis too {wrong_pump}, a sensor notice too {sensor_on_pump}"
    )
    figures = dict(detected=detected, missed=missed, wrong=wrong, false_pump=false_pump, false_sensor=false_sensor,
                   wrong_pump=wrong_pump, sensor_on_pump=sensor_on_pump, n_pump=n_pump,
                   median_share=float(np.median(shares)) if shares else float("nan"))
    for label, est in (("first prognosis at raise", first_estimates), ("every prognosis issued", all_estimates)):
        console.print(f"{label}: {_prognosis_quality(est)}")
        figures[label] = _prognosis_figures(est)
    return figures


def _estimate(ev: EventBody, trip_ts: float) -> tuple[float, float, float, float]:
    p, now = ev.prognosis, ev.ts
    assert p is not None
    return ((p.predicted_trip_ts - now) / DAY, (p.lower_ts - now) / DAY,
            (p.upper_ts - now) / DAY, (trip_ts - now) / DAY)


def _prognosis_figures(est: list[tuple[float, float, float, float]]) -> dict[str, float]:
    """Share of estimates within a factor 2 of the real time to trip, and whose interval holds it."""
    if not est:
        return {"n": 0, "within_2x": float("nan"), "coverage": float("nan")}
    a = np.array(est)
    pred, lo, hi, actual = (np.maximum(c, 0.04) for c in a.T)
    return {"n": len(a), "within_2x": float(np.mean(np.abs(np.log2(pred / actual)) <= 1)),
            "coverage": float(np.mean((lo <= actual) & (actual <= hi)))}


def _prognosis_quality(est: list[tuple[float, float, float, float]]) -> str:
    """How well predicted trip dates matched: log error, interval coverage, too-late share."""
    if not est:
        return "none issued"
    a = np.array(est)
    pred, lo, hi, actual = (np.maximum(c, 0.04) for c in a.T)  # an hour floor: log of 0
    log2err = np.abs(np.log2(pred / actual))
    return (f"n={len(a)}, median predicted/actual {np.median(pred / actual):.2f}, "
            f"within a factor 2: {np.mean(log2err <= 1):.0%}, "
            f"interval holds the trip: {np.mean((lo <= actual) & (actual <= hi)):.0%} "
            f"(median latest/earliest x{np.median(np.maximum(hi, lo) / lo):.1f}), "
            f"too late (earliest after the trip): {np.mean(lo > actual):.0%}")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenarios", nargs="*", metavar="SCENARIO", help="built-in names or files (default: fault_*)")
    parser.add_argument("--stride", type=int, default=1, help="read every Nth simulator step (a slower poll)")
    parser.add_argument("--save", metavar="F.json", help="keep the raw outcomes")
    parser.add_argument("--load", metavar="F.json", help="print figures from saved outcomes")
    parser.add_argument("--fleet-prior", metavar="F.json", help="every agent starts with this fleet prior")
    parser.add_argument("--days", type=float, help="only the first D days")
    parser.add_argument("--install-day", type=float, default=0.0, help="the agents' first reading is on day D")
    parser.add_argument("--devices", help="only these devices (comma-separated ids), e.g. hp-004,hp-000")
    return parser.parse_args()


if __name__ == "__main__":
    opts = _arguments()
    names = opts.scenarios
    if not names and not opts.load:
        scen = Path(__file__).resolve().parent.parent / "firmware_sim" / "scenarios"
        names = sorted(p.stem for p in scen.glob("fault_*.yaml"))
    try:
        main(names, opts.stride, opts.save, opts.load, opts.fleet_prior, opts.days, opts.install_day,
             opts.devices.split(",") if opts.devices else None)
    except ScenarioError as exc:
        sys.exit(f"lead_time: {exc}")
