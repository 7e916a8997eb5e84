"""Is one lying sensor the simplest explanation of the drift? (analytical redundancy)

A sensor that drifts by an offset d leaves a fingerprint fixed by physics and
by the healthy model, which can be computed rather than learned:

* every monitored channel computed from it moves by the derivative of that
  formula (a flow meter reading 20 % low makes the computed COP 20 % low,
  a flow thermometer reading high raises delta-T and lowers the condenser
  approach by the same kelvins);
* where it is an operating-point input (outdoor or flow temperature), the
  healthy model expects other values, so every residual moves by minus the
  model's sensitivity to it.

A real pump fault moves channels that no single offset can move together
(low water flow raises delta-T but leaves the COP; a fouled coil slows the
fan). So, for each sensor, fit the best offset to the persistent residuals
(weighted by alarm level) and ask how much of them it explains. A fraction
near 1 with a large offset says "sensor fault, the pump is fine". The
signatures are finite differences at the current operating point, so the
test needs no per-channel tables and works for any channel the register map
measures.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import compress
from collections.abc import Iterator, Mapping
from typing import Callable

import numpy as np

from heatwatch.channels import INDEX
from heatwatch.edge.heatpump import batch_kernels

# measured sensors (commands such as compressor_hz or eev_pct cannot drift) and the
# step used for the finite difference, in the channel's own unit
SENSOR_STEPS: dict[str, float] = {
    "t_outdoor": 1.0, "t_flow": 1.0, "t_return": 1.0, "t_discharge": 1.0, "t_suction": 1.0,
    "t_evap": 1.0, "t_cond": 1.0, "t_liquid": 1.0, "p_high": 0.5, "p_low": 0.2,
    "compressor_a": 0.5, "power_w": 100.0, "flow_lpm": 1.0, "fan_rpm": 50.0,
}


@dataclass(frozen=True)
class SensorOffset:
    """The best single-sensor explanation of the current residuals."""

    channel: str
    offset: float  # in the channel's unit (sensor reads this much too high)
    # fraction of the weighted residual energy it explains, 0..1. Channels count as independent
    # though some read one quantity (p_low, t_evap, t_suction and evap_approach: the evaporating
    # temperature), so a pump fault that moves that quantity lends an operating-point sensor a
    # share: demo_fleet's leak, its valve +6.3 alarm units with 0.9 the offset's, "48 %" for
    # t_outdoor. A share is no verdict below isolated_explained (0.9); the rules judge a pump
    # fault on its own required witnesses (RuleEngine._sensor_explains). A max-norm share (the
    # largest departure left) is no cure: the linear fingerprint overshoots evap_approach on a
    # real 8 K outdoor drift, and Oslo drifts would fall below 0.9 on half to all of their rows
    explained: float
    level: float  # size of the explained part, in alarm units (max over channels)
    predicted: dict[str, float]  # the level each monitored channel would show from this offset alone


class _PredictedOnRead:
    """SensorOffset.predicted of an offset best_offsets made: the dict is made from the chosen
    sensor's parts (target order) when first read and kept in the instance, whose own attribute
    then hides this (a non-data descriptor). A replay's rule rows each get an offset, and the rules
    read its predicted levels only where it explains enough (RuleEngine._sensor_explains): made
    for every row, those dicts were a tenth of a Stockholm season's pipeline."""

    def __get__(self, so: SensorOffset | None, owner: type | None = None):  # noqa: ANN204
        if so is None:
            return self
        d = so.__dict__
        parts = d.pop("_parts")
        # the channels whose part is not 0.0 (v != 0.0 is a float's truth: NaN kept, -0.0 not),
        # picked by itertools.compress in C rather than a comprehension
        pred = d["predicted"] = dict(compress(zip(d.pop("_names"), parts), parts))
        return pred


SensorOffset.predicted = _PredictedOnRead()  # type: ignore[assignment]  # only offsets made without it read it
_new_offset = object.__new__


