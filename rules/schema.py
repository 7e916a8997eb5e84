"""The rule file format, validated on load: errors name the file, rule and field.

A rule says: when these channels have drifted from the pump's own healthy
model in these directions, for this long, it is probably this fault; bring
these parts. See docs/rules.md for the format with examples.
"""

from __future__ import annotations

import functools

import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from heatwatch.channels import BOUND_EXCESS_NAMES, CHANNEL_NAMES, DERIVED_NAMES, INDICATOR_NAMES
from heatwatch.faults import FAULTS

KNOWN_CHANNELS = frozenset(CHANNEL_NAMES) | frozenset(DERIVED_NAMES) | frozenset(INDICATOR_NAMES)
SENSOR_CHECKS = ("stuck", "noise", "dropout", "range", "jump", "drift")
Direction = Literal["up", "down", "either"]  # either: |level| >= level (a sensor that disagrees either way)


class RuleFileError(ValueError):
    """A rule file is malformed; the message names file, rule and field."""


def parse_duration(text: str | int | float) -> float:
    """'90s', '15m', '6h', '2d' or plain seconds -> seconds."""
    if isinstance(text, (int, float)):
        return float(text)
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", str(text))
    if not m:
        raise ValueError(f"not a duration: {text!r} (use e.g. 90s, 15m, 6h, 2d)")
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


class ShiftCondition(BaseModel):
    """A channel has drifted in a direction by at least ``level`` (1 = the
    detector's own alarm level for that channel's persistent shift)."""

    model_config = {"extra": "forbid"}
    direction: Direction
    level: float = Field(default=1.0, gt=0)


def _shift_map(value: dict) -> dict[str, ShiftCondition]:
    """Accept `channel: up` and `channel: {direction: up, level: 2}`."""
    out = {}
    for channel, cond in (value or {}).items():
        if channel not in KNOWN_CHANNELS:
            raise ValueError(f"unknown channel {channel!r}")
        out[channel] = ShiftCondition(direction=cond) if isinstance(cond, str) else ShiftCondition(**cond)
    return out


