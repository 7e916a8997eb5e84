"""Is a sensor broken? Stuck, noisy, jumping or dropping out.

A broken sensor is a cheap visit; a "leak" that is a broken sensor is a
wasted one. These checks look at one channel against its own history and
against a physically related channel, so they need no healthy model and work
from the first hour.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from heatwatch.channels import CHANNEL_NAMES, INDEX

# channel -> (a related channel that must move when this one should, how far it must move)
RELATED: dict[str, tuple[str, float]] = {
    "t_outdoor": ("t_evap", 4.0),
    "t_flow": ("t_return", 4.0),
    "t_return": ("t_flow", 4.0),
    "t_discharge": ("compressor_hz", 25.0),
    "t_suction": ("p_low", 1.5),
    "t_evap": ("p_low", 1.5),
    "t_cond": ("p_high", 3.0),
    "t_liquid": ("p_high", 3.0),
    "p_high": ("t_flow", 4.0),
    "p_low": ("t_outdoor", 4.0),
    "compressor_a": ("compressor_hz", 25.0),
    "power_w": ("compressor_hz", 25.0),
    "eev_pct": ("compressor_hz", 25.0),
}
CHECKED = tuple(RELATED)
STUCK_SECONDS = 2 * 3600.0
FAST_TAU = 30 * 60.0  # noise and dropout react within the hour
SLOW_TAU = 3 * 86400.0  # the channel's own normal jitter
NOISE_RATIO = 5.0
JUMP = {  # a change in one step no sensor of a running pump makes
    "t_outdoor": 8.0, "t_flow": 15.0, "t_return": 15.0, "t_discharge": 30.0, "t_suction": 20.0,
    "t_evap": 20.0, "t_cond": 15.0, "t_liquid": 15.0, "p_high": 10.0, "p_low": 5.0,
    "compressor_a": 10.0, "power_w": 4000.0, "eev_pct": 60.0,
}
MIN_JITTER = {c: 0.05 for c in CHECKED} | {"power_w": 20.0, "eev_pct": 0.5, "p_high": 0.02, "p_low": 0.02}
MAX_GAP = 15 * 60.0
WARMUP_SECONDS = 86400.0  # a day of normal jitter before noise is judged  # consecutive samples further apart are not compared


@dataclass
class _ChannelState:
    value: float = math.nan
    same_since: float = math.nan
    rel_min: float = math.inf
    rel_max: float = -math.inf
    last_ts: float = math.nan
    fast_jitter: float = math.nan
    slow_jitter: float = math.nan
    missing: float = 0.0
    jump_ts: float = -math.inf
    jitter_since: float = math.nan


@dataclass
class SensorChecks:
    """Streaming sensor checks for the raw channels in CHECKED."""

    states: dict[str, _ChannelState] = field(default_factory=lambda: {c: _ChannelState() for c in CHECKED})

    def update(self, ts: float, x, steady: bool) -> dict[str, list[str]]:
        """One reading (canonical vector) -> {channel: [failed checks]}."""
        out: dict[str, list[str]] = {}
        for ch in CHECKED:
            s = self.states[ch]
            v = float(x[INDEX[ch]])
            failed = []
            dt = ts - s.last_ts if not math.isnan(s.last_ts) else math.inf
            a_fast = 1.0 - math.exp(-min(dt, MAX_GAP) / FAST_TAU) if dt != math.inf else 1.0
            s.missing += a_fast * ((1.0 if math.isnan(v) else 0.0) - s.missing)
            if s.missing > 0.5:
                failed.append("dropout")
            if not math.isnan(v):
                rel_name, rel_move = RELATED[ch]
                rel = float(x[INDEX[rel_name]])
                if v != s.value or math.isnan(s.same_since):
                    s.same_since, s.rel_min, s.rel_max = ts, math.inf, -math.inf
                if not math.isnan(rel):
                    s.rel_min, s.rel_max = min(s.rel_min, rel), max(s.rel_max, rel)
                if ts - s.same_since >= STUCK_SECONDS and s.rel_max - s.rel_min >= rel_move:
                    failed.append("stuck")
                if steady and not math.isnan(s.value) and dt <= MAX_GAP:
                    d = abs(v - s.value)
                    if d >= JUMP[ch]:
                        s.jump_ts = ts
                    else:
                        self._jitter(s, ch, ts, d, dt)
                s.value = v
            if ts - s.jump_ts < FAST_TAU:
                failed.append("jump")
            if (not math.isnan(s.slow_jitter) and ts - s.jitter_since >= WARMUP_SECONDS
                    and s.fast_jitter > NOISE_RATIO * max(s.slow_jitter, MIN_JITTER[ch])):
                failed.append("noise")
            s.last_ts = ts
            if failed:
                out[ch] = failed
        return out

    @staticmethod
    def _jitter(s: _ChannelState, ch: str, ts: float, d: float, dt: float) -> None:
        """Mean step size: fast (last half hour) against slow (the channel's normal)."""
        if math.isnan(s.fast_jitter):
            s.fast_jitter = s.slow_jitter = d
            s.jitter_since = ts
            return
        s.fast_jitter += (1.0 - math.exp(-dt / FAST_TAU)) * (d - s.fast_jitter)
        elapsed = ts - s.jitter_since
        if elapsed < WARMUP_SECONDS:  # a running mean while the baseline forms
            s.slow_jitter += dt / (elapsed + dt) * (d - s.slow_jitter)
        elif s.fast_jitter <= NOISE_RATIO * max(s.slow_jitter, MIN_JITTER[ch]):
            # the baseline learns only from ordinary jitter, so a burst does not become normal
            s.slow_jitter += (1.0 - math.exp(-dt / SLOW_TAU)) * (d - s.slow_jitter)

    def state(self) -> dict:
        return {c: vars(s).copy() for c, s in self.states.items()}

    def load_state(self, d: dict) -> None:
        for c, v in d.items():
            if c in self.states:
                self.states[c] = _ChannelState(**v)


assert set(CHECKED) <= set(CHANNEL_NAMES)
