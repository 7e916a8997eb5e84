"""The evaporator's chain: the approach grows -> the evaporating temperature falls -> the trip.

A synthetic fouling pump whose approach (outdoor less evaporating temperature) grows in
proportion to its healthy value, the cold night hours most, while the healthy model takes the
discharge's whole rise as the operating point (its residual stays 0, as a fouled evaporator's
does in the fleets: the compressor's higher speed explains it). A trend of the discharge sees
nothing coming; the chain reads the approach and carries it through the saturation table and the
pump's own compression to the discharge stop. The true date follows from the same relations
(the test checks the chain's bookkeeping: the fouling index, its extension, the first passage).
"""

from __future__ import annotations

import numpy as np
import pytest

from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
from heatwatch.edge.heatpump.prognosis import PrognosisTracker
from heatwatch.edge.heatpump.prognosis_evap_chain import compression_ratio, daily_fouling
from heatwatch.refrigerant import isentropic_discharge, p_sat, t_sat
from heatwatch.units import DAY, HOUR

IX = {n: TARGET_NAMES.index(n) for n in ("evap_approach", "p_low", "t_suction", "p_high", "t_discharge")}
K = 0.9  # the synthetic compressor's (T_d - T_s) / (T_is - T_s)
T_COND = 45.0
SUPERHEAT = 5.0
RATE = 0.06  # relative approach excess per day (a steady fouling)
C0 = 0.1


def _weather(hour_of_day: int) -> tuple[float, float]:
    """(outdoor temperature, healthy approach): -15 degC and 10 K on the cold night hours, else -5 and 6."""
    return (-15.0, 10.0) if 1 <= hour_of_day < 5 else (-5.0, 6.0)


def _state(t_out: float, approach: float, refrigerant: str) -> tuple[float, float, float, float]:
    """(evaporating temperature, p_low, suction temperature, discharge) of a running hour."""
    te = t_out - approach
    ts = te + SUPERHEAT
    pl, ph = p_sat(te, refrigerant), p_sat(T_COND, refrigerant)
    td = ts + K * (float(isentropic_discharge(ts, ph, pl, refrigerant)) - ts)
    return te, pl, ts, td


def _tracker(days: float, refrigerant: str = "R32", seed: int = 5) -> PrognosisTracker:
    rng = np.random.default_rng(seed)
    tr = PrognosisTracker(refrigerant=refrigerant)
    tr.calibration = None
    for k in range(int(days * 24)):
        t = k * HOUR
        c = C0 + RATE * t / DAY
        t_out, a = _weather(k % 24)
        _, pl, ts, td = _state(t_out, a * (1.0 + c), refrigerant)
        _, pl_healthy, _, _ = _state(t_out, a, refrigerant)
        m = np.full(len(TARGET_NAMES), np.nan)
        hi, lo = m.copy(), m.copy()
        for name, v, res in (("evap_approach", a * (1.0 + c), a * c + rng.normal(0, 0.05)),
                             ("p_low", pl, pl - pl_healthy), ("t_suction", ts, 0.0),
                             ("p_high", p_sat(T_COND, refrigerant), 0.0),
                             ("t_discharge", td, rng.normal(0, 0.3))):  # the discharge's rise absorbed
            m[IX[name]], hi[IX[name]], lo[IX[name]] = res, v + 0.01, v - 0.01
        tr._hours.append((t, m, hi, lo))
    return tr


def _true_days(now_day: float, refrigerant: str, channel: str, limit: float) -> float:
    """Days until the night hour's discharge (or low pressure) reaches the limit, by bisection on c."""
    t_out, a = _weather(2)

    def passed(c: float) -> bool:
        _, pl, _, td = _state(t_out, (a + 0.01) * (1.0 + c), refrigerant)
        return td >= limit if channel == "t_discharge" else pl <= limit

    lo, hi = 0.0, 10.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if passed(mid) else (mid, hi)
    return (hi - C0) / RATE - now_day


def test_the_chain_dates_a_fouled_evaporator_whose_discharge_residual_stays_flat() -> None:
    now = 10.0
    tr = _tracker(now)
    truth = _true_days(now, "R32", "t_discharge", 115.0)
    assert 3.0 < truth < 30.0  # the trip lies ahead, and the night's discharge is still below the stop
    p = tr.predict("evaporator_fouling", now * DAY)
    assert p is not None and p.indicator == "t_discharge"
    days = (p.predicted_trip_ts - now * DAY) / DAY
    assert 0.6 * truth <= days <= 1.3 * truth, (days, truth)
    # the discharge's own trend alone (a fault without the chain reads the same hours) sees no trip
    q = tr._predict_channel("t_discharge", now * DAY, "compressor_wear")
    assert q is None or (q.predicted_trip_ts - now * DAY) / DAY > 2 * truth


def test_the_low_pressure_chain_reads_the_saturation_table() -> None:
    """A propane pump trips on its low-pressure switch: the chain's p_low date follows the fall of
    the evaporating temperature through the table, not a line in bar."""
    now = 12.0
    tr = _tracker(now, "R290")
    limit = tr.limits["p_low"].threshold
    truth = _true_days(now, "R290", "p_low", limit)
    assert 3.0 < truth < 60.0
    from heatwatch.edge.heatpump import prognosis as pg

    cols = tr._columns([h for h in tr._hours if h[0] < now * DAY])
    from heatwatch.edge.heatpump.prognosis_evap_chain import evap_chain_days

    days = evap_chain_days(cols, now * DAY, "R290", pg._IDX, "p_low", limit, 14, pg._GRID, pg._excess_curves,
                           pick=pg._rival_days)
    assert days is not None and 0.6 * truth <= days <= 1.4 * truth, (days, truth, t_sat(limit, "R290"))


