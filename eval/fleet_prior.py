"""A fleet prior from simulated healthy pumps: for a site with no gateway (edge.toml's
``fleet_prior`` file), for tests and for the lead-time bench.

Each pump of the scenario is commissioned by its own detector exactly as in the
field (the same window, the same prior gate); the commissioned models are then
combined as the gateway combines its fleet's (fleet_prior.form). Pumps with a
fault in the scenario are left out: a fleet prior is made of healthy pumps.
"""

from __future__ import annotations

import dataclasses

from heatwatch.edge.heatpump.detector import HeatPumpDetector, HeatPumpDetectorConfig
from heatwatch.edge.heatpump import fleet_prior
from heatwatch.fleet_prior import Commissioned, FleetPrior, form
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import EMITTERS as SIM_EMITTERS
from heatwatch.sim.scenario import DeviceSpec, Scenario, load_scenario
from heatwatch.units import DAY


def commissioned(detector: HeatPumpDetector) -> Commissioned | None:
    """What this detector would publish: its own learned model (None while it has none)."""
    if detector.model is None or detector.provisional or detector.alarm is None or detector.commission_points is None:
        return None
    return fleet_prior.commissioned(detector.model, detector.alarm, detector.envelope, detector.commission_points)


# the nominal capacities the simulator draws pumps from (plant.make_params): one pump model each
MODEL_CAPACITIES_KW = (5.0, 7.0, 9.0, 12.0)


def model_of(q_nom_kw: float) -> float:
    """The simulated pump model (its nominal capacity class) of a pump of this capacity."""
    return min(MODEL_CAPACITIES_KW, key=lambda c: abs(c - q_nom_kw))


def prior_key(capacity_kw: float, emitters: str | None = None) -> str:
    """A prior's key in a file of priors (bench/fleet_priors.py): "7" (any emitters), "7/radiators"."""
    return f"{capacity_kw:g}" if emitters is None else f"{capacity_kw:g}/{emitters}"


def prior_of(priors: dict[str, FleetPrior], q_nom_kw: float, emitters: str | None) -> FleetPrior:
    """The prior of a pump of this capacity and emitters from a file of priors: its model's with its
    emitters, else its model's of any emitters (as the gateway falls back); KeyError if neither."""
    kw = model_of(q_nom_kw)
    for key in (prior_key(kw, emitters), prior_key(kw)):
        if key in priors:
            return priors[key]
    raise KeyError(f"no prior for a {kw:g} kW pump ({emitters or 'any emitters'}): keys {sorted(priors)}")


def simulated_fleet_prior(scenario: str | Scenario, *, capacity_kw: float | None = None, pumps: int | None = None,
                          days: float = 14.0, seed: int | None = None, emitters: str | None = None,
                          config: HeatPumpDetectorConfig | None = None) -> FleetPrior:
    """Commission the healthy pumps of a scenario (its first ``pumps``, ``days`` of it, another
    ``seed`` if given; all of one model, ``capacity_kw``, and all with these ``emitters``, if given)
    and form their fleet prior (its ``emitters`` and note say which pumps)."""
    prior = form(simulated_commissioned(scenario, capacity_kw=capacity_kw, pumps=pumps, days=days, seed=seed,
                                        emitters=emitters, config=config))
    prior.emitters = emitters
    prior.note = f"{prior.members} simulated pumps" + (f" with {emitters}" if emitters else ", any emitters")
    return prior


def simulated_commissioned(scenario: str | Scenario, *, capacity_kw: float | None = None, pumps: int | None = None,
                           days: float = 14.0, seed: int | None = None, emitters: str | None = None,
                           config: HeatPumpDetectorConfig | None = None) -> list[Commissioned]:
    """The models the scenario's healthy pumps commission within ``days`` (see simulated_fleet_prior)."""
    if emitters is not None and emitters not in SIM_EMITTERS:
        raise ValueError(f"emitters {emitters!r}: the simulator has {', '.join(SIM_EMITTERS)}")
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    changes: dict = {"duration_s": min(sc.duration_s, days * DAY)}
    if pumps is not None:
        changes["size"] = min(sc.size, pumps)
    if seed is not None:
        changes["seed"] = seed
    sc = dataclasses.replace(sc, **changes)
    if capacity_kw is not None or emitters is not None:  # every pump of the one model / emitters (faults kept)
        given = {k: v for k, v in (("capacity_kw", capacity_kw), ("emitters", emitters)) if v is not None}
        devices = {d: dataclasses.replace(sc.devices.get(d, DeviceSpec()), **given) for d in sc.device_ids}
        sc = dataclasses.replace(sc, devices=devices)
    config = config or HeatPumpDetectorConfig(refrigerant=sc.refrigerant)
    fleet = Fleet(sc)
    faulty = {d for d, spec in sc.devices.items() if spec.faults}
    dets = {d: HeatPumpDetector(config) for d in fleet.devices if d not in faulty}
    for chunk in fleet.chunks(steps=1440 * 4):
        for j, dev in enumerate(fleet.devices):
            if dev in dets and not dets[dev].ready:
                dets[dev].score(chunk.ts, chunk.values[:, j, :])
    return [c for c in (commissioned(d) for d in dets.values()) if c is not None]
