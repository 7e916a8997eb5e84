"""A fleet prior: the healthy behaviour of pumps of the same make, for a pump not yet learned.

A pump that is faulty from installation teaches its commissioning window a
faulty "normal"; the generic physics bands (prior.py) only catch faults far
outside what any pump does. Pumps of one model and refrigerant behave alike:
their commissioned healthy models, gathered by the gateway, say what this pump
should do at each operating point. Until the pump's own model exists the
detector judges it against the fleet's, with alarm levels widened by how much
healthy pumps of that fleet differ from each other; and when its own window
ends, a window that disagrees with the fleet beyond that spread is refused
rather than learned as healthy (see ``FleetJudge.admit``).

Forming the prior (``form``): each member's model is evaluated on a grid of
operating points inside the range the fleet was commissioned over; the fleet's
expectation is the median of the members' predictions at each point (one odd
pump, or one commissioned while faulty, does not move it), refitted to the
same features so the detector uses it like its own model. The spread is the
robust sigma across members at each point (median over the grid); the alarm
level combines the members' own alarm levels with SPREAD_Z spreads.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from heatwatch.edge.heatpump.healthy_model import MIN_SHIFT, TARGET_NAMES, HealthyModel, robust_sigma
from heatwatch.edge.heatpump.operating_point import FEATURE_NAMES

FLEET_PRIOR_VERSION = 1
MIN_MEMBERS = 3  # fewer commissioned pumps are no fleet: a median of two is one of them
# healthy pumps differ from their fleet's median by about one spread; at SPREAD_Z spreads a
# persistent shift is no longer pump-to-pump variation (4: few members estimate the spread
# roughly, and a healthy pump must not be ticketed from its first day)
SPREAD_Z = 4.0
# the envelope features (scaled units, operating_point.features): outdoor, flow temperature, frequency
_ENV = (FEATURE_NAMES.index("t_outdoor"), FEATURE_NAMES.index("t_flow"), FEATURE_NAMES.index("compressor_hz"))
_GRID_STEPS = 7
MIN_JUDGED_ROWS = 300  # steady minutes inside the fleet's range needed to refuse a window
# channels set by the house more than by the pump (its heat load, emitters and circulator):
# how fast the compressor runs, the water flow and its temperature drop differ from house to
# house for pumps of one make, so the fleet does not judge them (the pump's own model does)
HOUSE_CHANNELS = ("compressor_hz", "flow_lpm", "delta_t", "t_return")
_HOUSE = np.array([TARGET_NAMES.index(c) for c in HOUSE_CHANNELS])


class FleetPriorError(ValueError):
    """A fleet prior or a commissioned model that cannot be used (wrong shape, version, too few members)."""


@dataclass
class Commissioned:
    """What an agent publishes when it commissions its own model: the model, its alarm levels
    and the operating range it saw (the members of a fleet prior)."""

    model: HealthyModel
    alarm: np.ndarray
    envelope: np.ndarray | None  # (2, 3): low and high of the envelope features

    def to_dict(self) -> dict:
        return {"version": FLEET_PRIOR_VERSION, "targets": list(TARGET_NAMES), "model": _model_dict(self.model),
                "alarm": _floats(self.alarm), "envelope": None if self.envelope is None else
                [_floats(r) for r in self.envelope]}

    @classmethod
    def from_dict(cls, d: dict) -> "Commissioned":
        _check_header(d)
        model = _model_from(d["model"])
        alarm = _array(d["alarm"], (len(TARGET_NAMES),), "alarm")
        env = None if d.get("envelope") is None else _array(d["envelope"], (2, len(_ENV)), "envelope")
        return cls(model, alarm, env)


@dataclass
class FleetPrior:
    """The fleet's healthy model, its alarm levels (widened by the spread) and its range."""

    model: HealthyModel
    alarm: np.ndarray  # per target: the persistent shift at level 1 against the fleet
    spread: np.ndarray  # per target: robust sigma of the members' predictions around the median
    envelope: np.ndarray | None
    members: int

    def to_dict(self) -> dict:
        return {"version": FLEET_PRIOR_VERSION, "targets": list(TARGET_NAMES), "model": _model_dict(self.model),
                "alarm": _floats(self.alarm), "spread": _floats(self.spread), "members": self.members,
                "envelope": None if self.envelope is None else [_floats(r) for r in self.envelope]}

    @classmethod
    def from_dict(cls, d: dict) -> "FleetPrior":
        _check_header(d)
        n_t = len(TARGET_NAMES)
        members = int(d["members"])
        if members < 1:
            raise FleetPriorError(f"a fleet prior of {members} members")
        env = None if d.get("envelope") is None else _array(d["envelope"], (2, len(_ENV)), "envelope")
        alarm = _array(d["alarm"], (n_t,), "alarm")
        if np.any(alarm[~np.isnan(alarm)] <= 0):
            raise FleetPriorError("alarm levels must be positive")
        return cls(_model_from(d["model"]), alarm, _array(d["spread"], (n_t,), "spread"), env, members)


