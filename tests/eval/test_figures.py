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


def test_a_revised_ticket_is_judged_by_the_fault_it_names_from_when_it_named_it():
    """A flow meter drifting low (truth sensor_drift, onset day 10) named low water flow on day 11 and
    revised into the meter's notice on day 14: not a false ticket, found 4 days after the onset (not 1),
    one revised ticket whose first name was wrong for 3 days. A low water flow ticket cancelled into the
    meter's own ticket is not false either: that ticket speaks for it."""
    handed = ticket("sensor_drift", 11)
    handed.first_fault, handed.revised_ts = "low_water_flow", T0 + 14 * DAY
    meter = pump("hp-001", "sensor_drift", 10, None, [handed])
    cancelled = ticket("low_water_flow", 12)
    cancelled.first_fault, cancelled.revised_ts, cancelled.cancelled_into = "low_water_flow", T0 + 15 * DAY, 7
    other = pump("hp-002", "sensor_drift", 10, None, [ticket("sensor_drift", 13), cancelled])
    fig = compute([meter, other])
    assert fig.false_tickets == [] and fig.sensor_as_pump == 0
    assert fig.rows["sensor_drift"].found == 2 and fig.rows["sensor_drift"].detect_d == pytest.approx([4.0, 3.0])
    assert [(p.device, d) for p, _, d in fig.revised] == [("hp-001", pytest.approx(3.0)), ("hp-002", pytest.approx(3.0))]
    line = fig.revised_line()
    assert "2 tickets (1 handed over, 1 cancelled into" in line and "wrong on 2" in line and "3.0 d" in line


def test_a_pump_fault_named_only_by_a_revision_counts_its_lead_from_the_revision():
    """A leak first named evaporator fouling on day 12, revised to the leak on day 16, trip on day 20:
    caught with a 4-day lead, not 8."""
    t = ticket("refrigerant_leak", 12)
    t.first_fault, t.revised_ts = "evaporator_fouling", T0 + 16 * DAY
    fig = compute([pump("hp-001", "refrigerant_leak", 10, 20, [t])])
    assert fig.rows["refrigerant_leak"].leads_d == pytest.approx([4.0]) and fig.false_tickets == []
