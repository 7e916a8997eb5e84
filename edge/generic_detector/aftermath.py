"""What an excursion beyond the drivers' training range leaves behind: let it relax, judge what grows.

A machine with memory carries the effect of its drivers after they are gone. A
heat pump trained on a February fortnight (air up to 17 °C) meets a 24 °C
April afternoon: above its heating limit the demand is zero, the pump stops,
and the room floats 1.5 K above its set point. The air cools back into the
training range within hours; the room, with the building's heat in it, takes
days to come back, and every one of those rows, its driver inside the range,
read as 20 sigma (``bench/weather_bench.py`` part fresh2: 70 % of its flagged
rows). The training rows cannot show how long the memory is (the room was
held at its set point all fortnight), so no time constant is assumed.

Only an excursion that stops the machine counts: one where the driver model's
expectation of a column positive on every training row (a speed, a power)
reaches zero (given.DriverModel.stops): past a heating limit the demand has run
out, and the pump cycles and stops, a regime the training never showed. A
cold excursion is more of the same (the demand grows) and stays with the
extrapolation allowance: opened after every excursion, the envelopes masked
some columns of a cold pump and not their partners (a pressure and not its
saturation temperature), and the MEWMA flagged the difference (heldout,
hourly rows: 0.70 -> 3.62 %).

What is judged is the shape. At the first row back inside the range,
each column's residual in excess of its level before the excursion (an EWMA
of the in-range residuals, so an existing fault is not taken for the
excursion's doing; only its part beyond what the EWMA's own noise reaches,
``MARGIN`` times a white residual's EWMA spread: a level the hours before the
excursion lent it, held for the envelope's days, read as a shift, and hourly
rows of simulated Oslo pumps were flagged for days after a mild one) is the
**envelope**. After that the envelope follows the
excess down, never up: the smallest excess since the return plus a noise
margin of ``MARGIN`` residual sigmas. What lies inside the envelope is
removed from the residual; what rises above it (a fault growing in the same
direction) is scored. The envelope closes when the excess's EWMA (the
detector's lambda) is back at the level before the excursion: the
relaxation is over; or when it has not come down for ``PATIENCE`` / lambda
rows (100 at lambda 0.1): a relaxation keeps setting new lows, a level that
stays (a fault that began while the drivers were beyond the range: it is
taken for the excursion's doing at first) sets them ever more rarely, as
records in noise do, so what it masks is masked for a bounded time.

From the first row where the machine stops, the rows beyond the range are
**not judged**: each column is held at its level before the excursion (a fault
already there stays in view), since past its own heating limit the model has
no expectation to defend. That level, here and under the envelope, is kept
only when the detector's alarm was on at the first row of this or an earlier hold of
the spell (its last
check: rows and blocks alike); else it is 0, the fit's. A fault already there
is one the detector had seen; a level it had not alarmed on is the approach to
a mild afternoon, and holding a few columns at it for the envelope's days while
their partners read their own residuals made a contrast the MEWMA flagged
(``bench/weather_bench.py``, hourly rows: fresh12's Oslo underfloor pump 63
healthy hours, fresh7's Milan pump 40). And the spell is not over when the hour's air is
back inside the range: heating limits and degree-days are defined on the
day's mean air, because a building holds a warm day's heat through the
evening. While the drivers' day-mean (:class:`DriverMemory`, an EWMA with a
one-day time constant) is beyond the range its training rows covered, on the
side where the machine stopped, the rows where the machine is found idle (a
running column below half its expectation) are not judged either
(``bench/weather_bench.py`` fresh5: a Milan pump off on evenings at 11-15 °C
after 22 °C days, its flow at -100 to -400 sigma, 21 % of its rows); the rows
where it runs are, and the envelope opens at the first of them. Rows beyond
the range before a stop, and every cold excursion (the demand only grows
there), keep the extrapolation allowance (given.py).

A stop need not wait for the hour's air to leave the range. After a cold
fortnight a spring's mild, even days keep every hour inside the training
range while the day-mean climbs past any the training held: the building
passes its heating limit, the pump idles, the room floats above its set point,
and the expectation, defended only where the training was, never reaches 0
(``bench/weather_bench.py`` fresh16: two Milan pumps in late April, 9 / 14 % of
the part's rows). A row found idle while the day-mean is past the range, on the
side the training saw the machine's load fall toward, with the hour's
expectation of that load already below its training median, starts the spell
as a stop does (given.DriverModel.limit). On the other side the demand only
grows: a machine stopped there is judged.

Nor need a stop wait for the days' air. A radiator pump that heated on every
row of its training fortnight ends its season on a mild evening, the day-mean
still inside the training's range: its circulation stops (0 l/min against a
training spread of 0.03), a state the model never saw and has no expectation
for. A row at rest in such a state (a running column below half its lowest
training reading, every load column as quiet as the quietest tenth of its
training rows) while the drivers put the load low (every load column's
expectation below its training median) is not judged and is counted apart
(``unseen``, given.DriverModel.unseen); it neither moves the level before an
excursion nor starts a hold's alarm, and opens no envelope (after a light hour
of rest an envelope took a stopped circulation for what the rest left, and
masked it); the detector skips it (adaptive.py). Judged, its first few rows raised the alarm
that a hold then carried for weeks (``bench/weather_bench.py`` fresh21: 18.86 %
of the quarter-hours). A stop where the load is expected high is judged.

And a held level ends where it is no longer a fault in view: on a judged row
whose column's raw residual is back within ``MARGIN`` sigmas of the fit's 0, the
column's level is dropped (``released``) and its envelope keeps only what it masks
beyond 0 (a room still relaxing stays masked). Holding a column that
reads as in training at a level hundreds of sigma away kept fresh21's Montreal
pump flagged while it heated exactly as in training (217 hours).
"""

