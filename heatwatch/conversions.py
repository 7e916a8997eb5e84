"""Units a pump or a bridge may report in, converted to the canonical channels' own units.

A pump's own JSON (a Wi-Fi module, a bridge such as ebusd or a vendor's
cloud relay) says °F, kPa, l/h or kW where heatwatch's channels are °C, bar,
l/min and W (``heatwatch.channels``). A mapping names the unit it reads and
this table turns it into ``canonical = value * scale + offset``.

Pressures: the canonical channels are absolute. A pump that reports gauge
pressure (over the atmosphere, what a manometer shows) is read with a gauge
unit (``barg``, ``kPag``, ``psig``): one standard atmosphere is added.
"""

from __future__ import annotations

from heatwatch.channels import BY_NAME

ATM_BAR = 1.01325
PSI_BAR = 0.0689475729

# canonical unit -> {unit as written: (scale, offset)}
CONVERSIONS: dict[str, dict[str, tuple[float, float]]] = {
    "°C": {"°C": (1.0, 0.0), "C": (1.0, 0.0), "degC": (1.0, 0.0), "celsius": (1.0, 0.0),
           "°F": (5 / 9, -32 * 5 / 9), "F": (5 / 9, -32 * 5 / 9), "degF": (5 / 9, -32 * 5 / 9),
           "fahrenheit": (5 / 9, -32 * 5 / 9), "K": (1.0, -273.15), "kelvin": (1.0, -273.15),
           "dC": (0.1, 0.0)},  # tenths of a degree, as many controllers send
    "bar": {"bar": (1.0, 0.0), "mbar": (1e-3, 0.0), "kPa": (0.01, 0.0), "Pa": (1e-5, 0.0), "MPa": (10.0, 0.0),
            "psi": (PSI_BAR, 0.0), "barg": (1.0, ATM_BAR), "kPag": (0.01, ATM_BAR), "MPag": (10.0, ATM_BAR),
            "psig": (PSI_BAR, ATM_BAR)},
    "l/min": {"l/min": (1.0, 0.0), "L/min": (1.0, 0.0), "l/h": (1 / 60, 0.0), "L/h": (1 / 60, 0.0),
              "l/s": (60.0, 0.0), "m3/h": (1000 / 60, 0.0), "m³/h": (1000 / 60, 0.0), "gpm": (3.785411784, 0.0)},
    "W": {"W": (1.0, 0.0), "kW": (1000.0, 0.0)},
    "Hz": {"Hz": (1.0, 0.0), "rps": (1.0, 0.0), "rpm": (1 / 60, 0.0)},
    "A": {"A": (1.0, 0.0), "mA": (1e-3, 0.0)},
    "rpm": {"rpm": (1.0, 0.0), "rps": (60.0, 0.0), "Hz": (60.0, 0.0)},
    "%": {"%": (1.0, 0.0), "fraction": (100.0, 0.0), "permille": (0.1, 0.0)},
}


class UnitError(ValueError):
    """A unit the channel cannot be read in; the message lists the ones it can."""


def conversion(channel: str, unit: str) -> tuple[float, float]:
    """(scale, offset) that turn a value in ``unit`` into ``channel``'s canonical unit."""
    canonical = BY_NAME[channel].unit
    if unit in ("", canonical):
        return 1.0, 0.0
    known = CONVERSIONS.get(canonical)
    if not known or unit not in known:
        options = ", ".join(known) if known else canonical
        raise UnitError(f"{channel} is in {canonical}; unit {unit!r} is not one it can be read in ({options})")
    return known[unit]
