"""Which faults can be judged with the channels a pump provides, and which cannot.

A real pump rarely reports all of heatwatch's channels (a NIBE module sends
no valve opening, a Midea unit no condensing temperature). What a missing
channel costs follows from the detector and the rules, not from a table kept
by hand:

* the operating point (outdoor and flow temperature, compressor frequency,
  mode) is what the healthy model is conditioned on and what the steady-state
  gate reads: without one of them no pump fault can be judged at all;
* a derived channel (superheat, subcooling, ...) exists only when every raw
  channel it is computed from does (``heatwatch.channels.DERIVED_FROM``);
* a rule can fire only if every channel it *requires* exists and at least
  ``min_support`` of its *support* channels do; a fault is judgeable when one
  of its rules is (a leak has a rule with and one without the valve opening);
* a rule's *exclude* channels are what tells its fault from another with a
  similar signature (a leak opens the valve, a fouled coil does not): without
  them the rule would guess, so it is not run. Measured on the simulated
  leaks read through the NIBE map before this rule: evaporator_fouling was
  raised on 3 of 3 leaking pumps, because the valve opening that excludes it
  is not in the map;
* a sensor check needs the sensor, and the stuck check also the related
  channel that must move when the sensor should (``sensor_checks.RELATED``).

The agent reports this once at start (log and status counters), so an
operator knows what a pump with this map cannot be watched for, instead of the
detector failing or guessing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from heatwatch.channels import CHANNEL_NAMES, DERIVED_FROM
from heatwatch.edge.heatpump.sensor_checks import CHECKED, RELATED
from heatwatch.faults import FAULT_TYPES, SENSOR_FAULTS
from heatwatch.rules.engine import RuleEngine

# what the healthy model is conditioned on and the steady-state gate reads (operating_point.py)
OPERATING_POINT: tuple[str, ...] = ("t_outdoor", "t_flow", "compressor_hz", "mode")


@dataclass
class Coverage:
    """What a pump's channels allow the agent to judge."""

    channels: tuple[str, ...]  # the raw channels the source provides
    missing: tuple[str, ...]  # raw channels it does not
    operating_point_missing: tuple[str, ...]
    judged: dict[str, str] = field(default_factory=dict)  # fault -> the rule that can judge it
    not_judged: dict[str, list[str]] = field(default_factory=dict)  # fault -> channels it would need
    sensors_checked: tuple[str, ...] = ()  # sensors the sensor checks can watch
    usable_rules: list = field(default_factory=list)  # the rules that can judge with these channels

    def counters(self) -> dict[str, int | str]:
        """For the status message: a dispatcher sees what this pump cannot be watched for."""
        return {"channels": len(self.channels), "missing_channels": ",".join(self.missing),
                "faults_judged": len(self.judged), "faults_not_judged": len(self.not_judged),
                "not_judged": ",".join(sorted(self.not_judged))}

    def summary(self) -> str:
        if not self.not_judged:
            return f"all {len(self.judged)} faults can be judged with {len(self.channels)} channels"
        parts = [f"{fault} (needs {', '.join(need) if need else 'a rule that fits'})"
                 for fault, need in sorted(self.not_judged.items())]
        head = f"{len(self.channels)} of {len(CHANNEL_NAMES)} channels"
        if self.operating_point_missing:
            head += f"; no operating point ({', '.join(self.operating_point_missing)} missing): no pump fault"
        return f"{head}; cannot judge: {'; '.join(parts)}"


def _available(name: str, have: set[str]) -> bool:
    return name in have or (name in DERIVED_FROM and all(c in have for c in DERIVED_FROM[name]))


def _needs(name: str, have: set[str]) -> list[str]:
    """The raw channels missing for ``name`` (itself, or what it is derived from)."""
    if name in DERIVED_FROM:
        return [c for c in DERIVED_FROM[name] if c not in have]
    return [] if name in have else [name]


def coverage(channels: Iterable[str] | None, rules: RuleEngine | None = None) -> Coverage:
    """Judge what ``channels`` (None: all) allow, against the rule set the agent runs."""
    have = set(CHANNEL_NAMES if channels is None else channels)
    rules = rules or RuleEngine.from_files()
    op_missing = tuple(c for c in OPERATING_POINT if c not in have)
    checked = tuple(c for c in CHECKED if c in have)
    cov = Coverage(channels=tuple(c for c in CHANNEL_NAMES if c in have),
                   missing=tuple(c for c in CHANNEL_NAMES if c not in have),
                   operating_point_missing=op_missing, sensors_checked=checked)
    needs: dict[str, list[str]] = {}
    for rule in rules.rules:
        if rule.sensor_check:
            ok, need = bool(checked), [] if checked else ["any of " + "/".join(CHECKED)]
            if "stuck" in rule.sensor_check and not any(c in RELATED and RELATED[c][0] in have for c in checked):
                ok, need = False, ["a sensor with its related channel"]
            elif "dropout" not in rule.sensor_check and not any(c in RELATED for c in checked):
                ok, need = False, ["any of " + "/".join(RELATED)]  # DROPOUT_ONLY sensors get no other check
        elif rule.isolated_shift:
            ok, need = not op_missing, list(op_missing)
        else:
            need = sorted({c for name in rule.require for c in _needs(name, have)})
            support = [s for s in rule.support if _available(s, have)]
            if len(support) < rule.min_support:
                short = rule.min_support - len(support)
                need.append(f"{short} more of " + "/".join(s for s in rule.support if s not in support))
            for name in rule.exclude:
                need.extend(f"{c} (cross-check)" for c in _needs(name, have))
            need = list(dict.fromkeys(list(op_missing) + need))
            ok = not need
        if ok:
            cov.usable_rules.append(rule)
            cov.judged.setdefault(rule.fault, rule.name)
        elif rule.fault not in cov.judged:
            needs.setdefault(rule.fault, need)
    for ft in FAULT_TYPES:
        if ft.name not in cov.judged:
            cov.not_judged[ft.name] = needs.get(ft.name, [])
    assert set(cov.judged) | set(cov.not_judged) >= set(SENSOR_FAULTS)
    return cov