from __future__ import annotations

import numpy as np

DAY = 86400.0  # seconds: the memory's time constant (heating limits and degree-days are on the day's mean air)
MARGIN = 3.0  # residual sigmas of noise the envelope allows above the smallest excess since the return
PATIENCE = 10.0  # an envelope that has not come down for this many EWMA memories (1 / lambda rows) closes
JUDGED, HELD, UNSEEN = 0, 1, 2  # a row's status (Aftermath.last): judged; held past a stop; a state never seen


class DriverMemory:
    """The day-mean of each continuous driver (an EWMA over the rows' times with a one-day time
    constant) and the range it covered on the training rows: whether the days before a row were
    like any the training saw, not only its hour (module doc)."""

    def __init__(self, cols: list[int], lo: np.ndarray, hi: np.ndarray, m: np.ndarray, t: float,
                 tau: float = DAY) -> None:
        self.cols, self.lo, self.hi, self.m, self.t, self.tau = cols, lo, hi, m, t, tau

    @classmethod
    def learn(cls, D: np.ndarray, ts: np.ndarray, cols: list[int], tau: float = DAY) -> "DriverMemory | None":
        """From the training rows' drivers and times; None when they span less than two memories
        (the range of a day-mean needs days to show) or there is no continuous driver."""
        ts = np.asarray(ts, dtype=np.float64)
        if not cols or ts.size < 2 or not np.all(np.isfinite(ts)) or ts[-1] - ts[0] < 2.0 * tau:
            return None
        mem = cls(cols, np.zeros(len(cols)), np.zeros(len(cols)), np.full(len(cols), np.nan), float(ts[0]), tau)
        M = mem._run(np.asarray(D, dtype=np.float64)[:, cols], ts)
        settled = ts >= ts[0] + tau  # the first memory still leans on the start value
        with np.errstate(invalid="ignore"):
            mem.lo, mem.hi = np.nanmin(M[settled], axis=0), np.nanmax(M[settled], axis=0)
        return mem

    def _run(self, V: np.ndarray, ts: np.ndarray) -> np.ndarray:
        out = np.empty_like(V)
        for i in range(len(V)):
            a = 1.0 - np.exp(-max(float(ts[i]) - self.t, 0.0) / self.tau)
            v = V[i]
            ok = np.isfinite(v)
            self.m = np.where(ok & ~np.isfinite(self.m), v, self.m)
            self.m = np.where(ok, self.m + a * (v - self.m), self.m)
            self.t = float(ts[i])
            out[i] = self.m
        return out

    def side(self, D: np.ndarray, ts: np.ndarray) -> np.ndarray:
        """(n,) for the stream's next rows: +1 where a day-mean is above its training range, -1 below
        it, 0 inside."""
        return self.sides(D, ts)[0]

    def sides(self, D: np.ndarray, ts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For the stream's next rows: (n,) the side as :meth:`side`, and (n, k) the same per driver."""
        M = self._run(np.asarray(D, dtype=np.float64)[:, self.cols], np.asarray(ts, dtype=np.float64))
        with np.errstate(invalid="ignore"):
            each = np.where(M > self.hi, 1, np.where(M < self.lo, -1, 0))
        return np.where(np.any(each == 1, axis=1), 1, np.where(np.any(each == -1, axis=1), -1, 0)), each


class Aftermath:
    """Per scored column, the envelope of what the last excursion beyond the drivers'
    training range left (module doc). Row by row and in blocks alike (a loop over rows)."""

    def __init__(self, sigma: np.ndarray, ewma_lambda: float, margin: float = MARGIN) -> None:
        F = len(sigma)
        self.delta = margin * np.asarray(sigma, dtype=np.float64)
        self.lam = ewma_lambda
        # the level before an excursion is an EWMA of the in-range residuals: what its own noise makes of
        # healthy rows (a white residual's EWMA spread, lambda / (2 - lambda) of its variance, the margin
        # times it) is no fault already there, and holding a column at it for the envelope's days reads as one
        self.noise = margin * np.sqrt(ewma_lambda / (2.0 - ewma_lambda)) * np.asarray(sigma, dtype=np.float64)
        self.base = np.zeros(F)  # the residuals' level inside the range before the excursion (the fit's: 0)
        self.env = np.zeros(F)  # signed envelope (0: none)
        self.outside = False  # rows were not judged: the next judged one opens the envelope
        self.side = 0  # ... on this side of the range (+1 above, -1 below)
        self.spell = False  # the model stopped the machine, and the drivers are not back yet
        self.unjudged = 0  # rows held at their level before a stop (counted for the user)
        self.smooth = np.zeros(F)  # EWMA of the excess along the envelope's side: <= 0 closes it
        self.since_low = np.zeros(F, dtype=np.int64)  # rows since the envelope last came down
        self.patience = int(np.ceil(PATIENCE / ewma_lambda))  # ... more than this closes it: no relaxation
        self.memory: DriverMemory | None = None  # the drivers' day-mean (dated rows): the building's memory
        self.alarm = False  # the detector's alarm at its last check (set by the caller, adaptive.py)
        self.alarmed = False  # ... as it was at the first row of the last hold: only then is the level before it held
        self.spell_held = False  # a hold of the current spell has begun (its alarm carries to the spell's later holds)
        self.unseen = 0  # rows in a machine state the training never held, at a low expected load (counted)
        self.release = True  # a held level ends once its column reads as in training (False: main's, to compare)
        self.released = 0  # column-rows whose held level ended as their raw residual came back within its noise
        self.last = np.zeros(0, dtype=np.int8)  # per row of the last apply: JUDGED, HELD or UNSEEN

    def apply(self, R: np.ndarray, beyond: np.ndarray, stops: np.ndarray | None = None,
              side: np.ndarray | None = None, days: np.ndarray | None = None,
              idle: np.ndarray | None = None, limit: np.ndarray | None = None,
              unseen: np.ndarray | None = None) -> np.ndarray:
        """Residuals (n, F) in the driver model's units, ``beyond`` (n,) per row, ``stops`` (n,):
        rows where the expectation says the machine stops (None: every row beyond); returns the
        residuals as judged. From a row where the machine stops the excursion's rows are not
        judged (each column held at its level before it); an envelope opens when it ends.
        ``side`` (n,): +1/-1 the side of the range a row's driver is beyond; ``days`` (n,): the
        same for the drivers' day-mean (DriverMemory): while the days are past the range on the
        side where the machine stopped, the spell goes on, and its rows where the machine is
        found ``idle`` (n,) are not judged either. ``limit`` (n,): +1/-1 on rows found idle while the
        day-mean is past that side of the range, the machine's load faded on past where the training
        saw it (given.DriverModel.limit): a stop as well, the heating limit reached on the days' air
        while the hour's is inside the range. ``unseen`` (n,): rows in a machine state the training
        never held at a load the drivers put low (given.DriverModel.unseen): not judged either, counted in
        ``unseen``, and they neither move the level before an excursion nor start a hold's alarm nor open
        an envelope (the detector does not score them: adaptive.py). On a judged row a
        column whose held level is not 0 and whose raw residual is back within ``MARGIN`` sigmas of the
        fit's 0 reads as in training: its level ends there (``released``), and its envelope keeps only what
        it masks beyond 0 (a relaxation under way; none where it only measured the level)."""
        R = np.asarray(R, dtype=np.float64)
        out = R.copy()
        self.last = np.zeros(len(R), dtype=np.int8)
        for i in range(len(R)):
            r = R[i]
            ok = np.isfinite(r)
            stop = bool(beyond[i] and (stops is None or stops[i]))
            past = 0 if limit is None else int(limit[i])
            if (stop or past) and not self.spell:
                self.spell = True
                self.side = (int(side[i]) if side is not None else 0) if stop else past
                self.spell_held = False  # no hold of this spell has begun yet
            if self.spell and not beyond[i] and (days is None or self.side == 0 or int(days[i]) != self.side):
                self.spell = False  # the hour's and the days' drivers are back: the spell is over
            # past a stop no expectation to defend: the rows beyond the range, and while the days
            # are still past it the rows where the machine is found idle, are not judged
            hold = self.spell and (beyond[i] or (idle is not None and idle[i]))
            if hold and not self.outside:  # the first row of a hold: was the detector alarming then?
                # once it was at one of the spell's holds it stays so for the spell: a fault the detector
                # had seen, or one it saw begin in a judged stretch of the spell, is kept in view
                self.alarmed = self.alarm or (self.alarmed and self.spell_held)
                self.spell_held = True
            level = self.level()
            if hold:
                out[i] = np.where(ok, level, r)
                self.outside = True  # the next judged row opens the envelope
                self.unjudged += 1
                self.last[i] = HELD
                continue
            if unseen is not None and unseen[i]:  # at rest in a state never seen: no expectation to defend
                out[i] = np.where(ok, level, r)
                self.unseen += 1
                self.last[i] = UNSEEN
                continue
            # a column read as in training (its raw residual within its noise of the fit's 0): holding it at
            # a level away from there keeps no fault in view, and latches an alarm the excursion raised
            # (only where the level is read: an envelope open, or about to open on this row)
            held = (self.env != 0.0) | self.outside
            back = ok & held & (level != 0.0) & (np.abs(r) <= self.delta) & self.release
            if back.any():
                # the envelope is the excess over the level: over 0 it is what is left of it on its own side (a
                # relaxation still under way stays masked; an envelope that only measured the level closes)
                env = self.env + level
                keep = back & (np.sign(env) == np.sign(self.env)) & (np.abs(env) > self.delta)
                self.env = np.where(back, np.where(keep, env, 0.0), self.env)
                self.base = np.where(back, 0.0, self.base)
                self.released += int(back.sum())
                level = self.level()
            if beyond[i]:  # an envelope still open is the earlier excursion's: it holds, unchanged
                if np.any(self.env):
                    out[i] = self._inside(r, ok, level)
                continue
            if self.outside:  # back inside: what the excursion left is the envelope
                self.outside = False
                self.env = np.where(ok, r - level, 0.0)
                self.env = np.where(np.abs(self.env) > self.delta, self.env, 0.0)
                self.smooth = np.abs(self.env)
                self.since_low = np.zeros(len(self.env), dtype=np.int64)
            if np.any(self.env):
                # the excess along the envelope's side; the envelope closes once its EWMA is back
                # at the level before the excursion: the relaxation is over
                p = np.where(ok, (r - level) * np.sign(self.env), 0.0)
                self.smooth = np.where(ok, (1.0 - self.lam) * self.smooth + self.lam * p, self.smooth)
                lower = np.maximum(p, 0.0) + self.delta < np.abs(self.env)
                self.since_low = np.where(lower, 0, self.since_low + 1)
                keep = (self.smooth > 0.0) & (self.since_low <= self.patience)
                self.env = np.where(keep, np.sign(self.env) * np.minimum(np.abs(self.env), np.maximum(p, 0.0) + self.delta), 0.0)
                out[i] = self._inside(r, ok, level)
            # each column's level follows its own rows while it has no envelope open (a fault that
            # starts in one column while another relaxes is that column's level, not an excursion's)
            free = ok & (self.env == 0.0)
            self.base = np.where(free, (1.0 - self.lam) * self.base + self.lam * r, self.base)
        return out

    def level(self) -> np.ndarray:
        """Per column the level before the excursion that a held or masked row keeps: the part of its
        EWMA beyond what the EWMA's own noise reaches on healthy rows (``noise``), 0 inside it; and 0
        unless the detector's alarm was on when the last hold began (a level it had not alarmed on is
        no fault to keep in view)."""
        if not self.alarmed:
            return np.zeros_like(self.base)
        return np.sign(self.base) * np.maximum(np.abs(self.base) - self.noise, 0.0)

    def _inside(self, r: np.ndarray, ok: np.ndarray, level: np.ndarray) -> np.ndarray:
        """The residual with the envelope's part removed (the same side only; what rises above it stays)."""
        e = r - level
        same = ok & (self.env != 0.0) & (np.sign(e) == np.sign(self.env))
        return np.where(same, level + np.sign(e) * np.maximum(0.0, np.abs(e) - np.abs(self.env)), r)
