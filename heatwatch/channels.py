"""The canonical sensor channels: one list, one order, one unit per name.

The simulator produces values in this order, register maps map Modbus
registers onto these names, and the edge agent's readings are vectors in this
order. Ranges are *plausibility* limits (a sensor that reports outside them is
broken or disconnected), not the normal operating band.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Channel:
    name: str
    unit: str
    low: float
    high: float
    description: str


CHANNELS: tuple[Channel, ...] = (
    Channel("t_outdoor", "°C", -40.0, 50.0, "outdoor air temperature"),
    Channel("t_flow", "°C", -10.0, 85.0, "water flow (leaving) temperature"),
    Channel("t_return", "°C", -10.0, 85.0, "water return (entering) temperature"),
    Channel("t_dhw", "°C", -10.0, 90.0, "domestic hot water tank temperature"),
    Channel("t_indoor", "°C", -10.0, 45.0, "indoor room temperature"),
    Channel("t_discharge", "°C", -40.0, 140.0, "compressor discharge line temperature"),
    Channel("t_suction", "°C", -50.0, 60.0, "compressor suction line temperature"),
    Channel("t_evap", "°C", -50.0, 40.0, "evaporator coil temperature (outdoor unit)"),
    Channel("t_cond", "°C", -10.0, 80.0, "condenser (plate exchanger) refrigerant temperature"),
    Channel("t_liquid", "°C", -10.0, 80.0, "liquid line temperature after the condenser"),
    Channel("p_high", "bar", 0.0, 50.0, "high side (discharge) pressure, absolute"),
    Channel("p_low", "bar", 0.0, 30.0, "low side (suction) pressure, absolute"),
    Channel("compressor_hz", "Hz", 0.0, 140.0, "inverter compressor frequency"),
    Channel("compressor_a", "A", 0.0, 40.0, "compressor current"),
    Channel("power_w", "W", 0.0, 15000.0, "electrical input power of the unit"),
    Channel("flow_lpm", "l/min", 0.0, 80.0, "water flow rate"),
    Channel("fan_rpm", "rpm", 0.0, 1500.0, "outdoor fan speed"),
    Channel("eev_pct", "%", 0.0, 100.0, "electronic expansion valve opening"),
    Channel("defrost", "0/1", 0.0, 1.0, "defrost cycle running"),
    Channel("mode", "enum", 0.0, 3.0, "operating mode, see MODES"),
    Channel("error_code", "code", 0.0, 65535.0, "controller error/trip code, 0 = none"),
)

CHANNEL_NAMES: tuple[str, ...] = tuple(c.name for c in CHANNELS)
INDEX: dict[str, int] = {name: i for i, name in enumerate(CHANNEL_NAMES)}
BY_NAME: dict[str, Channel] = {c.name: c for c in CHANNELS}

# mode channel values
MODE_OFF, MODE_HEATING, MODE_DHW = 0, 1, 2
MODES: dict[int, str] = {MODE_OFF: "off", MODE_HEATING: "heating", MODE_DHW: "dhw"}

# error_code channel values: the protection trips a controller raises
ERROR_NONE = 0
TRIP_CODES: dict[str, int] = {
    "high_pressure": 1,
    "low_pressure": 2,
    "discharge_overtemp": 3,
    "flow_switch": 4,
    "overcurrent": 5,
    "flood_back": 6,  # discharge superheat gone: liquid reaching the compressor
}
TRIP_NAMES: dict[int, str] = {v: k for k, v in TRIP_CODES.items()}
# a controller that tripped too often locks the unit out (the cold house)
ERROR_LOCKOUT = 99
# a pump's own alarm number that its register map does not tie to a trip name:
# error_code = PUMP_ALARM_BASE + the pump's number (named "pump_alarm_<n>" in trip events)
PUMP_ALARM_BASE = 1000


def trip_name(code: int) -> str:
    """The name a trip event carries for an error_code value."""
    if code == ERROR_LOCKOUT:
        return "lockout"
    if code >= PUMP_ALARM_BASE:
        return f"pump_alarm_{code - PUMP_ALARM_BASE}"
    return TRIP_NAMES.get(code, f"error_{code}")

# Derived on the edge from the raw channels (see heatwatch.derived).
DERIVED_NAMES: tuple[str, ...] = (
    "superheat",            # K, suction superheat: t_suction - Tsat(p_low)
    "subcooling",           # K, Tsat(p_high) - t_liquid
    "delta_t",              # K, t_flow - t_return
    "heat_kw",              # kW delivered to the water
    "cop",                  # heat / electrical power, while running
    "evap_approach",        # K, t_outdoor - t_evap: grows with fouling/icing, low charge
    "cond_approach",        # K, t_cond - t_flow: grows with condenser fouling, low flow
    "discharge_superheat",  # K, t_discharge - Tsat(p_high)
    "cond_sat_gap",         # K, t_cond - Tsat(p_high): ~constant in a healthy or faulty pump;
    "evap_sat_gap",         # K, t_evap - Tsat(p_low):  it moves when a sensor drifts
)
# which raw channels each derived channel is computed from (a broken sensor
# moves its derived channels too; diagnosis must not count that as a second witness)
DERIVED_FROM: dict[str, tuple[str, ...]] = {
    "superheat": ("t_suction", "p_low"),
    "subcooling": ("p_high", "t_liquid"),
    "delta_t": ("t_flow", "t_return"),
    "heat_kw": ("flow_lpm", "t_flow", "t_return"),
    "cop": ("flow_lpm", "t_flow", "t_return", "power_w"),
    "evap_approach": ("t_outdoor", "t_evap"),
    "cond_approach": ("t_cond", "t_flow"),
    "discharge_superheat": ("t_discharge", "p_high"),
    "cond_sat_gap": ("t_cond", "p_high"),
    "evap_sat_gap": ("t_evap", "p_low"),
    # not per-reading channels: the compressor's efficiency, judged by the edge against its
    # own baseline (heatwatch.edge.heatpump.compressor_efficiency); the rules read them
    "compression_loss": ("t_suction", "t_discharge", "p_high", "p_low", "compressor_hz"),
    "compression_current": ("compressor_a", "compressor_hz", "p_high", "p_low"),
    # compression_loss over the design day's headroom (edge/heatpump/design_headroom.py)
    "design_discharge": ("t_suction", "t_discharge", "p_high", "p_low", "compressor_hz", "t_outdoor"),
    # the loss compression_loss shows that the energy balance (heat to the water per compressor
    # current over the pressures' Carnot COP) does not (edge/heatpump/energy_balance.py)
    "discharge_unexplained": ("t_suction", "t_discharge", "p_high", "p_low", "compressor_hz", "compressor_a",
                              "power_w", "flow_lpm", "t_flow", "t_return"),
    # the condenser approach over what a clean condenser of the design shows at the flow and delta-T
    # measured (edge/heatpump/condenser_design.py)
    "design_cond_approach": ("t_cond", "t_flow", "t_return", "flow_lpm"),
    # the water thermistors against the refrigerant side's physics, before the pump's own model
    # (edge/heatpump/water_physics.py): the flow or return warmer than condensing, delta-T below the
    # heat the electrical input delivers at least or above what Carnot's cycle allows
    "flow_over_condensing": ("t_flow", "p_high"),
    "return_over_condensing": ("t_return", "p_high", "power_w", "flow_lpm"),
    "heat_deficit": ("t_flow", "t_return", "power_w", "flow_lpm"),
    "heat_excess": ("t_flow", "t_return", "power_w", "flow_lpm", "p_high", "p_low"),
    # which end breaks the heat balance, from the clean condenser of the design (water_witness.py): the
    # flow further below condensing, or the return further below it, than the most heat allows
    "flow_below_condenser": ("t_flow", "p_high", "t_return", "power_w", "flow_lpm", "p_low"),
    "return_below_condenser": ("t_return", "p_high", "t_flow", "power_w", "flow_lpm", "p_low"),
    # the flow meter against the heat the pump's model learned (flow_meter.py): how much better a meter
    # reading off explains delta-T (and, with power_w, the COP) than a real change of flow, low or high
    "flow_meter_low": ("flow_lpm", "t_flow", "t_return"),
    "flow_meter_high": ("flow_lpm", "t_flow", "t_return"),
}
# what the edge's trackers add to the rules' evidence besides the raw and derived channels
INDICATOR_NAMES: tuple[str, ...] = ("compression_loss", "compression_current", "design_discharge",
                                     "discharge_unexplained", "design_cond_approach", "flow_over_condensing",
                                     "return_over_condensing", "heat_deficit", "heat_excess",
                                     "flow_below_condenser", "return_below_condenser", "flow_meter_low",
                                     "flow_meter_high")

# the indicators whose observed value is an excess in K over a bound of physics (negative inside it):
# a sensor rule may ask them to hold with a margin before its notice clears (rules: clear_margin)
BOUND_EXCESS_NAMES: frozenset[str] = frozenset({"flow_over_condensing", "return_over_condensing", "heat_deficit",
                                                "heat_excess", "flow_below_condenser", "return_below_condenser"})

# Water: density 1 kg/l, cp 4.186 kJ/(kg K) -> kW per (l/min * K)
WATER_KW_PER_LPM_K = 4.186 / 60.0
