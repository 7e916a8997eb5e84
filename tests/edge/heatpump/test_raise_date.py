"""A pump fault raised before its prognosis can date it says so in plain words, and its first date comes
as an update whose words replace that sentence.

Two raises without a date: the leak of test_held_window's site, named by its own first days hours after
its window was handed to them (its prognosis holds hours, bench/heldout39_raisedate.md), and the worn
compressor of fault_compressor_wear's hp-001, named before its prognosis had a trend and dated by the
update after. Fails on main (0e90a65): the raises said nothing of a date.
"""

from __future__ import annotations

import dataclasses

import pytest

from heatwatch.contract import EventKind
from heatwatch.edge.heatpump.detector import HeatPumpDetectorConfig
from heatwatch.edge.pipeline import NO_DATE_YET, PumpPipeline
from heatwatch.eval.fleet_prior import scenario_design_c, with_design
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import load_scenario
from heatwatch.units import DAY
from tests.edge.heatpump.site_replay import replay_site
from tests.edge.heatpump.test_held_window import CONFIG, POLL_STRIDE, SITE

# fault_compressor_wear's hp-001 (onset day 14) is raised on day 16.3 without a date, dated on day 16.5
WEAR_DAYS = 17


def _undated(ev) -> None:
    assert ev.kind is EventKind.FAULT and ev.prognosis is None
    assert ev.explanation.endswith(NO_DATE_YET) and "Trip expected" not in ev.explanation


@pytest.mark.timeout(300)
def test_a_leak_named_by_its_own_first_days_says_it_has_no_date_yet() -> None:
    _, _, _, events = replay_site(SITE, CONFIG, POLL_STRIDE)
    _undated([e for e in events["hp-001"] if e.fault == "refrigerant_leak" and e.kind.raises][0])


@pytest.mark.timeout(600)
def test_the_first_date_replaces_the_words_of_the_missing_one() -> None:
    scenario = load_scenario("fault_compressor_wear")
    scenario = dataclasses.replace(scenario, duration_s=float(WEAR_DAYS * DAY))
    fleet = Fleet(scenario)
    j = fleet.devices.index("hp-001")
    config = with_design(HeatPumpDetectorConfig(refrigerant=scenario.refrigerant), float(fleet.params.q_nom[j]),
                         scenario_design_c(scenario))
    pipe = PumpPipeline.with_config("hp-001", config)
    events = []
    for chunk in fleet.chunks(steps=1440 * 4):
        events += pipe.process_batch(chunk.ts, chunk.values[:, j, :])[1]
    wear = [e for e in events if e.fault == "compressor_wear" and e.kind in (EventKind.FAULT, EventKind.FAULT_UPDATE)]
    raised = wear[0]
    _undated(raised)
    first = next(e for e in wear if e.prognosis is not None)
    assert first.kind is EventKind.FAULT_UPDATE
    assert NO_DATE_YET not in first.explanation and first.explanation.count("Trip expected in about") == 1
    assert first.explanation.startswith(raised.explanation[:-len(NO_DATE_YET)])
