"""Fleet priors: the commissioned healthy models of pumps of one make, combined into one.

Pumps of one model and refrigerant behave alike: what their commissioned
healthy models say a pump should do at an operating point is what a new pump
of that fleet should do, up to the differences between healthy units. The
agent publishes its model when it has learned it (``Commissioned``: the ridge
coefficients, their residual scale, the alarm levels, the operating range it
saw and a sample of its operating points); the gateway keeps the latest per
device and forms the fleet's prior (``form``); a new agent judges with it until
its own model exists (heatwatch.edge.heatpump.fleet_prior).

Forming: every member's model is evaluated at the members' own operating points
(pooled, inside the range most of the fleet covered), so the fleet is compared
where pumps really run, heating and hot water in their proportions. The fleet's
expectation is the median of the members' predictions at each point (one odd
pump, or one commissioned while faulty, does not move it), refitted to the same
features; the spread is the robust sigma across members at each point (median
over the points); the alarm level is the members' own alarm level combined with
SPREAD_Z spreads, so pump-to-pump variation is not an alarm.

Grouping: a fleet is a pump model, its refrigerant and the house's emitters
(underfloor, radiators, fan coils). The emitters set the flow temperature the
pump works at, and so its whole operating point: an underfloor house runs a
pump at 25-38 °C, radiators at 30-55 °C. ``form_for`` forms the prior of the
pumps with the same emitters when there are MIN_MEMBERS of them, else of every
pump of the model and refrigerant, and says which in the prior (``emitters``,
``note``).

Shared by the edge and the gateway: numbers and names only, nothing of either.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

FLEET_PRIOR_VERSION = 1
MIN_MEMBERS = 3  # fewer commissioned pumps are no fleet: a median of two is one of them
# healthy pumps differ from their fleet's median by about one spread; at SPREAD_Z spreads a
# persistent shift is no longer pump-to-pump variation (4: a few members estimate the spread
# roughly, and a healthy pump must not be ticketed from its first day)
SPREAD_Z = 4.0
# channels set by the house more than by the pump (its heat load and emitters): how fast the
# compressor runs and the water's temperature drop differ from house to house for pumps of one
# make, so the fleet does not judge them (the pump's own model does). The water flow is judged:
# it is a design datum of the pump model (its nominal flow, the nominal heat at a 5 K drop, to
# which the installer sets the circulator), and how far houses depart from it is the fleet's
# measured spread, which widens its alarm level; a pump whose flow is already falling at
# installation is otherwise judged by nothing until its own window is learned (from that fall)
HOUSE_CHANNELS = ("compressor_hz", "delta_t", "t_return")
# ... but not tighter than the installation's own tolerance: a circulator is set for the nominal
# heat at a 5 K drop, and a drop of 4-6 K is accepted, so a healthy house may run 1/6 below its
# model's nominal flow; a few members can estimate their spread far below that
FLOW_DESIGN_TOLERANCE = 1.0 / 6.0
MAX_POINTS = 60  # operating points a member sends (evenly through its window)
# the emitter types a device record may name (the house's heat emitters): they set the flow temperature
EMITTERS = ("underfloor", "radiators", "fan_coils")


class FleetPriorError(ValueError):
    """A fleet prior or a commissioned model that cannot be used (wrong shape, version, too few members)."""


@dataclass
class Commissioned:
    """One pump's learned healthy model, as its agent publishes it."""

    targets: tuple[str, ...]
    features: tuple[str, ...]
    coef: np.ndarray  # (features, targets); NaN columns: targets it does not monitor
    residual_scale: np.ndarray  # (targets,)
    alarm: np.ndarray  # (targets,): its persistent shift at level 1
    envelope_features: tuple[str, ...]
    envelope: np.ndarray | None  # (2, envelope features): low and high of the range it saw
    points: np.ndarray  # (m, features): operating points of its commissioning window

    def to_dict(self) -> dict:
        return {"version": FLEET_PRIOR_VERSION, "targets": list(self.targets), "features": list(self.features),
                "coef": _rows(self.coef), "residual_scale": _floats(self.residual_scale),
                "alarm": _floats(self.alarm), "envelope_features": list(self.envelope_features),
                "envelope": None if self.envelope is None else _rows(self.envelope), "points": _rows(self.points)}

    @classmethod
    def from_dict(cls, d: dict) -> "Commissioned":
        targets, features, env_f = _header(d)
        n_t, n_f = len(targets), len(features)
        points = _array(d.get("points"), (None, n_f), "points")
        if np.isnan(points).any():
            raise FleetPriorError("points: missing values")
        return cls(targets, features, _array(d.get("coef"), (n_f, n_t), "coef"),
                   _array(d.get("residual_scale"), (n_t,), "residual_scale"), _alarm(d.get("alarm"), n_t),
                   env_f, None if d.get("envelope") is None else _array(d["envelope"], (2, len(env_f)), "envelope"),
                   points)


