"""The figures from a hand-made truth: every expected value is worked out here by hand."""

from __future__ import annotations

import pytest

from heatwatch.eval.figures import compute, prognosis_quality
from heatwatch.eval.results import PrognosisAt, PumpResult, TicketResult
from heatwatch.units import DAY

T0 = 1_700_000_000.0


def pump(device: str, fault: str = "", onset_d: float | None = None, trip_d: float | None = None,
         tickets: list[TicketResult] = (), notifications: int = 0) -> PumpResult:
    return PumpResult("hand", "site", "oslo", "R32", device, 36.525, fault, None,
                      None if onset_d is None else T0 + onset_d * DAY, None if trip_d is None else T0 + trip_d * DAY,
                      "discharge_overtemp" if trip_d else None, tickets=list(tickets), notifications=notifications)


def ticket(fault: str, day: float, prognoses=()) -> TicketResult:
    return TicketResult(1, fault, T0 + day * DAY, 2, 2, fault, "", [], list(prognoses))


def test_recall_lead_and_false_tickets_follow_the_truth():
    # leak: onset day 10, trip day 20, ticket day 15 -> caught, lead 5 d, share 5/10; its prognosis
    # at day 15 says failure on day 19 (4 d ahead, real 5: within a factor 2), interval days 17..23 holds it
    leak = pump("hp-001", "refrigerant_leak", 10, 20, [ticket("refrigerant_leak", 15, [
        PrognosisAt(T0 + 15 * DAY, T0 + 19 * DAY, T0 + 17 * DAY, T0 + 23 * DAY)])], notifications=1)
    # wear: onset day 0 (from installation), trip day 30, first ticket day 32 -> found after the trip;
    # the pump_trip ticket at the trip is a real stop, not false
    wear = pump("hp-002", "compressor_wear", 0, 30, [ticket("pump_trip", 30), ticket("compressor_wear", 32)])
    # healthy pump with a leak ticket -> one false ticket; a stuck sensor taken for a leak -> false too
    healthy = pump("hp-003", tickets=[ticket("refrigerant_leak", 25)], notifications=1)
    stuck = pump("hp-004", "sensor_stuck", 5, None, [ticket("refrigerant_leak", 6), ticket("sensor_stuck", 7)])
    fig = compute([leak, wear, healthy, stuck])

    r = fig.rows["refrigerant_leak"]
    assert (r.pumps, r.tripped, r.caught, r.recall) == (1, 1, 1, 1.0)
    assert r.leads_d == pytest.approx([5.0]) and r.shares == pytest.approx([0.5])
    w = fig.rows["compressor_wear"]
    assert (w.tripped, w.caught, w.after_trip, w.missed, w.recall) == (1, 0, 1, 0, 0.0)
    assert fig.rows["sensor_stuck"].found == 1 and fig.rows["sensor_stuck"].detect_d == pytest.approx([2.0])
    assert fig.trips_unwarned == 1
    assert sorted(why for _, _, why in fig.false_tickets) == [
        "blamed on refrigerant_leak (is sensor_stuck)", "healthy pump"]
    assert fig.sensor_as_pump == 1 and fig.pump_as_sensor == 0
    # 4 pumps x 36.525 d = 0.4 device-years: 2 false tickets = 500 per 100 device-years
    assert fig.device_years == pytest.approx(0.4)
    assert fig.false_per_100_device_years == pytest.approx(500.0)
    assert fig.notifications_per_customer == pytest.approx(0.5)
    q = prognosis_quality(fig.prognosis_first)
    assert q is not None and (q.n, q.within_factor_2, q.interval_holds) == (1, 1.0, 1.0)
    assert q.median_ratio == pytest.approx(4 / 5) and q.too_late == 0.0
    assert q.median_width == pytest.approx(8 / 2)  # told 2 to 8 days left: a factor 4 wide


def test_a_right_ticket_before_the_onset_is_false():
    early = pump("hp-001", "low_water_flow", 10, 20, [ticket("low_water_flow", 3)])
    fig = compute([early])
    assert [why for _, _, why in fig.false_tickets] == ["before the fault began"]
    assert fig.rows["low_water_flow"].missed == 1