def test_the_fouling_index_is_the_days_ratio_of_sums() -> None:
    tr = _tracker(6.0)
    cols = tr._columns(list(tr._hours))
    dx, dc, by_day = daily_fouling(cols, IX["evap_approach"], 6.0 * DAY)
    assert len(dc) == 6 and list(by_day) == list(range(6))
    np.testing.assert_allclose(dc, C0 + RATE * (np.arange(6) + 0.5 - 0.5 / 24), atol=0.01)
    np.testing.assert_allclose(dx, np.arange(6) + 0.5 - 6.0)


def test_the_compression_ratio_is_the_pumps_own() -> None:
    rng = np.random.default_rng(1)
    te = rng.uniform(-30, 0, 200)
    ts, pl, ph = te + 5.0, p_sat(te, "R32"), p_sat(rng.uniform(35, 55, 200), "R32")
    td = ts + 1.2 * (isentropic_discharge(ts, ph, pl, "R32") - ts)
    assert compression_ratio(ts, ph, pl, td, "R32") == pytest.approx(1.2, abs=1e-9)
    assert compression_ratio(ts[:10], ph[:10], pl[:10], td[:10], "R32") is None  # too few hours to tell


def test_bad_input_is_refused_plainly() -> None:
    from heatwatch.edge.heatpump import prognosis as pg
    from heatwatch.edge.heatpump.prognosis_evap_chain import evap_chain_days

    tr = _tracker(6.0)
    cols = tr._columns(list(tr._hours))
    with pytest.raises(ValueError, match="p_low or t_discharge"):
        evap_chain_days(cols, 6 * DAY, "R32", pg._IDX, "flow_lpm", 1.0, 14, pg._GRID, pg._excess_curves)
    with pytest.raises(ValueError, match="unknown refrigerant"):
        evap_chain_days(cols, 6 * DAY, "R22", pg._IDX, "p_low", 1.0, 14, pg._GRID, pg._excess_curves)
    assert evap_chain_days(None, 6 * DAY, "R32", pg._IDX, "p_low", 1.0, 14, pg._GRID, pg._excess_curves) is None


@pytest.mark.parametrize(("refrigerant", "channel"), [("R32", "t_discharge"), ("R290", "p_low"), ("R32", "p_low")])
def test_reading_a_block_in_parts_gives_every_laws_date_unchanged(refrigerant: str, channel: str) -> None:
    """evap_chain_days reads a block's future days SUB_BLOCK at a time and stops at the first that
    halves the survival: every growth law's date is the one the whole block read at once gives
    (SUB_BLOCK 1460: each block in one piece, as before), to the bit, wherever the date falls."""
    from heatwatch.edge.heatpump import prognosis as pg
    from heatwatch.edge.heatpump import prognosis_evap_chain as ec

    seen: set[tuple] = set()
    kept = ec.SUB_BLOCK
    for now, shift in ((10.0, 0.0), (12.0, 3.0), (12.0, -8.0), (14.0, 15.0)):
        tr = _tracker(now, refrigerant)
        cols = tr._columns([h for h in tr._hours if h[0] < now * DAY])
        limit = tr.limits[channel].threshold + (shift if channel == "t_discharge" else -0.05 * shift)
        dates = {}
        for sub in (1460, 120, 60, 7, 1):
            ec.SUB_BLOCK = sub
            try:
                dates[sub] = ec.evap_chain_days(cols, now * DAY, refrigerant, pg._IDX, channel, limit, 14, pg._GRID,
                                                pg._excess_curves, pick=tuple)
            finally:
                ec.SUB_BLOCK = kept
        assert len(set(dates.values())) == 1, dates
        seen.add(dates[1460])
    assert any(d is not None for ds in seen for d in ds)
    assert len(seen) > 1  # the limits moved the dates: the parts were read to different depths


def test_a_near_date_reads_only_the_first_part_of_the_block(monkeypatch: pytest.MonkeyPatch) -> None:
    """A trip a day or two out is found in the block's first SUB_BLOCK future days: the rest of the
    block (before: all 120) is not read."""
    from heatwatch.edge.heatpump import prognosis as pg
    from heatwatch.edge.heatpump import prognosis_evap_chain as ec

    rows = [0]
    p_sat = ec._p_sat

    def counted(t_c: np.ndarray, refrigerant: str) -> np.ndarray:
        rows[0] += t_c.shape[0]
        return p_sat(t_c, refrigerant)

    monkeypatch.setattr(ec, "_p_sat", counted)
    now = 12.0
    tr = _tracker(now)
    cols = tr._columns([h for h in tr._hours if h[0] < now * DAY])
    dates = ec.evap_chain_days(cols, now * DAY, "R32", pg._IDX, "t_discharge", tr.limits["t_discharge"].threshold - 8.0,
                               14, pg._GRID, pg._excess_curves, pick=tuple)
    assert dates is not None and all(d is not None and d < 3.0 for d in dates)
    assert rows[0] <= len(dates) * (1 + 60) < len(dates) * (1 + 120)
