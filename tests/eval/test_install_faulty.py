"""A pump faulty from installation in the whole-loop evaluation: the gateway hands each new agent
its fleet's prior (the commissioned models of an earlier cohort of healthy pumps of its model,
refrigerant and emitters), so the pump is judged from its first day, not only once its own
commissioning window (weeks at a 5-minute poll) has learned the fault as its normal."""

from __future__ import annotations

import pytest

from heatwatch.eval.fleet_prior import cohort_prior_of, earlier_cohort_priors
from heatwatch.eval.partitions import parts_of
from heatwatch.eval.worker import run_part, stride_for
from heatwatch.sim.scenario import parse_scenario
from heatwatch.units import DAY

POLL_S = 300.0
# an Oslo site of one pump model (7 kW) in October: its water flow falls from installation
# (trips on high pressure on day 8.7) and a valve sticks open from installation (flood-back
# after day 13); the other ten are healthy
RUN_DAYS = 18
SITE = {"fleet": {"size": 12}, "climate": "oslo", "start": "2024-10-01", "duration": f"{RUN_DAYS}d", "seed": 4711,
        "refrigerant": "R32",
        "devices": {**{f"hp-{i:03d}": {"capacity_kw": 7} for i in range(12)},
                    "hp-003": {"capacity_kw": 7, "faults": [{"type": "low_water_flow", "onset": 0,
                                                             "time_to_trip": "10d"}]},
                    "hp-008": {"capacity_kw": 7, "faults": [{"type": "eev_stuck_open", "onset": 0,
                                                             "time_to_trip": "11d"}]}}}


@pytest.fixture(scope="module")
def site():
    (part,) = parts_of([parse_scenario(SITE)])
    return part


@pytest.fixture(scope="module")
def priors(site):
    return earlier_cohort_priors([site.scenario], stride=stride_for(site.scenario.step_s, POLL_S))


def _named_before_trip(result) -> dict[str, bool]:
    return {p.device: any(t.fault == p.fault and (p.trip_ts is None or t.opened_ts < p.trip_ts) for t in p.tickets)
            for p in result.pumps if p.fault}


@pytest.mark.timeout(300)
def test_a_pump_faulty_from_installation_is_named_before_its_trip_with_its_fleets_prior(site, priors):
    assert cohort_prior_of(priors, "R32", 7.0, "radiators") is not None
    assert cohort_prior_of(priors, "R32", 7.0, "underfloor") is not None
    result = run_part(site, POLL_S, priors=priors)
    trips = {p.device: p.trip_ts for p in result.pumps if p.fault}
    assert all(t is not None and t < site.scenario.start_ts + RUN_DAYS * DAY for t in trips.values())  # both trip
    assert _named_before_trip(result) == {"hp-003": True, "hp-008": True}
    healthy = [p for p in result.pumps if not p.fault]
    assert len(healthy) == 10 and not [(p.device, [t.fault for t in p.tickets]) for p in healthy if p.tickets]


@pytest.mark.timeout(300)
def test_without_a_fleet_the_design_data_names_the_same_pumps_before_their_trips(site):
    """Before any fleet exists: each agent's [design] data (its model's capacity, so its design flow,
    and the valve controller's superheat setpoint) judge the first weeks; the fourth round's
    generic bands alone named neither pump before its trip."""
    result = run_part(site, POLL_S)
    assert _named_before_trip(result) == {"hp-003": True, "hp-008": True}
    assert not [p.device for p in result.pumps if not p.fault and p.tickets]
