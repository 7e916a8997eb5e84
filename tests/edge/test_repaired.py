"""After a repair the agent learns the pump afresh instead of flagging its new normal.

The pump of tests/support/repair.py gets a weaker (healthy) circulation pump
on day five. Judged with the model learned before, its new flow reads as
low water flow; after ``PumpPipeline.repaired()`` (what the agent does on the
gateway's ``repaired`` command) the pipeline commissions again and stays
quiet, and the reset survives a restart through the state file.
"""

from __future__ import annotations

import json

import pytest

from heatwatch.contract import EventKind
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
from heatwatch.edge.pipeline import PumpPipeline
from tests.support.repair import CONFIG, DAY, judge, pipeline, repaired_pump


@pytest.fixture(scope="module")
def readings():
    return repaired_pump()


@pytest.fixture(scope="module")
def before(readings):
    """A pipeline that learned the old pump and judged it up to the repair: nothing to say."""
    pipe = pipeline()
    events = judge(pipe, readings.ts[:readings.cut], readings.X[:readings.cut])
    assert pipe.detector.ready and events == []
    return pipe.state()


def _restored(state: dict) -> PumpPipeline:
    pipe = pipeline()
    pipe.load_state(json.loads(json.dumps(state)))
    return pipe


def test_without_relearning_the_new_normal_is_flagged(readings, before):
    pipe = _restored(before)
    raised = [ev for ev in judge(pipe, readings.ts[readings.cut:], readings.X[readings.cut:])
              if ev.kind is EventKind.FAULT]
    assert [ev.fault for ev in raised] == ["low_water_flow"]
    assert raised[0].ts < readings.repair_ts + 2 * DAY


def test_after_relearning_the_repaired_pump_is_learned_not_flagged(readings, before):
    pipe = _restored(before)
    assert pipe.repaired(float(readings.ts[readings.cut - 1])) == []  # nothing stood
    assert not pipe.detector.ready
    # a restart right after the command: the saved state holds no model, so it commissions again
    pipe = _restored(pipe.state())
    assert not pipe.detector.ready
    events = judge(pipe, readings.ts[readings.cut:], readings.X[readings.cut:])
    assert events == []
    assert pipe.detector.ready  # learned again: the last days were judged against the new normal
    flow = TARGET_NAMES.index("flow_lpm")  # the intercept of the flow: the new normal is the weaker pump's
    new_flow, old_flow = pipe.detector.model.coef[0, flow], _restored(before).detector.model.coef[0, flow]
    assert 0.6 < new_flow / old_flow < 0.8


def test_a_standing_fault_is_cleared_and_no_fault_found_keeps_the_model(readings, before):
    pipe = _restored(before)
    judge(pipe, readings.ts[readings.cut:readings.cut + 1080], readings.X[readings.cut:readings.cut + 1080])
    assert "low_water_flow" in pipe.raised_faults
    model = pipe.detector.model.to_dict()
    cleared = pipe.repaired(float(readings.ts[readings.cut + 1079]), relearn=False, why="No fault found.")
    assert [(ev.kind, ev.fault) for ev in cleared] == [(EventKind.FAULT_CLEARED, "low_water_flow")]
    assert cleared[0].explanation.endswith("cleared. No fault found.")
    assert pipe.raised_faults == {} and pipe.rules.active == []
    assert pipe.detector.ready and pipe.detector.model.to_dict() == model  # what it learned stays
    assert float(abs(pipe.detector.shift.residual).max()) == 0.0  # what it saw does not
    # the old model still sees the weaker pump: the fault comes back, raised afresh
    again = judge(pipe, readings.ts[readings.cut + 1080:], readings.X[readings.cut + 1080:])
    assert [ev.fault for ev in again if ev.kind is EventKind.FAULT] == ["low_water_flow"]


def test_the_config_is_short_enough_to_learn_twice(readings):
    assert CONFIG.commissioning_seconds < (readings.ts[-1] - readings.repair_ts) / 2
