"""A scenario's ``climate:``: a named preset, or a climate given by its numbers.

A fleet in a town none of the presets has (Helsinki, Vienna, Dublin) names its climate by
its monthly mean temperatures; what it leaves out is taken from the preset whose monthly
temperatures are nearest (RMS over the twelve months): the day-night range, the size of
the cold and mild spells, the humidity. The design outdoor temperature (what the houses'
pumps were sized for) defaults to the coldest month less three winter spell deviations,
which gives -16, -20 and -5.5 °C for the presets' own numbers (their stated design
temperatures: -18, -20, -5). Each value is checked against a physical range, and a wrong
one names its field, as the loader's other errors do.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from heatwatch.sim.climate import CLIMATE_PRESETS, ClimatePreset

CLIMATE_FIELDS = ("name", "monthly_c", "diurnal_amp_c", "anomaly_sigma_c", "monthly_rh", "utc_offset_h", "design_c")
# physical ranges: a monthly mean air temperature, half the day-night range, the std of the multi-day
# anomaly, a monthly mean relative humidity, a time zone, a heating design temperature
_RANGES = {"monthly_c": (-40.0, 40.0), "diurnal_amp_c": (0.0, 10.0), "anomaly_sigma_c": (0.0, 10.0),
           "monthly_rh": (30.0, 100.0), "utc_offset_h": (-12.0, 14.0), "design_c": (-45.0, 15.0)}
_LENGTHS = {"monthly_c": 12, "diurnal_amp_c": 2, "anomaly_sigma_c": 2, "monthly_rh": 12}
_WHAT = {"monthly_c": "mean air temperatures in °C, Jan..Dec", "diurnal_amp_c": "half day-night ranges in K, [winter, summer]",
         "anomaly_sigma_c": "std of the multi-day anomaly in K, [winter, summer]", "monthly_rh": "mean relative humidities in %, Jan..Dec"}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,39}$")
DESIGN_SIGMAS = 3.0  # design temperature = coldest month - 3 winter anomaly sigmas (when not given)


def nearest_preset(monthly_c: tuple[float, ...]) -> str:
    """The preset whose monthly mean temperatures are nearest (RMS over the year)."""
    return min(CLIMATE_PRESETS, key=lambda n: sum((a - b) ** 2 for a, b in zip(CLIMATE_PRESETS[n].monthly_c, monthly_c)))


def climate_label(spec: ClimatePreset) -> str:
    """How reports name a climate given by its numbers: its ``name``, else its January and July."""
    return spec.name or f"custom (Jan {spec.monthly_c[0]:g}, Jul {spec.monthly_c[6]:g} °C)"


def parse_climate(value, where: str, err: Callable[[str, str], Exception]) -> tuple[str, ClimatePreset | None]:
    """``climate:`` -> (label, numbers); a preset's name gives (name, None): the preset, unchanged."""
    if isinstance(value, str):
        if value not in CLIMATE_PRESETS:
            raise err(where, f"unknown climate {value!r} (known: {', '.join(CLIMATE_PRESETS)}; "
                             "or a mapping with monthly_c, docs/scenarios.md)")
        return value, None
    if not isinstance(value, dict):
        raise err(where, f"expected a preset's name ({', '.join(CLIMATE_PRESETS)}) or a mapping with monthly_c; got {value!r}")
    for key in value:
        if key not in CLIMATE_FIELDS:
            raise err(f"{where}.{key}", f"unknown field (known: {', '.join(CLIMATE_FIELDS)})")
    if "monthly_c" not in value:
        raise err(f"{where}.monthly_c", "missing: the 12 monthly mean air temperatures (°C, Jan..Dec)")
    monthly_c = _numbers(value["monthly_c"], "monthly_c", f"{where}.monthly_c", err)
    donor = CLIMATE_PRESETS[nearest_preset(monthly_c)]
    amp = _numbers(value.get("diurnal_amp_c", donor.diurnal_amp_c), "diurnal_amp_c", f"{where}.diurnal_amp_c", err)
    sigma = _numbers(value.get("anomaly_sigma_c", donor.anomaly_sigma_c), "anomaly_sigma_c", f"{where}.anomaly_sigma_c", err)
    rh = _numbers(value.get("monthly_rh", donor.monthly_rh), "monthly_rh", f"{where}.monthly_rh", err)
    utc = _number(value.get("utc_offset_h", 1.0), "utc_offset_h", f"{where}.utc_offset_h", err)
    design = value.get("design_c")
    if design is None:
        design = round((min(monthly_c) - DESIGN_SIGMAS * sigma[0]) * 2.0) / 2.0
    else:
        design = _number(design, "design_c", f"{where}.design_c", err)
        if design >= min(monthly_c):
            raise err(f"{where}.design_c", f"{design:g} °C is not below the coldest month's mean ({min(monthly_c):g} °C)")
    name = value.get("name", "")
    if name != "" and (not isinstance(name, str) or not _NAME.match(name)):
        raise err(f"{where}.name", f"up to 40 letters, digits, spaces, '_', '.', '-'; got {name!r}")
    spec = ClimatePreset(monthly_c, (amp[0], amp[1]), (sigma[0], sigma[1]), rh, utc, design, name)
    return climate_label(spec), spec


def _number(v, key: str, where: str, err) -> float:
    lo, hi = _RANGES[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise err(where, f"expected a number, got {v!r}")
    if not lo <= v <= hi:
        raise err(where, f"{v:g} is out of the physical range {lo:g}..{hi:g}")
    return float(v)


def _numbers(v, key: str, where: str, err) -> tuple[float, ...]:
    n = _LENGTHS[key]
    if not isinstance(v, (list, tuple)) or len(v) != n:
        got = f"{len(v)} values" if isinstance(v, (list, tuple)) else repr(v)
        raise err(where, f"expected {n} {_WHAT[key]}; got {got}")
    return tuple(_number(x, key, f"{where}[{i}]", err) for i, x in enumerate(v))
