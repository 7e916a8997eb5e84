"""A fault's parts list names the pump's own refrigerant: the leak rules ask for a cylinder of it
(rules/heatpump.yaml ``{refrigerant}``, filled by the pipeline from the pump's config), so the
technician sent to an R290 pump does not load an R32 cylinder."""

from __future__ import annotations

import pytest

from heatwatch.edge.heatpump.detector import HeatPumpDetectorConfig
from heatwatch.edge.pipeline import PumpPipeline
from heatwatch.rules.engine import ChannelShift, Evidence

T0 = 1_736_000_000.0
LEAK = {"eev_pct": 3.0, "p_low": -2.0, "evap_approach": 2.0, "subcooling": -1.5}


def leak_parts(refrigerant: str) -> list[str]:
    pipe = PumpPipeline.with_config("hp-1", HeatPumpDetectorConfig(refrigerant=refrigerant))
    shifts = {ch: ChannelShift(level=lv, expected=20.0, observed=20.0 + lv) for ch, lv in LEAK.items()}
    for step in range(60):
        for d in pipe._one_voice(pipe.rules.evaluate(Evidence(ts=T0 + 600.0 * step, shifts=shifts))):
            event = pipe._event(d)
            if event.fault == "refrigerant_leak" and event.kind == "fault":
                return event.parts
    raise AssertionError("no refrigerant_leak raised")


@pytest.mark.parametrize("refrigerant", ["R290", "R32"])
def test_a_leaks_parts_ask_for_the_pumps_own_refrigerant(refrigerant):
    parts = leak_parts(refrigerant)
    assert f"{refrigerant} cylinder and charging scale" in parts
    assert not any("{" in p for p in parts)
    other = "R32" if refrigerant == "R290" else "R290"
    assert not any(other in p for p in parts)
