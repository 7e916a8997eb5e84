"""A commissioning window held open by the prior's bands: judged by its growth (the pump against its own
start) and said to the operator, not postponed in silence until the trip.

Fails on main (fabd4b8): there the window stays postponed reading after reading, no notice is said and
the leak is not named before its discharge trip (hp-001 below trips on day 23.0).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from heatwatch.contract import EventKind
from heatwatch.edge.heatpump.detector import HeatPumpDetectorConfig
from heatwatch.edge.heatpump.held_window import HELD
from heatwatch.edge.pipeline import PumpPipeline
from heatwatch.faults import FAULTS
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import parse_scenario
from heatwatch.units import DAY
from tests.edge.heatpump.site_replay import replay_site

POLL_STRIDE = 5  # a 5-minute poll
# a mild Atlantic autumn (the numbers of a Lisbon-like site) in which the pumps seldom run steadily; hp-001
# leaks from installation and its evaporator approach leaves the prior's band before its window falls due
SITE = {"fleet": {"size": 2}, "start": "2043-10-10", "duration": "24d", "seed": 37301, "refrigerant": "R32",
        "climate": {"name": "mild-atlantic", "monthly_c": [11.6, 12.5, 14.8, 15.9, 18.2, 21.3, 23.1, 23.5, 22.2, 19.1,
                                                           15.2, 12.6],
                    "diurnal_amp_c": [3.5, 5.0], "anomaly_sigma_c": [2.2, 1.6],
                    "monthly_rh": [80, 78, 72, 70, 68, 65, 63, 64, 67, 73, 79, 81], "utc_offset_h": 1,
                    "design_c": 2.0},
        "devices": {"hp-001": {"faults": [{"type": "refrigerant_leak", "onset": 0, "time_to_trip": "15d"}]}}}
# a window of 15 days (the growth test needs 14 between its first and last steady reading) and 300 readings
CONFIG = HeatPumpDetectorConfig(refrigerant="R32", commissioning_seconds=15 * DAY, min_training_rows=300)


@pytest.fixture(scope="module")
def site():
    return replay_site(SITE, CONFIG, POLL_STRIDE)


@pytest.mark.timeout(300)
def test_a_leak_holding_its_window_open_is_named_before_its_trip(site) -> None:
    scenario, fleet, pipes, events = site
    (truth,) = [t for t in fleet.truth if t.fault]
    trip = truth.trip_ts if truth.trip_ts is not None else math.inf
    held = [e for e in events["hp-001"] if e.kind is EventKind.AGENT and e.fault == HELD]
    leak = [e for e in events["hp-001"] if e.kind is EventKind.FAULT and e.fault == "refrigerant_leak"]
    print([(e.kind.value, e.fault, round((e.ts - scenario.start_ts) / DAY, 1)) for e in events["hp-001"]
           if e.kind is not EventKind.FAULT_UPDATE])
    # the operator is told when the window falls due that the bands hold it open, and which ones
    assert held and held[0].severity == "warning" and "evap_approach" in held[0].findings[0].channels
    assert "Commissioning held open" in held[0].explanation and "not learned as healthy" in held[0].explanation
    # judged by its growth: against its own first days, the leak named before its trip (main: never)
    assert "judged against its own first days" in held[-1].explanation
    assert leak and held[0].ts <= leak[0].ts < trip
    assert "Judged against this pump's own first days" in leak[0].explanation
    det = pipes["hp-001"].detector
    assert det.fleet is not None and det.fleet.own and det.basis_at(float(leak[0].ts)) == "own start"


def test_the_healthy_pump_is_neither_held_nor_alarmed(site) -> None:
    _, _, pipes, events = site
    assert not [e.fault for e in events["hp-000"] if e.kind.raises and not FAULTS[e.fault].sensor_fault]
    assert not [e for e in events["hp-000"] if e.fault == HELD]
    det = pipes["hp-000"].detector
    assert det.model is not None and det.fleet is None and det.postponed_fits == 0


@pytest.mark.timeout(300)
def test_streaming_and_batch_are_the_same_through_a_held_window() -> None:
    """The agent reading by reading and a replay in chunks say the same through the held window: the
    same notices and raises at the same times, the same own start."""
    scenario = parse_scenario({**SITE, "duration": "20d"})
    ts, X = [], []
    for chunk in Fleet(scenario).chunks(steps=1440 * 4):
        ts.append(chunk.ts[::POLL_STRIDE])
        X.append(chunk.values[::POLL_STRIDE, 1, :])
    T, V = np.concatenate(ts), np.concatenate(X)
    stream, batch = PumpPipeline.with_config("hp-001", CONFIG), PumpPipeline.with_config("hp-001", CONFIG)
    ea = [(e.kind, e.fault, e.ts, e.explanation) for t, x in zip(T, V) for e in stream.process(float(t), x)[1]]
    eb = []
    for lo in range(0, len(T), 1000):
        eb += [(e.kind, e.fault, e.ts, e.explanation) for e in batch.process_batch(T[lo:lo + 1000], V[lo:lo + 1000])[1]]
    assert ea == eb and any(e[1] == HELD for e in ea)
    a, b = stream.detector, batch.detector
    assert a.fleet is not None and a.fleet.own and b.fleet is not None and b.fleet.own
    assert a.postponed_fits == b.postponed_fits and a.start_ts == b.start_ts