def form(members: list[Commissioned], min_members: int = MIN_MEMBERS) -> FleetPrior:
    """The fleet prior of these commissioned pumps (see the module doc); FleetPriorError if too few."""
    if len(members) < min_members:
        raise FleetPriorError(f"{len(members)} commissioned pumps, a fleet prior needs {min_members}")
    envs = [m.envelope for m in members if m.envelope is not None]
    # the range most of the fleet covered: the median of the members' edges
    env = np.median(np.stack(envs), axis=0) if envs else None
    G = _grid(env)
    P = np.stack([G @ m.model.coef for m in members])  # (members, grid, targets)
    n_t = P.shape[2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a channel no member monitors: all NaN
        med = np.nanmedian(P, axis=0)
        spread = np.nanmedian(robust_sigma(P, axis=0), axis=0)
        own_scale = np.nanmedian(np.stack([m.model.residual_scale for m in members]), axis=0)
        own_alarm = np.nanmedian(np.stack([m.alarm for m in members]), axis=0)
    counted = (~np.isnan(P)).sum(axis=0).min(axis=0)  # per target: members that monitor it
    coef, *_ = np.linalg.lstsq(G, np.nan_to_num(med), rcond=None)
    alarm = np.fmax(np.hypot(own_alarm, SPREAD_Z * spread), MIN_SHIFT)
    scale = np.hypot(own_scale, spread)
    few = counted < min_members  # a channel too few members monitor stays unmonitored
    few[_HOUSE] = True
    coef[:, few] = np.nan
    alarm[few] = scale[few] = spread[few] = np.nan
    assert coef.shape == (len(FEATURE_NAMES), n_t)
    return FleetPrior(HealthyModel(coef, scale), alarm, spread, env, len(members))


class FleetJudge:
    """The detector's side of a fleet prior: what it judges with, and whether a window is admitted."""

    def __init__(self, prior: FleetPrior) -> None:
        self.prior = prior
        self.refused_windows = 0  # commissioning windows that disagreed with the fleet
        self.last_refusal: dict[str, float] = {}  # channel -> level of the disagreement, last refusal

    def disagreement(self, own: HealthyModel, F: np.ndarray) -> np.ndarray:
        """Per target: the median over the window's rows (inside the fleet's range) of own minus
        fleet prediction, in the fleet's alarm units; NaN where either does not monitor it or too
        few rows lie inside the fleet's range."""
        rows = F[_inside(self.prior.envelope, F)]
        if len(rows) < MIN_JUDGED_ROWS:
            return np.full(len(TARGET_NAMES), np.nan)
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an unmonitored channel: all NaN
            d = (own.predict(rows) - self.prior.model.predict(rows)) / self.prior.alarm
            return np.nanmedian(d, axis=0)

    def admit(self, own: HealthyModel, F: np.ndarray, current: np.ndarray | None = None) -> bool:
        """Is this commissioning window a healthy pump of the fleet? Counted and explained when not.

        Refused when its own fit departs from the fleet's by a level of 1 or more (median over the
        window), or when the persistent shift against the fleet stands at 1 or more at its end
        (``current``, in alarm units): a fault from installation grows through the window, and
        what the pump does at its end is what a fit would call healthy from then on."""
        d = self.disagreement(own, F)
        if current is not None:
            d = np.where(np.abs(np.nan_to_num(current)) > np.abs(np.nan_to_num(d)), current, d)
        far = {name: float(d[j]) for j, name in enumerate(TARGET_NAMES) if not math.isnan(d[j]) and abs(d[j]) >= 1.0}
        if not far:
            return True
        self.refused_windows += 1
        self.last_refusal = far
        return False

    def state(self) -> dict:
        return {"prior": self.prior.to_dict(), "refused_windows": self.refused_windows,
                "last_refusal": self.last_refusal}

    @classmethod
    def from_state(cls, d: dict) -> "FleetJudge":
        judge = cls(FleetPrior.from_dict(d["prior"]))
        judge.refused_windows = int(d.get("refused_windows", 0))
        judge.last_refusal = {str(k): float(v) for k, v in (d.get("last_refusal") or {}).items()}
        return judge


def _grid(env: np.ndarray | None) -> np.ndarray:
    """Operating points (features) spanning the envelope, heating and hot water."""
    if env is None:  # a typical heating range: -15..15 degC outdoor, 25..55 degC flow, 25..90 Hz
        env = np.array([[-1.5, -1.0, -25.0 / 30.0], [1.5, 2.0, 40.0 / 30.0]])
    axes = [np.linspace(env[0, k], env[1, k], _GRID_STEPS) for k in range(len(_ENV))]
    to, tf, hz = (a.ravel() for a in np.meshgrid(*axes, indexing="ij"))
    rows = []
    for dhw in (0.0, 1.0):
        rows.append(np.stack([np.ones_like(to), to, tf, hz, to * hz, hz * hz, np.full_like(to, dhw)], axis=1))
    return np.concatenate(rows)


def _inside(env: np.ndarray | None, F: np.ndarray) -> np.ndarray:
    if env is None:
        return np.ones(len(F), dtype=bool)
    G = F[:, list(_ENV)]
    return np.all((G >= env[0]) & (G <= env[1]), axis=1)


def _floats(a: np.ndarray) -> list:
    """JSON has no NaN: an unmonitored channel is null."""
    return [None if math.isnan(v) else float(v) for v in np.asarray(a, dtype=float).ravel().tolist()]


def _model_dict(m: HealthyModel) -> dict:
    return {"coef": [_floats(r) for r in m.coef], "residual_scale": _floats(m.residual_scale)}


def _array(v, shape: tuple[int, ...], what: str) -> np.ndarray:
    try:
        a = np.array([[math.nan if x is None else x for x in r] for r in v] if len(shape) == 2 else
                     [math.nan if x is None else x for x in v], dtype=float)
    except (TypeError, ValueError) as e:
        raise FleetPriorError(f"{what}: not numbers ({e})") from None
    if a.shape != shape:
        raise FleetPriorError(f"{what}: shape {a.shape}, expected {shape}")
    if np.isinf(a).any():
        raise FleetPriorError(f"{what}: infinite values")
    return a


def _model_from(d: dict) -> HealthyModel:
    n_f, n_t = len(FEATURE_NAMES), len(TARGET_NAMES)
    return HealthyModel(_array(d["coef"], (n_f, n_t), "coef"), _array(d["residual_scale"], (n_t,), "residual_scale"))


def _check_header(d: dict) -> None:
    if not isinstance(d, dict):
        raise FleetPriorError("not an object")
    if d.get("version") != FLEET_PRIOR_VERSION:
        raise FleetPriorError(f"unknown version {d.get('version')!r} (this agent reads {FLEET_PRIOR_VERSION})")
    if list(d.get("targets") or []) != list(TARGET_NAMES):
        raise FleetPriorError("its channels are not this agent's monitored channels")
