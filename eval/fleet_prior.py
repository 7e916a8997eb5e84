"""A fleet prior from simulated healthy pumps: for a site with no gateway (edge.toml's
``fleet_prior`` file), for tests, for the lead-time bench, and for the whole-loop evaluation
(``earlier_cohort_priors``: the gateway's fleet before the evaluated pumps are installed).

Each pump of the scenario is commissioned by its own detector exactly as in the
field (the same window, the same prior gate); the commissioned models are then
combined as the gateway combines its fleet's (fleet_prior.form). Pumps with a
fault in the scenario are left out: a fleet prior is made of healthy pumps.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict

from heatwatch.edge.heatpump.design import PumpDesign
from heatwatch.edge.heatpump.detector import HeatPumpDetector, HeatPumpDetectorConfig
from heatwatch.edge.heatpump import fleet_prior
from heatwatch.fleet_prior import EMITTERS, Commissioned, FleetPrior, FleetPriorError, form, form_for
from heatwatch.sim import data_sheet
from heatwatch.sim.data_sheet import MODEL_CAPACITIES_KW, SUPERHEAT_SETPOINT_K as SIMULATED_SUPERHEAT_SETPOINT_K  # noqa: F401
from heatwatch.sim.data_sheet import site_design_c as scenario_design_c  # noqa: F401
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.plant import emitter_types
from heatwatch.sim.scenario import EMITTERS as SIM_EMITTERS
from heatwatch.sim.scenario import DeviceSpec, Scenario, load_scenario
from heatwatch.units import DAY


def commissioned(detector: HeatPumpDetector) -> Commissioned | None:
    """What this detector would publish: its own learned model (None while it has none)."""
    if detector.model is None or detector.provisional or detector.alarm is None or detector.commission_points is None:
        return None
    return fleet_prior.commissioned(detector.model, detector.alarm, detector.envelope, detector.commission_points)


def model_of(q_nom_kw: float) -> float:
    """The simulated pump model (its nominal capacity class) of a pump of this capacity."""
    return data_sheet.model_of(q_nom_kw, MODEL_CAPACITIES_KW)


def simulated_design(q_nom_kw: float, design_outdoor_c: float | None = None) -> PumpDesign:
    """What the installer knows of a simulated pump (edge.toml [design], sim.data_sheet): its model's
    nominal capacity (the design flow following at 5 K), its valve controller's superheat setpoint and,
    if given, the site's design outdoor temperature (scenario_design_c)."""
    return PumpDesign.from_dict(data_sheet.design_table(q_nom_kw, design_outdoor_c, MODEL_CAPACITIES_KW))


def with_design(config: HeatPumpDetectorConfig, q_nom_kw: float,
                design_outdoor_c: float | None = None) -> HeatPumpDetectorConfig:
    """``config`` with the simulated pump's design data (simulated_design)."""
    return dataclasses.replace(config, design=simulated_design(q_nom_kw, design_outdoor_c))


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
    return [c for _, _, c in simulated_members(scenario, capacity_kw=capacity_kw, pumps=pumps, days=days, seed=seed,
                                               emitters=emitters, config=config)]