def _offset_of_parts(channel: str, offset: float, explained: float, level: float, names: tuple[str, ...],
                     parts: list[float]) -> SensorOffset:
    """SensorOffset(channel, offset, explained, level, predicted) with ``predicted`` made when read
    (_PredictedOnRead): the same fields, set as unpickling sets a frozen dataclass's."""
    so = _new_offset(SensorOffset)
    so.__dict__.update(channel=channel, offset=offset, explained=explained, level=level, _names=names, _parts=parts)
    return so


_NAMES: tuple[str, ...] = tuple(SENSOR_STEPS)
_STEPS = np.array([SENSOR_STEPS[n] for n in _NAMES])
_COLS = np.array([INDEX[n] for n in _NAMES])


def offset_signatures(x: np.ndarray, targets: Callable[[np.ndarray], np.ndarray],
                      expected: Callable[[np.ndarray], np.ndarray]) -> dict[str, np.ndarray]:
    """Residual change per unit offset of each sensor, at the reading ``x``.

    ``targets(X)`` and ``expected(X)`` map rows of raw readings to the observed
    and model-expected target channels; both are evaluated once for all
    perturbed copies of ``x``.
    """
    present, sig = signatures_rows(x[None, :], targets, expected)
    return {n: sig[0, k] for k, n in enumerate(_NAMES) if present[0, k]}


