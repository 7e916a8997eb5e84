"""The faults heatwatch knows by name: simulated by firmware_sim, diagnosed by rules.

One list so the simulator's ground truth, the rule files and the gateway's
tickets use the same words.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FaultType:
    name: str
    title: str  # what a dispatcher reads
    sensor_fault: bool  # a broken sensor: a cheap visit, the pump itself is fine


FAULT_TYPES: tuple[FaultType, ...] = (
    FaultType("refrigerant_leak", "Refrigerant leak (undercharge)", False),
    FaultType("compressor_wear", "Compressor wear", False),
    FaultType("evaporator_fouling", "Outdoor fan / evaporator fouling, icing, failed defrost", False),
    FaultType("low_water_flow", "Low water flow (pump wear, clogged strainer, air)", False),
    FaultType("eev_stuck_closed", "Expansion valve sticking closed", False),
    FaultType("eev_stuck_open", "Expansion valve sticking open", False),
    FaultType("condenser_fouling", "Condenser (plate heat exchanger) fouling", False),
    FaultType("sensor_drift", "Sensor drift", True),
    FaultType("sensor_stuck", "Sensor stuck at one value", True),
    FaultType("sensor_noise", "Noisy sensor", True),
    FaultType("sensor_dropout", "Sensor dropout", True),
)
FAULTS: dict[str, FaultType] = {f.name: f for f in FAULT_TYPES}
PUMP_FAULTS: tuple[str, ...] = tuple(f.name for f in FAULT_TYPES if not f.sensor_fault)
SENSOR_FAULTS: tuple[str, ...] = tuple(f.name for f in FAULT_TYPES if f.sensor_fault)