class Rule(BaseModel):
    model_config = {"extra": "forbid"}

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    fault: str
    severity: Literal["info", "warning", "critical"] = "warning"
    confidence: float = Field(ge=0.0, le=1.0)
    hold: float = 3600.0  # seconds the condition must hold before the rule fires
    clear_after: float = 6 * 3600.0  # seconds without the condition before it clears
    require: dict[str, ShiftCondition] = {}
    support: dict[str, ShiftCondition] = {}
    min_support: int = Field(default=0, ge=0)
    # min_support while judged against the pump's design data, before its own model (Evidence.basis
    # "prior"): a required band of the design that is a control's own failure needs no witness
    prior_min_support: int | None = Field(default=None, ge=0)
    # min_support while judged against a fleet's model before the pump's own (Evidence.basis "fleet prior"):
    # a witness read against the pump's own learned values (the flow meter's heat) is the fleet's there
    fleet_min_support: int | None = Field(default=None, ge=0)
    exclude: dict[str, ShiftCondition] = {}
    sensor_check: list[str] = []  # fires per channel with one of these sensor findings
    isolated_shift: bool = False  # fires per sensor whose offset alone explains the drift
    # a shift rule that names a sensor, not a pump fault: its match is this channel's (its {channel}),
    # and it neither silences the isolated sensor rules nor counts as a pump fault seen. The water
    # thermistors' physics (water_physics.py) is read this way on the prior, before the pump's model
    sensor: str | None = None
    # K: a raised sensor rule on bounds of physics (heatwatch.channels.BOUND_EXCESS_NAMES) clears only
    # once every bound it requires holds by this margin for clear_after (its other channels aside) (a reading back, not a load
    # swing that takes the excess under the raise level for a day); None: clear_after alone
    clear_margin: float | None = Field(default=None, gt=0)
    # while one of these rules stands raised (on any channel) this one matches nothing: a more specific
    # notice speaks for the same evidence (the thermistor's own beside delta-T's), once, not by turns
    yields_to: list[str] = []
    isolated_level: float = Field(default=2.0, gt=0)  # how large the explained drift must be (alarm units)
    isolated_explained: float = Field(default=0.9, gt=0, le=1)  # share of the drift the offset must explain
    parts: list[str] = []
    explanation: str

    @field_validator("fault")
    @classmethod
    def _known_fault(cls, v: str) -> str:
        if v not in FAULTS:
            raise ValueError(f"unknown fault {v!r}; known: {', '.join(FAULTS)}")
        return v

    @field_validator("hold", "clear_after", mode="before")
    @classmethod
    def _duration(cls, v):
        return parse_duration(v)

    @field_validator("require", "support", "exclude", mode="before")
    @classmethod
    def _shifts(cls, v):
        return _shift_map(v)

    @field_validator("sensor")
    @classmethod
    def _sensor_channel(cls, v: str | None) -> str | None:
        if v is not None and v not in CHANNEL_NAMES and v not in DERIVED_NAMES:
            raise ValueError(f"unknown sensor channel {v!r}: a raw or derived channel")
        return v

    @field_validator("sensor_check")
    @classmethod
    def _checks(cls, v: list[str]) -> list[str]:
        for c in v:
            if c not in SENSOR_CHECKS:
                raise ValueError(f"unknown sensor check {c!r}; known: {', '.join(SENSOR_CHECKS)}")
        return v

    @model_validator(mode="after")
    def _has_condition(self) -> "Rule":
        kinds = bool(self.require) + bool(self.sensor_check) + self.isolated_shift
        if kinds != 1:
            raise ValueError("a rule needs exactly one of: require, sensor_check, isolated_shift")
        if self.sensor is not None and not self.require:
            raise ValueError("sensor names the channel of a shift rule's match: it needs require")
        if self.clear_margin is not None:
            if self.sensor is None:
                raise ValueError("clear_margin holds a sensor notice on bounds of physics: it needs sensor")
            if not set(self.require) & BOUND_EXCESS_NAMES:
                raise ValueError(f"clear_margin reads the excess over a bound of physics; require names none "
                                 f"(known: {', '.join(sorted(BOUND_EXCESS_NAMES))})")
        if self.min_support > len(self.support):
            raise ValueError(f"min_support {self.min_support} exceeds the {len(self.support)} support channels")
        if self.prior_min_support is not None and self.prior_min_support > len(self.support):
            raise ValueError(f"prior_min_support {self.prior_min_support} exceeds the {len(self.support)} support channels")
        if self.fleet_min_support is not None and self.fleet_min_support > len(self.support):
            raise ValueError(f"fleet_min_support {self.fleet_min_support} exceeds the {len(self.support)} support channels")
        return self


# rule file text -> its parsed YAML: a fleet replay makes a pipeline per pump, each loading the same
# file, and the pure-Python YAML parser took 26 ms a pump (26 CPU s of a 1,000-pump eval). Keyed
# on the text, so an edited file is parsed again; the rules are validated afresh each time (0.5 ms;
# each engine gets its own Rule objects, and validation does not change the document)
@functools.lru_cache(maxsize=16)
def _parse(text: str) -> object:
    return yaml.safe_load(text)


def load_rule_file(path: str | Path) -> list[Rule]:
    path = Path(path)
    try:
        doc = _parse(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RuleFileError(f"{path}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise RuleFileError(f"{path.name}: not valid YAML ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("rules"), list):
        raise RuleFileError(f"{path.name}: field 'rules': expected a list of rules")
    rules: list[Rule] = []
    for i, raw in enumerate(doc["rules"]):
        label = raw.get("name", f"#{i}") if isinstance(raw, dict) else f"#{i}"
        if not isinstance(raw, dict):
            raise RuleFileError(f"{path.name}: rule {label}: expected a mapping")
        try:
            rules.append(Rule.model_validate(raw))
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or "(rule)"
            msg = err["msg"].removeprefix("Value error, ")
            raise RuleFileError(f"{path.name}: rule {label!r}: field {field!r}: {msg}") from None
    names = [r.name for r in rules]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise RuleFileError(f"{path.name}: duplicate rule name(s): {', '.join(sorted(dup))}")
    return rules
