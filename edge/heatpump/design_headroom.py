"""The compression loss the design day's discharge can still take (a prognosis to the discharge limit).

A pump's discharge is hottest on its coldest days: the evaporator runs colder, the pressure ratio
and the frequency rise. The loss a healthy compressor may lose before its discharge reaches the
trip is therefore least on the design day (edge.toml [design] ``design_outdoor_c``: the outdoor
temperature the installation was sized for), which a first winter may not have shown. A cold R32
pump that trips at a 4 % loss on a day colder than any before was, on the days it had seen, 6 %
from its trip.

Per steady reading, the discharge rise the compressor would have when healthy is the rise read
over (1 + the loss's current shift), and the loss that takes it to the trip is
(T_trip - T_s) / that rise - 1 (the discharge rise is the measure times the ideal one, so a
relative loss s raises it by s). Averaged over HEADROOM_TAU (the protection acts on minutes, one
glitch is no hot hour), its least in each block of BLOCK_SECONDS is the block's headroom, paired
with the outdoor temperature at that minute. A mild or lightly loaded block's least is far from
the trip and says nothing of the hot hours, so the line is drawn along the blocks' lower envelope
against the outdoor temperature (refitted on the blocks at or below it, its slope not negative:
no pump runs cooler in the cold) and predicted at the design temperature; one prediction standard
deviation is added (the design day's hottest block is one draw from the scatter around the line,
and the line is less certain beyond the days seen). A loss past it takes that day's discharge to
the trip. On the cold R32 tuning fleet the envelope falls some 0.65 % of loss per kelvin and
meets the trip within 2 % at -24 °C, where the fleet's healthy pump does trip once.

The discharge thermistor is read: one reading high moves the shift and the read rise alike, so
the healthy rise and the headroom stay, but the loss it shows is the loss wear would show, and
the protection that trips reads the same thermistor. The prognosis holds for both; which of the
two it is, the rule's parts say (a sensor to check first).
"""

from __future__ import annotations

import math

import numpy as np

from heatwatch.edge.heatpump import batch_kernels

MIN_BLOCKS = 8  # two days of blocks before the line is drawn
MAX_BLOCKS = 120  # the last 30 days of 6-hour blocks
MIN_ROWS = 6  # steady readings a block needs
ENVELOPE_TRIMS = 2  # refits on the blocks at or below the line: about its lowest sixth to quarter


