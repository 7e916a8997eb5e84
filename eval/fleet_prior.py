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


def simulated_fleet_prior(scenario: str | Scenario, *, capacity_kw: float | None = None, pumps: int | None = None,
                          days: float = 14.0, seed: int | None = None,
                          config: HeatPumpDetectorConfig | None = None) -> FleetPrior:
    """Commission the healthy pumps of a scenario (its first ``pumps``, ``days`` of it, another
    ``seed`` if given; all of one model, ``capacity_kw``, if given) and form their fleet prior."""
    return form(simulated_commissioned(scenario, capacity_kw=capacity_kw, pumps=pumps, days=days, seed=seed,
                                       config=config))


def simulated_commissioned(scenario: str | Scenario, *, capacity_kw: float | None = None, pumps: int | None = None,
                           days: float = 14.0, seed: int | None = None,
                           config: HeatPumpDetectorConfig | None = None) -> list[Commissioned]:
    """The models the scenario's healthy pumps commission within ``days`` (see simulated_fleet_prior)."""
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    changes: dict = {"duration_s": min(sc.duration_s, days * DAY)}
    if pumps is not None:
        changes["size"] = min(sc.size, pumps)
    if seed is not None:
        changes["seed"] = seed
    sc = dataclasses.replace(sc, **changes)
    if capacity_kw is not None:  # every pump of the one model (its faults, if any, kept)
        devices = {d: dataclasses.replace(sc.devices.get(d, DeviceSpec()), capacity_kw=capacity_kw)
                   for d in sc.device_ids}
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