@dataclass
class FleetPrior:
    """The fleet's healthy model, its alarm levels (widened by the spread) and its range."""

    targets: tuple[str, ...]
    features: tuple[str, ...]
    coef: np.ndarray
    residual_scale: np.ndarray
    alarm: np.ndarray  # per target: the persistent shift at level 1 against the fleet; NaN: not judged
    spread: np.ndarray  # per target: robust sigma of the members' predictions around the median
    envelope_features: tuple[str, ...]
    envelope: np.ndarray | None
    members: int
    emitters: str | None = None  # the emitter type every member has; None: members of any emitters
    note: str = ""  # how the members were chosen (provenance: the group, or why the wider one)

    def to_dict(self) -> dict:
        return {"version": FLEET_PRIOR_VERSION, "targets": list(self.targets), "features": list(self.features),
                "coef": _rows(self.coef), "residual_scale": _floats(self.residual_scale),
                "alarm": _floats(self.alarm), "spread": _floats(self.spread),
                "envelope_features": list(self.envelope_features),
                "envelope": None if self.envelope is None else _rows(self.envelope), "members": self.members,
                "emitters": self.emitters, "note": self.note}

    @classmethod
    def from_dict(cls, d: dict) -> "FleetPrior":
        targets, features, env_f = _header(d)
        n_t, n_f = len(targets), len(features)
        members = d.get("members")
        if not isinstance(members, int) or isinstance(members, bool) or members < 1:
            raise FleetPriorError(f"members: {members!r} is not a count of pumps")
        emitters, note = d.get("emitters"), d.get("note", "")  # absent in priors formed before emitters
        if emitters is not None and emitters not in EMITTERS:
            raise FleetPriorError(f"emitters: {emitters!r} is not one of {', '.join(EMITTERS)}")
        if not isinstance(note, str):
            raise FleetPriorError("note: not a text")
        return cls(targets, features, _array(d.get("coef"), (n_f, n_t), "coef"),
                   _array(d.get("residual_scale"), (n_t,), "residual_scale"), _alarm(d.get("alarm"), n_t),
                   _array(d.get("spread"), (n_t,), "spread"), env_f,
                   None if d.get("envelope") is None else _array(d["envelope"], (2, len(env_f)), "envelope"), members,
                   emitters, note[:300])


def form_for(members: Sequence[tuple[str | None, Commissioned]], emitters: str | None,
             min_members: int = MIN_MEMBERS) -> FleetPrior:
    """The prior for a pump with these ``emitters`` (None: not known), from the commissioned
    models of its pump model and refrigerant, each with its own pump's emitters: those with the
    same emitters if there are ``min_members``, else all of them (the note says so);
    FleetPriorError if even all are too few."""
    same = [c for e, c in members if emitters is not None and e == emitters]
    if emitters is not None and len(same) >= min_members:
        prior = form(same, min_members)
        prior.emitters, prior.note = emitters, f"{len(same)} pumps with {emitters}"
        return prior
    prior = form([c for _, c in members], min_members)
    why = "the pump's emitters are not known" if emitters is None else \
        f"only {len(same)} with {emitters} (a fleet needs {min_members})"
    prior.note = f"{why}: all {len(members)} pumps of the model and refrigerant, any emitters"
    return prior


