"""Conditioning on drivers: model each scored column as a function of the columns the user names.

A machine's readings follow what drives it: a heat pump's flow temperature,
power and pressures follow the outdoor temperature, a pump's current follows
its set speed. Scored against a fixed healthy level, a cold week looks like a
fault. ``heatwatch detect --given t_outdoor`` instead learns, on the healthy
rows, what each other column reads *given* the drivers, and the detector
scores the residuals: what the drivers do not explain.

The model per target column is additive in the drivers and robust:

* a driver with many distinct values enters as a piecewise-linear spline
  (hinges at its training quartiles): a smooth but not
  straight response, linear beyond the training range (the defensible
  extrapolation: the last slope seen, not a constant and not a polynomial);
* a driver with few distinct values (a mode, a defrost flag) enters as one
  indicator per level (a binned expectation); a level not seen in training
  counts as the baseline level;
* fitted by Huber IRLS (c = 1.345, 95 % efficiency at the normal) with a
  small ridge, so a fault that slipped into the training rows is down-weighted
  instead of bending the fit; NaN rows are left out per column.

A row whose drivers are missing is expected to read the target's median.

Beyond the training range the expectation is an extrapolation, and its error
grows with the distance. The parametric standard error sees only the
straight line's uncertainty; how fast the *shape* goes wrong is measured on
the training rows themselves (:meth:`DriverModel._edges`): refit without the
outer tenth of a driver's range on each side, predict it, and fit the growth
of the squared error with the distance (a slope that bends by kappa per unit
of driver). Beyond the full range that growth is taken to go on.
"""

from __future__ import annotations

import warnings

import numpy as np

from heatwatch.edge.generic_detector.aftermath import Aftermath
from heatwatch.edge.generic_detector.neff import autocorrelation_time
from heatwatch.edge.generic_detector.novelty import ledoit_wolf
from heatwatch.edge.generic_detector.robust import robust_location_scale

EDGE_SHARE = 0.1  # the outer share of a driver's training rows, each side, held out to measure extrapolation
KNOTS = 3  # hinges per continuous driver: the quartiles (each end slope rests on a quarter of the rows)
MAX_LEVELS = 12  # a driver with at most this many distinct values is categorical
LAG_T = 3.0  # standard errors by which a column's residuals must follow a lagged view to get its allowance
FADE = 0.5  # the running columns' relative changes across a driver's range must sum to this to name a side (_fade)
FALLS = 0.25  # ... and a column falls toward it by this share of its level to be one of the load's
REST = 0.1  # at rest: each load column no more than this share of the way from its quietest tenth to its median
LAG_RHO = 0.5  # ... or the correlation of its training residuals with such a column's (it moves with it)


