"""A sensor fault is named when no pump fault explains the evidence better, and a pump fault
is not named for what one drifting sensor shows.

On a cold-climate fleet a p_low transducer drifting up was called an expansion valve stuck
open: its superheat falls (T_sat of a too-high pressure) and p_low rises, the valve's
signature. But a flooded evaporator stays two-phase: its coil thermistor reads the saturation
temperature of the real pressure, so the coil parting from the saturation temperature of the
reported pressure (evap_sat_gap) says the transducer lies.
"""

from __future__ import annotations

import numpy as np

from heatwatch.edge.heatpump.detector import HeatPumpDetectorConfig
from heatwatch.edge.pipeline import PumpPipeline
from heatwatch.faults import FAULTS
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import parse_scenario
from heatwatch.units import DAY


def test_a_drifting_low_pressure_transducer_is_a_sensor_not_a_valve_or_a_compressor():
    sc = parse_scenario({"fleet": {"size": 1}, "climate": "oslo", "start": "2025-01-05", "duration": "20d", "seed": 9,
                         "devices": {"hp-000": {"faults": [
                             {"type": "sensor_drift", "channel": "p_low", "onset": "3d", "rate": 0.1}]}}})
    fleet = Fleet(sc)
    chunks = list(fleet.chunks(1440))
    ts = np.concatenate([c.ts for c in chunks])[::5]
    X = np.concatenate([c.values for c in chunks])[::5, 0, :]
    pipe = PumpPipeline.with_config("hp-000", HeatPumpDetectorConfig(commissioning_seconds=2 * DAY,
                                                                     min_training_rows=300))
    _, events = pipe.process_batch(ts, X)
    raised = [(e.fault, e.explanation) for e in events if e.kind.raises]
    assert not [f for f, _ in raised if not FAULTS[f].sensor_fault], raised
    assert any(f == "sensor_drift" and "(p_low)" in text for f, text in raised), raised


def _raised_on_outdoor_drift(rate: float) -> list[tuple[str, str]]:
    """An Oslo R290 pump polled every 3 minutes whose outdoor sensor drifts by ``rate`` K a day."""
    sc = parse_scenario({"fleet": {"size": 1}, "climate": "oslo", "start": "2024-12-01", "duration": "24d", "seed": 1414,
                         "step": "60s", "refrigerant": "R290",
                         "devices": {"hp-000": {"faults": [
                             {"type": "sensor_drift", "channel": "t_outdoor", "onset": "4d", "rate": rate}]}}})
    fleet = Fleet(sc)
    chunks = list(fleet.chunks(1440))
    ts = np.concatenate([c.ts for c in chunks])[::3]
    X = np.concatenate([c.values for c in chunks])[::3, 0, :]
    pipe = PumpPipeline.with_config("hp-000", HeatPumpDetectorConfig(commissioning_seconds=3 * DAY,
                                                                     min_training_rows=300, refrigerant="R290"))
    _, events = pipe.process_batch(ts, X)
    return [(e.fault, e.explanation) for e in events if e.kind.raises]


def test_a_drifting_outdoor_sensor_is_a_sensor_not_a_leak_or_a_fouled_coil():
    # held-out Oslo R290 fleet, 3-minute poll: a t_outdoor drift was called an evaporator fouling
    # and a leak. A drift moves evap_approach and (through the model's operating point) p_low and
    # t_evap, never the charge's own witnesses (subcooling, superheat)
    for rate in (0.3, -0.3):
        raised = _raised_on_outdoor_drift(rate)
        assert not [f for f, _ in raised if not FAULTS[f].sensor_fault], (rate, raised)
        assert any(f == "sensor_drift" and "(t_outdoor)" in text for f, text in raised), (rate, raised)