def form(members: list[Commissioned], min_members: int = MIN_MEMBERS) -> FleetPrior:
    """The fleet prior of these commissioned pumps (see the module doc); FleetPriorError if too few
    or if they do not speak of the same channels and features."""
    if len(members) < min_members:
        raise FleetPriorError(f"{len(members)} commissioned pumps, a fleet prior needs {min_members}")
    first = members[0]
    names = (first.targets, first.features, first.envelope_features)
    if any((m.targets, m.features, m.envelope_features) != names for m in members):
        raise FleetPriorError("members with different channels or features (agents of different versions)")
    envs = [m.envelope for m in members if m.envelope is not None]
    env = np.median(np.stack(envs), axis=0) if envs else None  # the range most of the fleet covered
    pool = np.concatenate([m.points for m in members])
    if env is not None:
        cols = [first.features.index(f) for f in first.envelope_features]
        inside = np.all((pool[:, cols] >= env[0]) & (pool[:, cols] <= env[1]), axis=1)
        if inside.sum() >= 2 * len(first.features):
            pool = pool[inside]
    P = np.stack([pool @ m.coef for m in members])  # (members, points, targets)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a channel no member monitors: all NaN
        med = np.nanmedian(P, axis=0)
        spread = np.nanmedian(_robust_sigma(P), axis=0)
        own_scale = np.nanmedian(np.stack([m.residual_scale for m in members]), axis=0)
        own_alarm = np.nanmedian(np.stack([m.alarm for m in members]), axis=0)
    coef, *_ = np.linalg.lstsq(pool, np.nan_to_num(med), rcond=None)
    alarm = np.hypot(own_alarm, SPREAD_Z * spread)  # each member's alarm is floored at what matters physically
    if "flow_lpm" in first.targets:
        k = first.targets.index("flow_lpm")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            alarm[k] = max(alarm[k], FLOW_DESIGN_TOLERANCE * abs(float(np.nanmedian(med[:, k]))))
    scale = np.hypot(own_scale, spread)
    counted = (~np.isnan(P)).sum(axis=0).min(axis=0)  # per target: members that monitor it
    off = (counted < min_members) | np.isin(np.array(first.targets), HOUSE_CHANNELS)
    coef[:, off] = np.nan
    alarm[off] = scale[off] = spread[off] = np.nan
    return FleetPrior(first.targets, first.features, coef, scale, alarm, spread, first.envelope_features, env,
                      len(members))


def _robust_sigma(P: np.ndarray) -> np.ndarray:
    med = np.nanmedian(P, axis=0, keepdims=True)
    return 1.4826 * np.nanmedian(np.abs(P - med), axis=0)


def _floats(a: np.ndarray) -> list:
    """JSON has no NaN: an unmonitored channel is null."""
    return [None if math.isnan(v) else float(v) for v in np.asarray(a, dtype=float).ravel().tolist()]


def _rows(a: np.ndarray) -> list:
    return [_floats(r) for r in np.asarray(a, dtype=float)]


def _array(v, shape: tuple[int | None, ...], what: str) -> np.ndarray:
    """A JSON list (of lists) of numbers or nulls (NaN) of this shape (None: any length)."""
    try:
        if len(shape) == 2:
            a = np.array([[math.nan if x is None else x for x in r] for r in v], dtype=float)
        else:
            a = np.array([math.nan if x is None else x for x in v], dtype=float)
    except (TypeError, ValueError) as e:
        raise FleetPriorError(f"{what}: not numbers ({e})") from None
    if a.ndim != len(shape) or any(s is not None and s != n for s, n in zip(shape, a.shape)):
        raise FleetPriorError(f"{what}: shape {a.shape}, expected {tuple('any' if s is None else s for s in shape)}")
    if np.isinf(a).any():
        raise FleetPriorError(f"{what}: infinite values")
    if len(shape) == 2 and shape[0] is None and not 1 <= len(a) <= MAX_POINTS:
        raise FleetPriorError(f"{what}: {len(a)} rows, 1 to {MAX_POINTS} expected")
    return a


def _alarm(v, n_t: int) -> np.ndarray:
    a = _array(v, (n_t,), "alarm")
    if np.any(a[~np.isnan(a)] <= 0):
        raise FleetPriorError("alarm levels must be positive")
    return a


def _header(d) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    if not isinstance(d, dict):
        raise FleetPriorError("not an object")
    if d.get("version") != FLEET_PRIOR_VERSION:
        raise FleetPriorError(f"unknown version {d.get('version')!r} (this side reads {FLEET_PRIOR_VERSION})")
    out = []
    for key in ("targets", "features", "envelope_features"):
        names = d.get(key)
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise FleetPriorError(f"{key}: expected a list of names")
        out.append(tuple(names))
    if not set(out[2]) <= set(out[1]):
        raise FleetPriorError("envelope_features: not among the features")
    return out[0], out[1], out[2]