class DriverModel:
    """What each target column reads given the driver columns; ``residuals`` is what is scored."""

    def __init__(self, knots: int = KNOTS, huber_c: float = 1.345, ridge: float = 1e-6, iterations: int = 20,
                 ewma_lambda: float = 0.1, linear_from: int | None = None, common_lag: bool = False,
                 joint_lag: bool = False, shared_kappa: bool = False) -> None:
        # a lagged view's allowance along the followers' common extrapolation error only (common_shrink)
        self.common_lag = common_lag
        # ... or with the correlation the followers' extrapolation errors had (joint_shrink)
        self.joint_lag = joint_lag
        self.linear_from = linear_from  # drivers from this index on enter linearly (e.g. Fourier terms)
        self.bias_weight = (2.0 - ewma_lambda) / ewma_lambda
        # a column's extrapolation growth at least its correlated partners' (_shared_kappa; opt-in)
        self.shared_kappa = shared_kappa
        self.knots = knots
        self.huber_c = huber_c
        self.ridge = ridge
        self.iterations = iterations
        self.spec: list[dict] = []
        self.edges: list[dict] = []  # per continuous driver: training range and extrapolation growth (_edges)
        self.W = np.zeros((0, 0))
        self.loc = np.zeros(0)
        self.positive = np.zeros(0, dtype=bool)  # per target: never negative in training, positive on most rows
        self.floor = np.zeros(0)  # per target: its lowest training reading (running columns; 0 elsewhere): unseen()
        self.quiet = np.zeros(0)  # per target: its training readings' EDGE_SHARE quantile (the quietest tenth): unseen()

    # ---- the basis ------------------------------------------------------------------------
    def _learn_basis(self, D: np.ndarray) -> None:
        self.spec = []
        for j in range(D.shape[1]):
            d = D[:, j][np.isfinite(D[:, j])]
            levels = np.unique(d)
            if self.linear_from is not None and j >= self.linear_from:
                self.spec.append({"kind": "linear"})
            elif levels.size <= 1:
                self.spec.append({"kind": "none"})
            elif levels.size <= MAX_LEVELS:
                self.spec.append({"kind": "levels", "levels": levels[1:].tolist()})  # first level = baseline
            else:
                q = np.quantile(d, np.arange(1, self.knots + 1) / (self.knots + 1))
                self.spec.append({"kind": "spline", "knots": np.unique(q).tolist(),
                                  "centre": float(np.median(d)), "scale": float(robust_location_scale(d[:, None])[1][0])})

    def basis(self, D: np.ndarray) -> np.ndarray:
        """(n, k) drivers -> (n, m) design matrix: an intercept, then each driver's columns."""
        cols = [np.ones(len(D))]
        for j, s in enumerate(self.spec):
            u = D[:, j]
            if s["kind"] == "linear":
                cols.append(u)
            elif s["kind"] == "levels":
                cols.extend((u == lv).astype(np.float64) for lv in s["levels"])
            elif s["kind"] == "spline":
                x = (u - s["centre"]) / s["scale"]
                cols.append(x)
                cols.extend(np.maximum(0.0, x - (k - s["centre"]) / s["scale"]) for k in s["knots"])
        B = np.column_stack(cols)
        return np.where(np.isfinite(B), B, 0.0)

    # ---- fitting ----------------------------------------------------------------------------
    def fit(self, D: np.ndarray, Y: np.ndarray, lagged: np.ndarray | None = None) -> "DriverModel":
        """Learn on healthy rows: D (n, k) drivers, Y (n, F) targets. ``lagged`` (n, l): the drivers'
        lagged views (lagged.py), not drivers of the expectation but a range it was learned in: beyond
        it (a building colder than any the training saw, at an hour's air it did see) the expectation's
        error grows as measured by :meth:`_edges`."""
        D = np.asarray(D, dtype=np.float64)
        Y = np.asarray(Y, dtype=np.float64)
        self.loc, _ = robust_location_scale(Y)
        with np.errstate(invalid="ignore"):
            # a speed, a power, a flow: never below 0, and above it on most rows (the machine running);
            # one that idles at 0 at the training's low load (a compressor cycling) counts too
            self.positive = np.array([np.isfinite(y).any() and bool(np.all(y[np.isfinite(y)] >= 0.0))
                                      and float(np.median(y[np.isfinite(y)])) > 0.0 for y in Y.T])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            self.floor = np.where(self.positive, np.nan_to_num(np.nanmin(Y, axis=0)) if len(Y) else 0.0, 0.0)
            self.quiet = np.nan_to_num(np.nanquantile(Y, EDGE_SHARE, axis=0)) if len(Y) else np.zeros(Y.shape[1])
        self._learn_basis(D)
        B = self.basis(D)
        ok_d = np.all(np.isfinite(D), axis=1)
        m, F = B.shape[1], Y.shape[1]
        self.W = np.zeros((m, F))
        self.cov = np.zeros((F, m, m))  # per target the coefficients' covariance
        self.sigma = np.ones(F)
        for f in range(F):
            ok = ok_d & np.isfinite(Y[:, f])
            if ok.sum() < 2 * m:
                continue  # too few rows to condition on: the median stands
            self.W[:, f], self.cov[f], self.sigma[f] = self._huber(B[ok], Y[ok, f] - self.loc[f])
        self.edges = self._edges(D, Y, B)
        for e in self.edges:
            e["load"], e["falls"] = self._fade(D[:, e["driver"]], Y)
        if lagged is not None:
            self.edges += self._edges(D, Y, B, np.asarray(lagged, dtype=np.float64))
        return self

    def _edges(self, D: np.ndarray, Y: np.ndarray, B: np.ndarray, lagged: np.ndarray | None = None) -> list[dict]:
        """Per continuous driver: its training range and, per target and side, kappa: how fast the
        expectation's error grows beyond the rows it was fitted on, error² ≈ sigma² + (kappa d)².

        Measured by extrapolating inside the training rows: the model is refitted without the
        rows beyond the driver's ``EDGE_SHARE`` quantile (each side in turn) and predicts them;
        kappa² is the least-squares fit of their excess squared error on d² (d: distance beyond
        the refit's range), the excess over the noise and the refit's own coefficient error (a
        straight response gives kappa near 0: its extrapolation error is prediction_se's).
        A response that bends toward the range's edge (a heat pump's suction as the air nears
        the frost line) bends on beyond it: the Milan pump of the weather bench
        trained on 5.5-21 °C read 5 K off at 0 °C, 10 sigma, through a straight extrapolation."""
        edges = []
        m = B.shape[1]
        # the model's continuous drivers; or, given ``lagged``, each lagged view (entries marked "lagged":
        # they widen the allowance only, and say nothing of where the drivers themselves are)
        todo = [(j, D[:, j]) for j, s in enumerate(self.spec) if s["kind"] == "spline"] if lagged is None \
            else [(j, lagged[:, j]) for j in range(lagged.shape[1])
                  if np.unique(lagged[np.isfinite(lagged[:, j]), j]).size > MAX_LEVELS]
        for j, d in todo:
            ok = np.isfinite(d)
            lo, hi = float(np.min(d[ok])), float(np.max(d[ok]))
            q_lo, q_hi = np.quantile(d[ok], [EDGE_SHARE, 1.0 - EDGE_SHARE])
            kappa = np.zeros((2, Y.shape[1]))
            # a lagged view widens the allowance of the columns that follow it only (lag_followers)
            cols = np.ones(Y.shape[1], dtype=bool) if lagged is None else self.lag_followers(B, Y, d)
            errs = np.full((2, len(d), Y.shape[1]), np.nan)  # the held rows' errors, in each column's sigma
            sides = ((ok & (d < q_lo), q_lo - d), (ok & (d > q_hi), d - q_hi))
            for side, (held, dist) in enumerate(sides):
                for f in np.flatnonzero(cols):
                    y_ok = np.isfinite(Y[:, f]) & np.all(np.isfinite(D), axis=1)
                    fit_rows, out_rows = y_ok & ok & ~held, y_ok & held
                    if fit_rows.sum() < 2 * m or out_rows.sum() < 5 or not np.any(self.W[:, f]):
                        continue
                    coef, cov, sig = self._huber(B[fit_rows], Y[fit_rows, f] - self.loc[f])
                    Bo = B[out_rows]
                    err = Y[out_rows, f] - self.loc[f] - Bo @ coef
                    # what noise and the refit's own coefficient error explain is not the shape's error
                    # (the latter is prediction_se's part beyond the full range)
                    excess = err**2 - sig**2 - np.einsum("ni,ij,nj->n", Bo, cov, Bo)
                    d2 = dist[out_rows] ** 2
                    if self.sigma[f] > 0.0:
                        errs[side, out_rows, f] = err / self.sigma[f]
                    kappa[side, f] = np.sqrt(max(0.0, float(np.sum(excess * d2)))
                                             / max(float(np.sum(d2**2)), 1e-300))
            kappa = self._flat_kappa(kappa, cols, Y)
            if lagged is None and self.shared_kappa:
                kappa = self._shared_kappa(kappa, B, Y)
            extra = {}
            if lagged is not None:
                common = [self._common_error(errs[side][held], dist[held], cols & ~self._flat(Y))
                          for side, (held, dist) in enumerate(sides)]
                extra = {"follows": cols.tolist(), "direction": [c[0].tolist() for c in common],
                         "reach": [c[1] for c in common],
                         "rho": [self._error_correlation(errs[side][held], cols & ~self._flat(Y)).tolist()
                                 for side, (held, _) in enumerate(sides)]}
            edges.append({"driver": j, "lo": lo, "hi": hi, "kappa": kappa.tolist(), "lagged": lagged is not None,
                          **extra})
        return edges

    def _fade(self, d: np.ndarray, Y: np.ndarray) -> tuple[int, list[int]]:
        """The side of a driver's training range toward which the machine's load fades (+1 above, -1
        below, 0 none) and the load's columns. Per running column (``positive``) the relative change
        of its median (the step over the larger) between the rows in the driver's outer
        ``EDGE_SHARE`` on each side; the side is where they fall in sum, when the sum is at least
        ``FADE`` (half a column's whole level); the load's columns are those that fall toward it by at
        least ``FALLS`` of their level (a column without a trend, a flow always on, is no sign of a
        stop). A heat pump's compressor, current, power, fan and valve each fall by a third to two
        thirds as the air warms; its evaporator's temperatures rise, and one near 0 °C has a large
        relative change too (a Milan pump's 2 -> 16 °C), so the side is the sum's, not one column's;
        and not a count of the columns beyond their noise: on 15-minute rows a cycling compressor's
        step is 2 residual sigmas while the evaporator's are 40 (fresh16's Milan radiator pump)."""
        ok = np.isfinite(d)
        if ok.sum() < 10:
            return 0, []
        q_lo, q_hi = np.quantile(d[ok], [EDGE_SHARE, 1.0 - EDGE_SHARE])
        total = 0.0
        rel = np.zeros(Y.shape[1])
        for f in np.flatnonzero(self.positive):
            lo, hi = Y[ok & (d <= q_lo), f], Y[ok & (d >= q_hi), f]
            lo, hi = lo[np.isfinite(lo)], hi[np.isfinite(hi)]
            if lo.size < 5 or hi.size < 5:
                continue
            m_lo, m_hi = float(np.median(lo)), float(np.median(hi))
            if max(m_hi, m_lo) > 0.0:
                rel[f] = (m_hi - m_lo) / max(m_hi, m_lo)
                total += rel[f]
        side = 1 if total <= -FADE else -1 if total >= FADE else 0
        return side, (np.flatnonzero(-side * rel >= FALLS).tolist() if side else [])

    def limit(self, Y: np.ndarray, E: np.ndarray, days: np.ndarray) -> np.ndarray:
        """(n,) +1/-1 on rows found idle past a heating limit of the days' air, 0 elsewhere. ``days``
        (n, k): per driver of ``edges`` (not lagged) the side of its training range its day-mean is
        past (aftermath.DriverMemory.sides). A row counts on the side the load fades toward
        (:meth:`_fade`) when one of the load's columns reads below half its expectation and that
        expectation, at this hour, is below the column's training median: the model, too, puts the
        load low here, and the machine has gone on to stop. On the other side the demand only grows, and a machine
        stopped there is a fault to judge (heldout's Milan pump in a January colder than its
        December: its suction, near 0 °C, below half its expectation while the compressor ran); so is
        a trip on a cold evening after a warm day (the compressor expected above its median)."""
        out = np.zeros(len(E), dtype=np.int64)
        if not self.positive.any():
            return out
        Y = np.asarray(Y, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            low = np.isfinite(Y) & (Y < 0.5 * E) & (E < self.loc)
        own = [e for e in self.edges if not e.get("lagged")]
        for c, e in enumerate(own):
            s = int(e.get("load", 0))
            if s and e.get("falls"):
                out = np.where((out == 0) & (days[:, c] == s) & np.any(low[:, e["falls"]], axis=1), s, out)
        return out

    def unseen(self, D: np.ndarray, Y: np.ndarray, E: np.ndarray) -> np.ndarray:
        """(n,) rows in a machine state the training never held, at a load the drivers put low: a rest the
        model has no expectation for, so a row there is not judged (aftermath.Aftermath.apply counts it).

        Three things at once. (1) A running column (``positive``) has collapsed below half the lowest it read
        in training (``floor``): a circulation that never stopped in the training fortnight reads 0 l/min, a
        mode that was heating on every training hour reads off. (2) The machine is at rest: every one of the
        load's columns (:meth:`_fade`) reads no more than the quietest tenth of its training rows (``quiet``,
        the ``EDGE_SHARE`` quantile, and ``REST`` of the way from it to the median): a compressor at 0 Hz, a
        few watts. (3) The drivers put the load low:
        every load column's expectation at this row is below its training median, and the driver itself is on
        the side of its training median the load fades toward (the expectation's hour-of-day terms alone do not
        make a cold hour a light one). A pump stopped in
        the cold (its load expected high) fails (3) and is judged, and alarms; a machine working while a
        column collapses (a compressor running against a stopped circulation, even lightly on a mild day:
        below its median, above its quietest tenth) fails (2). Whatever the
        drivers' day-mean: a radiator pump that ends its heating season on a mild evening, its days still
        inside the training's range, is at rest as much as one after a warm week (docs/generic-detector.md,
        fresh21). None without a load side (nothing says the load is low there)."""
        out = np.zeros(len(E), dtype=bool)
        if not self.positive.any() or len(self.floor) != E.shape[1] or len(self.quiet) != E.shape[1]:
            return out
        Y = np.asarray(Y, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            collapsed = np.any(self.positive & (self.floor > 0.0) & np.isfinite(Y) & (Y < 0.5 * self.floor), axis=1)
            for e in self.edges:
                if e.get("lagged") or not e.get("load") or not e.get("falls"):
                    continue
                f = e["falls"]
                # a tenth of the way to the median above it: a stopped compressor's current reads 0.01-0.05 A about a
                # quantile of 0.01 (a residual sigma instead took hours running at a light load for rest)
                top = self.quiet[f] + REST * np.maximum(self.loc[f] - self.quiet[f], 0.0)
                rest = np.all(~np.isfinite(Y[:, f]) | (Y[:, f] <= top), axis=1)
                d = np.asarray(D, dtype=np.float64)[:, e["driver"]]
                centre = self.spec[e["driver"]].get("centre", np.nan)
                with np.errstate(invalid="ignore"):
                    low = np.all(E[:, f] < self.loc[f], axis=1) & (e["load"] * (d - centre) > 0.0)
                out |= collapsed & rest & low
        return out

    @staticmethod
    def _common_error(E: np.ndarray, dist: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, float]:
        """The followers' common extrapolation error beyond one side of a lagged view's range: the first
        right singular vector of the held rows' errors (each column in its sigma; ``cols``, flat columns
        left out), and how fast the error along it grows with the distance, fitted as kappa is (its
        excess over the noise's 1 on d², least squares). (F,) unit vector (zeros: none) and that slope."""
        F = E.shape[1]
        direction = np.zeros(F)
        use = cols & np.any(np.isfinite(E), axis=0)
        rows = np.any(np.isfinite(E[:, use]), axis=1) if use.any() else np.zeros(len(E), dtype=bool)
        if rows.sum() < 5:
            return direction, 0.0
        Z = np.nan_to_num(E[np.ix_(rows, use)])
        v = np.linalg.svd(Z, full_matrices=False)[2][0]
        d2 = dist[rows] ** 2
        reach = np.sqrt(max(0.0, float(np.sum(((Z @ v) ** 2 - 1.0) * d2))) / max(float(np.sum(d2**2)), 1e-300))
        direction[use] = v
        return direction, reach

    @staticmethod
    def _error_correlation(E: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """(F, F) how the followers' extrapolation errors beyond one side of a lagged view's range moved
        together: the held rows' errors (each column in its sigma; ``cols``, flat columns left out), their
        second moments about 0 (the error is the bias, not a spread about it) scaled to a correlation,
        shrunk toward the identity by Ledoit-Wolf with the rows' autocorrelation counted (novelty.py: a
        tenth of a fortnight's rows is a few independent spells). The identity elsewhere, and where too
        few rows tell: then the allowance is the per-column one."""
        F = E.shape[1]
        out = np.eye(F)
        use = cols & (np.sum(np.isfinite(E), axis=0) >= 5)
        if use.sum() < 2:
            return out
        Z = E[np.ix_(np.all(np.isfinite(E[:, use]), axis=1), use)]
        if len(Z) < 5:
            return out
        rms = np.sqrt(np.mean(Z * Z, axis=0))
        Z = Z / np.where(rms > 0.0, rms, 1.0)
        S, _ = ledoit_wolf(Z)
        dg = np.sqrt(np.clip(np.diag(S), 1e-12, None))
        out[np.ix_(use, use)] = S / np.outer(dg, dg)
        return out

    @staticmethod
    def _flat(Y: np.ndarray) -> np.ndarray:
        """(F,) columns at one value on more than half their rows (MAD 0; an all-missing one is not flat)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mad = np.nanmedian(np.abs(Y - np.nanmedian(Y, axis=0)), axis=0)
        return np.isfinite(mad) & (mad == 0.0)

    def _flat_kappa(self, kappa: np.ndarray, cols: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """(2, F) ``kappa`` with each flat follower's (more than half its training rows at one value: a
        defrost share at 0, a mode at heating) set to the other followers' median in their own sigmas.
        For a driver's own range (not a lagged view) every column follows it.

        A flat column's robust sigma is no spread (~1e-9: the fit meets the one value exactly), so its
        rare healthy moves (a defrost) all count as the shape's error in ``_edges``, and the allowance,
        kappa d against that sigma, shrinks its residuals to 0 wherever the driver (or its lagged view)
        is beyond its range, while those of its partners (suction, low pressure: rho 0.9) are shrunk
        by a fraction: the MEWMA reads their common healthy drift as a broken correlation (fresh8
        hp-002, 15-minute rows, 70 flagged rows without the lagged view, 197 with it, 24 with this).
        Its own allowance cannot be measured in its own sigmas, so it takes the pooled one: the other
        followers' median. (Its correlated partners' median instead was tried: a defrost share, a
        bounded and thresholded response, then got its straight partners' kappa of 0, and fresh4's
        Milan pump read a defrost share below a linear extrapolation in the cold: hourly 0.43 -> 0.77 %.)"""
        flat = cols & self._flat(Y)
        real = cols & ~flat & (self.sigma > 0.0)
        if not flat.any() or not real.any():
            return kappa
        out = kappa.copy()
        out[:, flat] = np.median(kappa[:, real] / self.sigma[real], axis=1)[:, None] * self.sigma[flat]
        return out

    def _shared_kappa(self, kappa: np.ndarray, B: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """(2, F) ``kappa`` with each column's growth, in its own sigma, at least each partner's times their
        training residuals' correlation: what the drivers leave of two columns that move together (a
        condensing temperature and its pressure, rho ~0.9) is one unexplained process read twice, and an
        expectation that misses one beyond the range misses the other by rho of it (the regression of one
        z on the other). Measured separately, one of such a pair can come out straight by chance (fresh33
        hp-003: t_cond 0.27 of its sigma per kelvin, p_high 0), and beyond the range the MEWMA then reads the
        shrunk one against the unshrunk one as a broken correlation (p_high +0.66 z for days). What the
        lagged views' allowance already does for their followers' partners (lag_followers, LAG_RHO), here
        for the drivers' own range (a partner at ``LAG_RHO`` or more), graded by rho. A column that moves
        with none keeps its own growth, so a fault there is judged as before."""
        R = Y - self.loc - B @ self.W
        ok = np.all(np.isfinite(R), axis=1)
        real = (self.sigma > 0.0) & ~self._flat(Y)  # a flat column's residuals are the fit's rounding: no partner
        if ok.sum() <= 2 or real.sum() < 2:
            return kappa
        with np.errstate(invalid="ignore", divide="ignore"):
            C = np.abs(np.nan_to_num(np.corrcoef(R[ok].T)))
        np.fill_diagonal(C, 0.0)
        C[C < LAG_RHO] = 0.0  # a partner as lag_followers names one: a chance correlation imports nothing
        C[~real] = 0.0
        C[:, ~real] = 0.0
        kz = np.where(real, kappa / np.where(real, self.sigma, 1.0), 0.0)
        out = np.maximum(kz, np.max(C[None, :, :] * kz[:, None, :], axis=2))
        return np.where(real, out * self.sigma, kappa)

    def lag_followers(self, B: np.ndarray, Y: np.ndarray, lag: np.ndarray) -> np.ndarray:
        """(F,) the columns that get a lagged view's allowance: those whose training residuals follow
        what the view adds to the drivers (:meth:`follows_lag`: a building's demand, its flow and
        return temperatures, its compressor), and those whose residuals move with one of them
        (correlation at least ``LAG_RHO``): T² and the MEWMA judge the columns together, and shrinking
        one of a correlated pair and not the other reads their common healthy drift as a broken
        correlation. A column that does neither (a lift that follows the hour's air, a room's
        temperature) has no reason to be judged more loosely on a colder day: a fault there stays
        seen as without the view (``test_driver_memory``, ``test_aftermath``)."""
        follows = self.follows_lag(B, Y, lag)
        if follows.any():
            R = Y - self.loc - B @ self.W
            ok = np.all(np.isfinite(R), axis=1)
            if ok.sum() > 2:
                with np.errstate(invalid="ignore", divide="ignore"):
                    C = np.nan_to_num(np.corrcoef(R[ok].T))
                follows = follows | np.any(np.abs(C[:, follows]) >= LAG_RHO, axis=1)
        return follows

    def follows_lag(self, B: np.ndarray, Y: np.ndarray, lag: np.ndarray) -> np.ndarray:
        """(F,) whether each target's training residuals follow the part of ``lag`` the basis ``B`` does
        not explain: their slope on it more than ``LAG_T`` standard errors from 0, a HAC error (the
        products' integrated autocorrelation time counted: a smooth lagged view is a few independent
        values in a fortnight, and a chance slope must not switch the allowance on)."""
        beta, se = self.lag_slopes(B, Y, lag)
        return np.abs(beta) > LAG_T * se

    def lag_slopes(self, B: np.ndarray, Y: np.ndarray, lag: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(F,), (F,): each target's training residuals' slope on the part of ``lag`` the basis ``B`` does
        not explain, and its HAC standard error (inf where there is none to measure)."""
        F = Y.shape[1]
        beta, se = np.zeros(F), np.full(F, np.inf)
        for f in range(F):
            ok = np.isfinite(lag) & np.isfinite(Y[:, f]) & np.all(np.isfinite(B), axis=1)
            if ok.sum() < 2 * B.shape[1] or not np.any(self.W[:, f]):
                continue
            Bo = B[ok]
            u = lag[ok] - Bo @ np.linalg.lstsq(Bo, lag[ok], rcond=None)[0]  # what the lag adds to the basis
            suu = float(u @ u)
            if suu <= 1e-12 * max(float(lag[ok] @ lag[ok]), 1e-300):
                continue  # the lagged view is the basis's: it adds nothing
            r = Y[ok, f] - self.loc[f] - Bo @ self.W[:, f]
            s = max(float(robust_location_scale(r[:, None])[1][0]), 1e-12)
            r = np.clip(r, -5.0 * s, 5.0 * s)  # a wild row cannot make the slope
            beta[f] = float(u @ r) / suu
            p = u * (r - beta[f] * u)
            tau = float(autocorrelation_time((p / max(float(np.std(p)), 1e-300))[:, None])[0])
            se[f] = np.sqrt(tau * float(p @ p)) / suu
        return beta, se

    def extrapolation_se(self, D: np.ndarray, lagged: np.ndarray | None = None, common: bool = False,
                         own: bool = False) -> np.ndarray:
        """(n, F) the expectation's error from extrapolating beyond the training range (:meth:`_edges`):
        kappa times the distance beyond it, per continuous driver and lagged view (in quadrature); 0 inside.
        ``common``: a lagged view's part only for the followers outside its common direction (a flat
        one keeps its own allowance); :meth:`common_shrink` takes the others."""
        D = np.asarray(D, dtype=np.float64)
        var = np.zeros((len(D), self.W.shape[1]))
        for e in self.edges:
            if e.get("lagged") and (lagged is None or own):
                continue
            k = np.asarray(e["kappa"], dtype=np.float64)
            if e.get("lagged") and common and "direction" in e:
                k = k * (np.asarray(e["direction"], dtype=np.float64) == 0.0)
            x = np.asarray(lagged, dtype=np.float64)[:, e["driver"]] if e.get("lagged") else D[:, e["driver"]]
            below = np.nan_to_num(np.maximum(0.0, e["lo"] - x))
            above = np.nan_to_num(np.maximum(0.0, x - e["hi"]))
            var += (below[:, None] * k[0]) ** 2 + (above[:, None] * k[1]) ** 2
        return np.sqrt(var)

    def _huber(self, B: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        """Coefficients, their covariance s² (B'WB)^-1 (the weighted least squares one at the
        final weights) and the residuals' robust scale s."""
        eye = self.ridge * len(B) * np.eye(B.shape[1])
        eye[0, 0] = 0.0  # the intercept is not shrunk
        w = np.ones(len(B))
        coef = np.zeros(B.shape[1])
        for _ in range(self.iterations):
            BW = B * w[:, None]
            new = np.linalg.lstsq(B.T @ BW + eye, BW.T @ y, rcond=None)[0]
            r = y - B @ new
            _, s = robust_location_scale(r[:, None])
            a = np.abs(r) / (self.huber_c * s[0])
            w = np.where(a <= 1.0, 1.0, 1.0 / np.maximum(a, 1e-12))
            done = np.allclose(new, coef, rtol=1e-6, atol=1e-9)
            coef = new
            if done:
                break
        r = y - B @ coef
        s = float(robust_location_scale(r[:, None])[1][0])
        # the rows of a time series are not independent: the residuals' integrated
        # autocorrelation time tau says how many rows make one independent observation,
        # and the coefficients are only as certain as n / tau rows make them (neff.py)
        tau = float(autocorrelation_time(np.clip(r / max(s, 1e-12), -5.0, 5.0)[:, None])[0])
        cov = tau * s**2 * np.linalg.pinv(B.T @ (B * w[:, None]) + eye)
        return coef, cov, s

    # ---- use --------------------------------------------------------------------------------
    def expected(self, D: np.ndarray) -> np.ndarray:
        """(n, F) what each target should read given the drivers (the median where they are missing)."""
        D = np.asarray(D, dtype=np.float64)
        out = self.loc + self.basis(D) @ self.W
        return np.where(np.all(np.isfinite(D), axis=1)[:, None], out, self.loc)

    def prediction_se(self, D: np.ndarray) -> np.ndarray:
        """(n, F) the standard error of :meth:`expected`: small among the training rows, growing
        with the distance beyond them (an extrapolated slope is only as good as the rows
        it was fitted on)."""
        B = self.basis(np.asarray(D, dtype=np.float64))
        var = np.einsum("ni,fij,nj->nf", B, self.cov, B)
        return np.sqrt(np.maximum(var, 0.0))

    def beyond(self, D: np.ndarray) -> np.ndarray:
        """(n,) whether any continuous driver is outside the range its training rows covered."""
        D = np.asarray(D, dtype=np.float64)
        out = np.zeros(len(D), dtype=bool)
        for e in self.edges:
            if e.get("lagged"):
                continue
            x = D[:, e["driver"]]
            out |= np.isfinite(x) & ((x < e["lo"]) | (x > e["hi"]))
        return out

    def side(self, D: np.ndarray) -> np.ndarray:
        """(n,) +1 where a continuous driver is above its training range, -1 below it, 0 inside."""
        D = np.asarray(D, dtype=np.float64)
        up = np.zeros(len(D), dtype=bool)
        down = np.zeros(len(D), dtype=bool)
        for e in self.edges:
            if e.get("lagged"):
                continue
            x = D[:, e["driver"]]
            up |= np.isfinite(x) & (x > e["hi"])
            down |= np.isfinite(x) & (x < e["lo"])
        return np.where(up, 1, np.where(down, -1, 0))

    def idle(self, Y: np.ndarray, E: np.ndarray) -> np.ndarray:
        """(n,) rows where a running column (``positive``) reads below half its expectation: the
        machine spent most of the period stopped (a 15-minute mean of a pump that ran 2 of 15 minutes)."""
        if not self.positive.any():
            return np.zeros(len(E), dtype=bool)
        Y = np.asarray(Y, dtype=np.float64)[:, self.positive]
        with np.errstate(invalid="ignore"):
            return np.any(np.isfinite(Y) & (Y < 0.5 * E[:, self.positive]), axis=1)

    def stops(self, E: np.ndarray) -> np.ndarray:
        """(n,) rows whose expectation ``E`` puts a column never negative and mostly positive in training
        (a speed, a power, a flow: the machine running) at or below zero: extrapolated past where
        the demand ends (a heat pump above its heating limit), the machine stops or cycles, a
        regime the training never showed, and what it leaves lingers (aftermath.py)."""
        if not self.positive.any():
            return np.zeros(len(E), dtype=bool)
        return np.any(E[:, self.positive] <= 0.0, axis=1)

    def residuals(self, D: np.ndarray, Y: np.ndarray, aftermath: "Aftermath | None" = None,
                  ts: np.ndarray | None = None, lagged: np.ndarray | None = None,
                  offset: np.ndarray | None = None) -> np.ndarray:
        """What the drivers do not explain, in the units of the training residuals.

        A residual whose expectation is uncertain (drivers beyond the training range) is
        shrunk by s / sqrt(s² + w se²). The error of an expectation is a bias shared by
        every row at those drivers: noise averages out of the detector's EWMA (its
        variance is lambda / (2 - lambda) of one row's), the bias does not, so it is
        weighed w = (2 - lambda) / lambda times (19 at lambda = 0.1): the EWMA's spread
        learned on the training rows then holds where the drivers were not seen.

        ``aftermath`` (rows being judged, in order): what an excursion beyond the training
        range left in each column is let relax after the drivers come back (aftermath.py).
        ``offset`` (F,): a level learned on judged rows (offset.py), taken off the miss before anything else."""
        E = self.expected(D)
        r = np.asarray(Y, dtype=np.float64) - E
        if offset is not None:
            r = r - offset
        if aftermath is not None:
            beyond = self.beyond(D)
            days = None
            limit = None
            if aftermath.memory is not None and ts is not None:
                # the heating limit is on the days' air, not the hour's: while the day-mean stays
                # past the range where the machine stopped, the excursion is not over; and a machine
                # found idle there, its load faded on past the range, has reached that limit itself
                days, each = aftermath.memory.sides(D, ts)
                limit = self.limit(Y, E, each)
            r = aftermath.apply(r, beyond, beyond & self.stops(E), self.side(D), days, self.idle(Y, E), limit,
                                self.unseen(D, Y, E))
        common = self.common_lag and lagged is not None
        joint = self.joint_lag and lagged is not None and not common
        se2 = self.prediction_se(D) ** 2 + self.extrapolation_se(D, lagged, common, own=joint) ** 2
        scale = np.sqrt(self.sigma**2 + self.bias_weight * se2)
        if joint:
            return self.joint_shrink(r, se2, np.asarray(lagged, dtype=np.float64))
        if not common:
            return r * (self.sigma / scale)
        return self.common_shrink(r / scale, scale, np.asarray(lagged, dtype=np.float64)) * self.sigma

    def shrink(self, D: np.ndarray, lagged: np.ndarray | None = None) -> np.ndarray:
        """(n, F) the factor :meth:`residuals` scales each column's residual by (per column: sigma over
        the scale that allows for the expectation's error; the common and joint allowances as if per column)."""
        se2 = self.prediction_se(D) ** 2 + self.extrapolation_se(D, lagged) ** 2
        return self.sigma / np.sqrt(self.sigma**2 + self.bias_weight * se2)

    def joint_shrink(self, r: np.ndarray, se2: np.ndarray, lagged: np.ndarray) -> np.ndarray:
        """(n, F) residuals with the expectation's error allowed for jointly: z = r / sigma whitened by
        (I + A)^(-1/2), A the errors' covariance in sigma units weighed as a bias (``bias_weight``): on the
        diagonal the prediction's and the drivers' own extrapolation errors (``se2``), plus beyond a
        lagged view's range d² K^(1/2) rho K^(1/2), K each follower's (kappa / sigma)² and rho how their
        errors moved together when the training rows were extrapolated (``_error_correlation``). With
        rho the identity this is the per-column shrink r sigma / scale exactly; a contrast the errors
        never took (a condensing temperature leaving its pressure) is shrunk only as much as rho's
        shrinkage toward the identity leaves it."""
        z = r / self.sigma
        a = self.bias_weight * se2 / self.sigma**2  # (n, F) the diagonal part
        n, F = z.shape
        A = np.zeros((n, F, F))
        idx = np.arange(F)
        A[:, idx, idx] = a
        extra = np.zeros(n, dtype=bool)
        sw = np.sqrt(self.bias_weight)
        for e in self.edges:
            if not e.get("lagged"):
                continue
            x = lagged[:, e["driver"]]
            k = np.asarray(e["kappa"], dtype=np.float64) / self.sigma
            rho = e.get("rho") or [np.eye(F).tolist()] * 2
            for side, dist in enumerate((e["lo"] - x, x - e["hi"])):
                rows = np.isfinite(dist) & (dist > 0.0)
                if not rows.any():
                    continue
                u = sw * k[side]  # (F,) per unit of distance
                M = np.asarray(rho[side], dtype=np.float64) * np.outer(u, u)
                A[rows] += dist[rows, None, None] ** 2 * M
                extra |= rows
        out = z / np.sqrt(1.0 + a)
        rows = np.flatnonzero(extra)
        if rows.size:
            vals, vecs = np.linalg.eigh(np.eye(F) + A[rows])
            inv = np.einsum("nij,nj,nkj->nik", vecs, 1.0 / np.sqrt(np.maximum(vals, 1e-12)), vecs)
            zr = z[rows]
            # a missing cell stays missing and adds nothing to the others (its z counts as 0, as in the detector)
            out[rows] = np.where(np.isfinite(zr), np.einsum("nij,nj->ni", inv, np.nan_to_num(zr)), np.nan)
        return out * self.sigma

    def common_shrink(self, z: np.ndarray, scale: np.ndarray, lagged: np.ndarray) -> np.ndarray:
        """(n, F) ``z`` (residuals in each row's own scale) with a lagged view's allowance along one
        direction per side only: the followers' common extrapolation error (``_common_error``), the
        rank-one covariance w (d c v)(d c v)' on top of each column's own, whitened exactly:
        z - (1 - 1/sqrt(1 + |u|²)) (û·z) û, u = sqrt(w) d c v sigma / scale. A contrast the followers'
        errors did not take (a condensing temperature that leaves its pressure: a fouled condenser) is
        left as it is, where the per-column allowance shrinks it with each column. Measured and not the
        default: a new season's healthy misfit is not one direction (docs/generic-detector.md, s-weather13)."""
        out = z.copy()
        for e in self.edges:
            if not e.get("lagged") or "direction" not in e:
                continue
            x = lagged[:, e["driver"]]
            for side, dist in enumerate((e["lo"] - x, x - e["hi"])):
                rows = np.flatnonzero(np.isfinite(dist) & (dist > 0.0))
                if rows.size == 0 or e["reach"][side] <= 0.0:
                    continue
                v = np.asarray(e["direction"][side], dtype=np.float64) * self.sigma
                u = np.sqrt(self.bias_weight) * e["reach"][side] * dist[rows, None] * v / scale[rows]
                a = np.sum(u * u, axis=1)
                uh = u / np.sqrt(np.maximum(a, 1e-300))[:, None]
                zr = out[rows]
                proj = np.sum(np.nan_to_num(zr) * uh, axis=1)
                out[rows] = zr - ((1.0 - 1.0 / np.sqrt(1.0 + a)) * proj)[:, None] * uh
        return out

    def state(self) -> dict:
        return {"spec": self.spec, "W": self.W.tolist(), "loc": self.loc.tolist(), "cov": self.cov.tolist(),
                "sigma": self.sigma.tolist(), "edges": self.edges, "positive": self.positive.tolist(),
                "floor": self.floor.tolist(), "quiet": self.quiet.tolist(),
                "common_lag": self.common_lag, "joint_lag": self.joint_lag}

    def load_state(self, state: dict) -> None:
        self.spec = state["spec"]
        self.W = np.array(state["W"], dtype=np.float64)
        self.loc = np.array(state["loc"], dtype=np.float64)
        self.cov = np.array(state["cov"], dtype=np.float64)
        self.sigma = np.array(state["sigma"], dtype=np.float64)
        self.edges = list(state.get("edges", []))  # states written before the allowance: none
        self.positive = np.array(state.get("positive", [False] * self.W.shape[1]), dtype=bool)
        self.floor = np.array(state.get("floor", [0.0] * self.W.shape[1]), dtype=np.float64)  # older states: none
        self.quiet = np.array(state.get("quiet", [0.0] * self.W.shape[1]), dtype=np.float64)
        self.common_lag = bool(state.get("common_lag", False))
        self.joint_lag = bool(state.get("joint_lag", False))

