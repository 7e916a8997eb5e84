"""What the installer and the manufacturer already know about a pump before it runs a day.

Until a fleet of its model exists, a new pump has no healthy behaviour to be compared with but
its design: the superheat its expansion-valve controller is set to hold, the water flow its size
and design delta-T call for. These hold for any make, whatever the weather, and the prior
(prior.py) judges the pump's first days against them. Carried in edge.toml's ``[design]`` section
(docs/edge.md). A value not given leaves its channel to the generic bands (superheat) or unjudged
(flow): setpoints run 2-8 K across makes, and a guessed one would put a make set low at the edge.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

WATER_KW_PER_LPM_K = 0.069  # heat carried by 1 l/min of water per K of delta-T (4.186 kJ/kg K / 60 s)
# a steady superheat controller with integral action holds its setpoint to about 0.5 K; the suction
# thermistor and the low-pressure transducer add about 1 K between them: a healthy pump's averaged
# superheat sits within this of the setpoint
SUPERHEAT_HOLD_K = 1.5
# an installer balances the water circuit to its design flow within about 20 % (pipe runs, a
# strainer just cleaned or not): below 80 % of it the pump runs hotter than it was selected for
FLOW_HOLD = 0.8


class DesignError(ValueError):
    """A design value no pump has (a typo, a unit mixed up)."""


# key -> (low, high): the plausible range of each value (0 = not given, where allowed)
_RANGES: dict[str, tuple[float, float]] = {
    "superheat_setpoint_k": (2.0, 12.0),  # the EEV controller's; makes ship 2-8 K
    "capacity_kw": (1.0, 60.0),  # nominal heating capacity (A7/W35)
    "design_delta_t_k": (2.0, 12.0),  # flow - return at nominal capacity
    "design_flow_lpm": (2.0, 300.0),  # the installer's commissioned flow, if measured
    # the outdoor temperature the installation was sized for (EN 12831's for the site): the
    # compressor's discharge headroom is judged at it (design_headroom.py); not given: not judged
    "design_outdoor_c": (-45.0, 15.0),
    # the kelvin the inverter's derate can take off the discharge between the top frequency and the
    # minimum (the controller's and compressor's, prognosis_derate.DERATE_ROOM_K when not given): a worn
    # compressor at its derate is dated by it
    "derate_room_k": (5.0, 80.0),
    # where the discharge temperature control starts stepping the frequency down (service manuals:
    # some 5 K under the discharge stop; prognosis_derate.DERATE_START_C when not given)
    "derate_start_c": (80.0, 130.0),
    # the compressor's minimum frequency (its data sheet: 15-25 Hz; prognosis_derate.F_MIN_HZ when
    # not given): the derate can step down to it and no further
    "min_frequency_hz": (5.0, 60.0),
}
_OPTIONAL = ("superheat_setpoint_k", "capacity_kw", "design_flow_lpm", "derate_room_k", "derate_start_c",
             "min_frequency_hz")


@dataclass(frozen=True)
class PumpDesign:
    superheat_setpoint_k: float = 0.0  # 0: not given
    capacity_kw: float = 0.0  # 0: not given
    design_delta_t_k: float = 5.0
    design_flow_lpm: float = 0.0  # 0: from capacity_kw and design_delta_t_k
    design_outdoor_c: float | None = None  # None: not given (0 °C is a design temperature)
    derate_room_k: float = 0.0  # 0: not given (prognosis_derate.DERATE_ROOM_K)
    derate_start_c: float = 0.0  # 0: not given (prognosis_derate.DERATE_START_C)
    min_frequency_hz: float = 0.0  # 0: not given (prognosis_derate.F_MIN_HZ)

    def __post_init__(self) -> None:
        for key, (lo, hi) in _RANGES.items():
            v = getattr(self, key)
            if v is None and key == "design_outdoor_c":
                continue
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise DesignError(f"{key} = {v!r}: expected a number")
            if v == 0.0 and key in _OPTIONAL:
                continue
            if not lo <= v <= hi:
                raise DesignError(f"{key} = {v!r}: outside {lo:g}..{hi:g}")

    @property
    def flow_lpm(self) -> float | None:
        """The design water flow (l/min): the installer's, else the nominal capacity carried at the
        design delta-T; None when neither is known (the flow is then not judged before a model)."""
        if self.design_flow_lpm > 0.0:
            return self.design_flow_lpm
        if self.capacity_kw > 0.0:
            return self.capacity_kw / (WATER_KW_PER_LPM_K * self.design_delta_t_k)
        return None

    @classmethod
    def from_dict(cls, raw: dict) -> "PumpDesign":
        """From edge.toml's [design] table (DesignError on an unknown key or a value no pump has)."""
        unknown = set(raw) - set(_RANGES)
        if unknown:
            raise DesignError(f"unknown key(s): {', '.join(sorted(unknown))}")
        return cls(**{k: float(v) if isinstance(v, int) and not isinstance(v, bool) else v for k, v in raw.items()})