def signatures_rows(SX: np.ndarray, targets: Callable[[np.ndarray], np.ndarray],
                    expected: Callable[[np.ndarray], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """offset_signatures for many operating points at once (a replay's rule rows): (present (m,
    len(SENSOR_STEPS)): the sensor reads a value there, signatures (m, len(SENSOR_STEPS), targets)).

    Rows with the same sensors present go together, each as a stack of the very matrices one row
    alone makes (itself and one perturbed copy per present sensor, shape (s + 1, channels)), so
    ``expected`` (a product with the model's coefficients) runs the same BLAS call on each: the
    numbers are those of a row alone, whatever the BLAS kernel does with the size of a product.
    ``targets`` and ``expected`` take arrays (..., channels) and work row by row.
    """
    m = SX.shape[0]
    present = ~np.isnan(SX[:, _COLS])
    sig = np.full((m, len(_NAMES), 0), np.nan)
    groups: dict[bytes, list[int]] = {}
    for i, key in enumerate(np.packbits(present, axis=1).tolist()):
        groups.setdefault(bytes(key), []).append(i)
    for idx in groups.values():
        p = present[idx[0]]
        ks = np.flatnonzero(p)
        s = len(ks)
        X = np.repeat(SX[idx][:, None, :], s + 1, axis=1)
        X[:, np.arange(1, s + 1), _COLS[ks]] += _STEPS[ks]
        Y = targets(X.reshape(-1, SX.shape[1])).reshape(len(idx), s + 1, -1)
        R = Y - expected(X)
        if sig.shape[2] == 0:
            sig = np.full((m, len(_NAMES), R.shape[2]), np.nan)
        sig[np.ix_(idx, ks)] = (R[:, 1:] - R[:, :1]) / _STEPS[ks][None, :, None]
    return present, sig


def present_signatures(SX: np.ndarray, sig_all: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """signatures_rows' (present, signatures) from signatures already computed for every sensor at
    the rows' operating points (sig_all (m, len(SENSOR_STEPS), targets): the same perturbed readings
    through the same elementwise targets and model, so the same numbers for each present sensor)."""
    present = ~np.isnan(SX[:, _COLS])
    return present, np.where(present[:, :, None], sig_all, np.nan)


class SignatureRows(Mapping):
    """row -> every sensor's signature there (len(SENSOR_STEPS), targets), held as the rows of one
    array ``sig`` (``at``: row -> its index there) rather than one view per row: a replay's chunk
    hands hundreds of rows' signatures to the exact offsets (PumpPipeline._estimate_offsets)."""

    def __init__(self, at: dict[int, int], sig: np.ndarray) -> None:
        self._at, self._sig = at, sig

    def __getitem__(self, row: int) -> np.ndarray:
        return self._sig[self._at[row]]

    def __contains__(self, row: object) -> bool:
        return row in self._at

    def __iter__(self) -> Iterator[int]:
        return iter(self._at)

    def __len__(self) -> int:
        return len(self._at)

    def stack(self, rows: list[int]) -> np.ndarray:
        """np.stack of these rows' signatures: the same values in the same (rows, sensors, targets) layout."""
        return self._sig[[self._at[i] for i in rows]]


def stacked(signatures: Mapping[int, np.ndarray], rows: list[int]) -> np.ndarray:
    """np.stack([signatures[i] for i in rows]), one array index for a SignatureRows."""
    if isinstance(signatures, SignatureRows):
        return signatures.stack(rows)
    return np.stack([signatures[i] for i in rows])


def best_offset(residual: np.ndarray, alarm: np.ndarray, signatures: dict[str, np.ndarray],
                target_names: tuple[str, ...]) -> SensorOffset | None:
    """Least-squares offset per sensor on alarm-scaled residuals; the best explainer."""
    present = np.array([[n in signatures for n in _NAMES]])
    sig = np.full((1, len(_NAMES), len(residual)), np.nan)
    for k, n in enumerate(_NAMES):
        if n in signatures:
            sig[0, k] = signatures[n]
    return best_offsets(residual[None, :], alarm, present, sig, target_names)[0]


def best_offsets(residual: np.ndarray, alarm: np.ndarray, present: np.ndarray, sig: np.ndarray,
                 target_names: tuple[str, ...], compiled: bool | None = None) -> list[SensorOffset | None]:
    """best_offset for many rows at once: residuals (m, targets), signatures_rows' present and
    signatures. Each dot product is numpy's vecdot, which calls the very routine ``a @ b`` of
    two vectors calls (BLAS ddot), pair by pair: the numbers of one row alone, for any m.
    The element-by-element arrays around them (the scaled signatures, the explained parts and
    what they leave) are made in one compiled pass each where numba is installed (``compiled``
    None; batch_kernels.offset_scaled, offset_parts), in numpy otherwise: the same numbers."""
    if compiled is None:
        compiled = batch_kernels.AVAILABLE
    m = residual.shape[0]
    alarm = np.broadcast_to(alarm, residual.shape)  # one level per target, or one per row and target
    b = residual / alarm
    ok = np.isfinite(b)
    b = np.where(ok, b, 0.0)
    energy = np.vecdot(b, b)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if compiled:
            a = batch_kernels.offset_scaled(np.ascontiguousarray(sig, dtype=np.float64),
                                            np.ascontiguousarray(alarm, dtype=np.float64), ok)
        else:
            a = np.where(ok[:, None, :] & np.isfinite(sig), sig / alarm[:, None, :], 0.0)
        aa = np.vecdot(a, a)
        usable = present & ~(aa <= 0.0)
        d = np.vecdot(a, b[:, None, :]) / np.where(usable, aa, 1.0)
        if compiled:
            part, rest = batch_kernels.offset_parts(a, d, b)
        else:
            part = a * d[:, :, None]
            rest = b[:, None, :] - part
        explained = 1.0 - np.vecdot(rest, rest) / energy[:, None]
    best = np.full(m, -1)
    best_v = np.zeros(m)
    for k in range(len(_NAMES)):  # the first sensor, then any that explains strictly more
        take = usable[:, k] & ((best < 0) | (explained[:, k] > best_v))
        best[take] = k
        best_v[take] = explained[take, k]
    out: list[SensorOffset | None] = [None] * m
    idx = np.flatnonzero((best >= 0) & ~(energy <= 0.0))
    if not len(idx):
        return out
    # the chosen sensor's numbers of every row at once, as Python floats (the same doubles)
    kk = best[idx]
    P = part[idx, kk]
    levels = np.max(np.abs(P), axis=1).tolist()
    offs, expl, preds = d[idx, kk].tolist(), explained[idx, kk].tolist(), P.tolist()
    # predicted: made from the parts when the rules read it (_PredictedOnRead)
    for j, (i, k) in enumerate(zip(idx.tolist(), kk.tolist())):
        out[i] = _offset_of_parts(_NAMES[k], offs[j], expl[j], levels[j], target_names, preds[j])
    return out