def simulated_members(scenario: str | Scenario, *, capacity_kw: float | None = None, pumps: int | None = None,
                      days: float = 14.0, seed: int | None = None, emitters: str | None = None,
                      config: HeatPumpDetectorConfig | None = None,
                      stride: int = 1) -> list[tuple[float, str, Commissioned]]:
    """simulated_commissioned with each member's pump model (capacity class, kW) and emitters, as
    the gateway's device records name them; ``stride``: the agents read every stride-th step."""
    if emitters is not None and emitters not in SIM_EMITTERS:
        raise ValueError(f"emitters {emitters!r}: the simulator has {', '.join(SIM_EMITTERS)}")
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if sc.sites:  # one prior of pumps of several refrigerants and climates is no fleet's
        raise ValueError(f"{sc.name} has sites: form a prior per site (site_fleet_priors, or its site_scenarios())")
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
    for chunk in fleet.chunks(steps=1440 * 4 // stride * stride):
        if all(d.ready for d in dets.values()):
            break
        for j, dev in enumerate(fleet.devices):
            if dev in dets and not dets[dev].ready:
                dets[dev].score(chunk.ts[::stride], chunk.values[::stride, j, :])
    kinds = emitter_types(fleet.params)
    out = []
    for j, dev in enumerate(fleet.devices):
        c = commissioned(dets[dev]) if dev in dets else None
        if c is not None:
            out.append((model_of(float(fleet.params.q_nom[j])), kinds[j], c))
    return out


def site_fleet_priors(scenario: Scenario, *, pumps: int | None = None, days: float = 14.0,
                      any_emitters: bool = False) -> dict[str, dict[str, FleetPrior]]:
    """Site name -> the site's priors by pump model and emitters (prior_key; with ``any_emitters``
    also by model alone), each from the site's first ``pumps`` healthy pumps made all of that model
    and those emitters (simulated_fleet_prior). Each site is a fleet of its own: its climate, its
    refrigerant, its seed (Scenario.site_scenarios); a scenario without sites is its own one site."""
    out: dict[str, dict[str, FleetPrior]] = {}
    for site in scenario.site_scenarios():
        priors = out[site.site_name] = {}
        for kw in MODEL_CAPACITIES_KW:
            for kind in (*SIM_EMITTERS, None) if any_emitters else SIM_EMITTERS:
                try:
                    priors[prior_key(kw, kind)] = simulated_fleet_prior(site, capacity_kw=kw, pumps=pumps, days=days, emitters=kind)
                except FleetPriorError as exc:  # which prior, of which site
                    raise FleetPriorError(f"{site.name} {prior_key(kw, kind)}: {exc}") from None
    return out


def site_priors(priors: dict, site: Scenario) -> dict:
    """The priors of one site (one of site_scenarios()) from a file of priors: from a file by site
    (site_fleet_priors; a site it does not name: KeyError) its site's, from any other the file's."""
    if not priors or not all(isinstance(v, dict) for v in priors.values()):
        return priors
    if site.site_name not in priors:
        raise KeyError(f"the priors by site have no site {site.site_name!r} (their sites: {', '.join(sorted(priors))})")
    return priors[site.site_name]


# the earlier cohort: the service area's sites as they were a season before (another seed: other
# houses, other weather), commissioned over their first COHORT_DAYS as their agents read them (at a
# 5-minute poll a mild October gives a Stockholm pump its 1,500 steady readings only in its fourth
# week or later: 0 of 40 within 14 days, 2 within 21)
COHORT_DAYS = 42.0
COHORT_SEED_OFFSET = 7_000_000


def cohort_key(refrigerant: str, capacity_kw: float, emitters: str | None) -> str:
    """A prior's key among a service area's priors: "R32/9/radiators", "R32/9" (any emitters)."""
    return f"{refrigerant}/{prior_key(capacity_kw, emitters)}"


def earlier_cohort_priors(sites: list[Scenario], *, stride: int = 1, days: float = COHORT_DAYS,
                          config_of=None) -> dict[str, FleetPrior]:
    """What the service area's gateway knows before the evaluated pumps are installed: the
    commissioned models of an earlier cohort of pumps at the same sites (the same site scenarios
    with another seed and without their faults: other houses, other weather, healthy pumps), grouped as the gateway groups
    them (pump model and refrigerant; form_for picks the same emitters when 3 have them, else any).
    Keys cohort_key; a model and refrigerant with fewer than 3 members has none (the agent then
    judges by the physics bands until its own model exists, as in the field)."""
    members: dict[tuple[str, float], list[tuple[str | None, Commissioned]]] = defaultdict(list)
    for site in sites:
        # the same kinds of pumps where the site names them (capacity, emitters), none of its faults
        devices = {d: dataclasses.replace(spec, faults=()) for d, spec in site.devices.items()}
        earlier = dataclasses.replace(site, seed=site.seed + COHORT_SEED_OFFSET, devices=devices,
                                      duration_s=days * DAY)
        config = config_of(site) if config_of else HeatPumpDetectorConfig(refrigerant=site.refrigerant)
        for kw, kind, c in simulated_members(earlier, days=days, config=config, stride=stride):
            members[(site.refrigerant, kw)].append((kind, c))
    priors = {}
    for (refrigerant, kw), group in sorted(members.items()):
        for kind in (*EMITTERS, None):
            if kind is not None and kind not in {e for e, _ in group}:
                continue
            try:
                priors[cohort_key(refrigerant, kw, kind)] = form_for(group, kind)
            except FleetPriorError:  # too few pumps of that model and refrigerant: no fleet yet
                break
    return priors


def cohort_prior_of(priors: dict[str, FleetPrior], refrigerant: str, q_nom_kw: float,
                    emitters: str | None) -> FleetPrior | None:
    """The prior the gateway hands a new pump of this refrigerant, capacity and emitters (None: no fleet)."""
    return priors.get(cohort_key(refrigerant, model_of(q_nom_kw), emitters))