class DesignHeadroom:
    """Streaming, per steady reading of a fitted compressor; ``upper`` is the design day's headroom
    (plus one prediction standard deviation), inf until it is known or with no design temperature."""

    def __init__(self, t_trip: float, design_outdoor_c: float | None, block_seconds: float, tau: float,
                 min_lift: float) -> None:
        self.t_trip = t_trip
        self.design_c = design_outdoor_c
        self.block_seconds, self.tau, self.min_lift = block_seconds, tau, min_lift
        # (outdoor temperature, least headroom) per closed block, the last MAX_BLOCKS, oldest first: arrays,
        # as the refit after each block reads them (a list made into an array per refit cost 4 % of a replay)
        self._x = np.empty(MAX_BLOCKS)
        self._y = np.empty(MAX_BLOCKS)
        self._m = 0
        self.upper = math.inf
        self.fit: tuple[float, float, float] | None = None  # design headroom, its prediction sd, the slope
        self._blk = -1
        self._n = 0
        self._least = math.inf
        self._least_t = math.nan
        self._hot = math.nan
        self._t_out = math.nan
        self._ts = math.nan

    def update(self, ts: float, t_out: float, t_s: float, t_d: float, shift: float) -> None:
        """One steady reading (the tracker's shift of compression_loss after it)."""
        if self.design_c is None or not (t_out == t_out and t_d - t_s >= self.min_lift and shift > -1.0):
            return
        blk = int(ts // self.block_seconds)
        if blk != self._blk:
            self._close()
            self._blk = blk
        allowed = (self.t_trip - t_s) * (1.0 + shift) / (t_d - t_s) - 1.0
        last = self._ts
        self._ts = ts
        if self._hot != self._hot:
            self._hot, self._t_out = allowed, t_out
        else:
            a = 1.0 - math.exp(-min(max(ts - last, 0.0), 3600.0) / self.tau)
            self._hot += a * (allowed - self._hot)
            self._t_out += a * (t_out - self._t_out)
        self._n += 1
        if self._hot < self._least:
            self._least, self._least_t = self._hot, self._t_out

    def update_rows(self, T: np.ndarray, C: np.ndarray, shift: np.ndarray, k_exp: float) -> np.ndarray:
        """update() on each row of a replay where the loss is defined (C: t_suction, t_discharge,
        p_high, p_low, compressor_hz, compressor_a, t_outdoor; ``shift``: compression_loss's shift
        after each row), in the compiled kernel that returns only where a block closes: ``upper``
        after each row."""
        m = len(T)
        uppers = np.full(m, self.upper)
        if self.design_c is None or m == 0:
            return uppers
        T = np.ascontiguousarray(T, dtype=float)
        cols = [np.ascontiguousarray(C[:, q], dtype=float) for q in (6, 0, 1, 2, 3, 4)]
        shift = np.ascontiguousarray(shift, dtype=float)
        st = np.array([float(self._blk), float(self._n), self._least, self._least_t, self._hot, self._t_out, self._ts])
        kept = np.array([self._m], dtype=np.int64)
        fit = np.array([self.upper, *(self.fit or (math.nan,) * 3), 0.0])
        # the whole chunk in one compiled call: each block's close, the push of its least and the refit too
        batch_kernels.design_headroom_rows(T, *cols, shift, k_exp, self.t_trip, self.tau, self.block_seconds,
                                           self.min_lift, st, self._x, self._y, kept, fit, float(self.design_c),
                                           ENVELOPE_TRIMS, MIN_ROWS, MIN_BLOCKS, uppers)
        self._m = int(kept[0])
        if fit[4] == 1.0:
            self.fit = (float(fit[1]), float(fit[2]), float(fit[3]))
            self.upper = float(fit[0])
        self._blk = int(st[0])
        self._n, self._least, self._least_t = int(st[1]), float(st[2]), float(st[3])
        self._hot, self._t_out, self._ts = float(st[4]), float(st[5]), float(st[6])
        return uppers

    def _close(self) -> None:
        n, least, at = self._n, self._least, self._least_t
        self._n, self._least, self._least_t = 0, math.inf, math.nan
        if n < MIN_ROWS or not math.isfinite(least):
            return
        self._push(at, least)
        self._refit()

    @property
    def blocks(self) -> list[tuple[float, float]]:
        """(outdoor temperature, least headroom) of the closed blocks kept, oldest first."""
        return list(zip(self._x[:self._m].tolist(), self._y[:self._m].tolist()))

    def _push(self, at: float, least: float) -> None:
        if self._m == MAX_BLOCKS:  # the oldest goes
            self._x[:-1], self._y[:-1] = self._x[1:].copy(), self._y[1:].copy()
            self._m -= 1
        self._x[self._m], self._y[self._m] = at, least
        self._m += 1

    def _refit(self) -> None:
        """The blocks' lower envelope against the outdoor temperature, predicted at the design
        temperature: a line, refitted ENVELOPE_TRIMS times on the blocks at or below it (a mild or
        lightly loaded block's least is far from the trip and says nothing of the hot hours; the
        hottest blocks at each temperature are the envelope), its slope not negative."""
        m = self._m
        if m < MIN_BLOCKS or self.design_c is None:
            return
        pred, sd, slope = batch_kernels.envelope_line(self._x[:m], self._y[:m], float(self.design_c), ENVELOPE_TRIMS)
        self.fit = (pred, sd, slope)
        self.upper = pred + sd

    def state(self) -> dict:
        return {"blocks": [list(b) for b in self.blocks], "block": self._blk, "n": self._n,
                "least": None if math.isinf(self._least) else self._least,
                "least_t": None if self._least_t != self._least_t else self._least_t,
                "hot": None if self._hot != self._hot else self._hot,
                "t_out": None if self._t_out != self._t_out else self._t_out,
                "ts": None if self._ts != self._ts else self._ts}

    def load_state(self, d: dict | None) -> None:
        if not d:
            return
        def num(v, fill=math.nan):
            return fill if v is None else float(v)
        self._m = 0
        for a, b in d.get("blocks", [])[-MAX_BLOCKS:]:
            self._push(float(a), float(b))
        self._blk, self._n = int(d.get("block", -1)), int(d.get("n", 0))
        self._least, self._least_t = num(d.get("least"), math.inf), num(d.get("least_t"))
        self._hot, self._t_out, self._ts = num(d.get("hot")), num(d.get("t_out")), num(d.get("ts"))
        self._refit()
