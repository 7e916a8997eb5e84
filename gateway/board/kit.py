"""What a technician brings for each fault, and which channels show it: the board's ticket page.

Written from docs/heatpump.md ("Faults and how they show before the trip"): a leak is found with
a detector and fixed by brazing, evacuating and weighing in the charge; a fouled evaporator needs
coil cleaner and a look at the fan; a sensor fault is a cheap visit with a replacement probe. The
channels are those the fault moves first (its early signature), so the chart shows the evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

from heatwatch.faults import FAULTS


@dataclass(frozen=True)
class Kit:
    channels: tuple[str, ...]  # what the chart shows, the fault's early signature first
    parts: tuple[str, ...]
    tools: tuple[str, ...]


_REFRIGERANT_TOOLS = ("manifold gauges or digital manifold for the unit's refrigerant",
                      "vacuum pump and micron gauge", "charging scale", "recovery machine and cylinder")

KITS: dict[str, Kit] = {
    "refrigerant_leak": Kit(
        ("superheat", "p_low", "eev_pct", "subcooling", "t_discharge"),
        ("refrigerant of the unit's type (see the device), enough for a full charge",
         "brazing rods and flux, or press fittings", "Schrader valve cores and caps", "filter drier"),
        ("electronic leak detector for the refrigerant", *_REFRIGERANT_TOOLS, "brazing kit with nitrogen purge")),
    "compressor_wear": Kit(
        ("compressor_a", "power_w", "t_discharge", "compressor_hz"),
        ("compressor start/run components the model uses (inverter board fuse, contactor)",
         "compressor oil of the right type", "replacement compressor on standby (confirm model first)"),
        ("clamp meter", "insulation tester (megger)", *_REFRIGERANT_TOOLS)),
    "evaporator_fouling": Kit(
        ("evap_approach", "fan_rpm", "p_low", "defrost"),
        ("outdoor fan motor or fan capacitor for the model", "defrost sensor (evaporator probe)",
         "coil cleaner"),
        ("soft brush and low-pressure water sprayer", "fin comb", "multimeter", "infrared thermometer")),
    "low_water_flow": Kit(
        ("flow_lpm", "delta_t", "t_flow", "p_high"),
        ("strainer / dirt filter insert and gaskets", "circulation pump (or its head) for the model",
         "automatic air vent", "system water inhibitor"),
        ("hose and bucket to flush the strainer", "pressure gauge for the water side", "bleed key",
         "clamp-on flow meter if available")),
    "eev_stuck_closed": Kit(
        ("superheat", "subcooling", "eev_pct", "p_low"),
        ("expansion valve coil for the model", "expansion valve body (if the coil tests good)", "filter drier"),
        ("EEV magnet / coil tester", "multimeter", *_REFRIGERANT_TOOLS, "brazing kit with nitrogen purge")),
    "eev_stuck_open": Kit(
        ("superheat", "discharge_superheat", "p_low", "eev_pct"),
        ("expansion valve coil for the model", "expansion valve body (if the coil tests good)"),
        ("EEV magnet / coil tester", "multimeter", *_REFRIGERANT_TOOLS, "brazing kit with nitrogen purge")),
    "condenser_fouling": Kit(
        ("cond_approach", "p_high", "t_discharge", "cop"),
        ("descaling agent for plate heat exchangers", "isolation valve gaskets", "strainer insert"),
        ("descaling pump and hoses", "pressure gauge for the water side", "pH strips")),
    "sensor_drift": Kit(
        ("cond_sat_gap", "evap_sat_gap", "p_high", "p_low"),
        ("replacement sensor of the drifting channel (NTC probe or pressure transducer for the model)",
         "thermal paste and cable ties"),
        ("reference thermometer", "manifold gauges (to check a pressure transducer)", "multimeter")),
    "sensor_stuck": Kit(
        ("cond_sat_gap", "evap_sat_gap", "t_suction", "t_evap"),
        ("replacement sensor of the stuck channel (NTC probe or pressure transducer for the model)",
         "sensor connector"),
        ("multimeter", "reference thermometer")),
    "sensor_noise": Kit(
        ("cond_sat_gap", "evap_sat_gap", "t_suction", "p_low"),
        ("replacement sensor of the noisy channel", "shielded cable and connector"),
        ("multimeter", "contact cleaner")),
    "sensor_dropout": Kit(
        ("t_suction", "p_low", "t_flow", "flow_lpm"),
        ("sensor connector and crimp terminals", "replacement sensor of the channel that drops out"),
        ("multimeter", "contact cleaner", "crimp tool")),
}
DEFAULT = Kit(("t_flow", "t_return", "compressor_hz", "power_w"), (),
              ("multimeter", "manifold gauges", "the unit's service manual"))
DEFAULT_PARTS_NOTE = "no fault named: diagnose on site first"



def kit_for(fault: str | None) -> Kit:
    return KITS.get(fault or "", DEFAULT)


def fault_title(fault: str | None) -> str:
    if fault is None:
        return "no fault named (a ticket without an incident)"
    known = FAULTS.get(fault)
    if known is not None:
        return known.title
    return {"device_offline": "Device offline (the agent went silent)",
            "pump_trip": "Pump tripped on protection"}.get(fault, fault.replace("_", " "))
