"""The board's pieces without a browser: deadlines in words, the kit table, findings in words, the
chart's trend to the trip."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from heatwatch.faults import FAULTS
from heatwatch.gateway.board import chart, evidence, kit, wording
from heatwatch.gateway.telemetry.stats import KNOWN_CHANNELS

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)


def test_deadlines_in_words():
    assert wording.deadline(NOW + timedelta(hours=3, minutes=20, seconds=59), NOW) == "in 3 h 20 min"
    assert wording.deadline(NOW - timedelta(minutes=40), NOW) == "breached 40 min ago"
    assert wording.deadline(NOW + timedelta(seconds=30), NOW) == "in 0 min"
    assert wording.deadline(NOW + timedelta(hours=2), NOW) == "in 2 h"
    assert wording.deadline(NOW - timedelta(days=3, hours=5), NOW) == "breached 3 d 5 h ago"
    assert wording.deadline((NOW + timedelta(hours=1)).replace(tzinfo=None), NOW) == "in 1 h"  # naive = UTC


def test_every_fault_has_a_kit_of_known_channels():
    assert set(kit.KITS) == set(FAULTS)
    for name, k in kit.KITS.items():
        assert k.parts and k.tools, name
        assert set(k.channels) <= KNOWN_CHANNELS, name
    assert kit.fault_title("device_offline").startswith("Device offline")
    assert kit.fault_title("something_new") == "something new"


def test_findings_in_plain_words():
    assert evidence.sentence({"kind": "residual", "channels": ["p_low"], "expected": 7.5, "observed": 5.1}) == (
        "Low side (suction) pressure, absolute 5.1 bar where 7.5 bar is expected")
    assert evidence.sentence({"kind": "cusum", "channels": ["superheat"]}) == (
        "Suction superheat has drifted slowly and persistently")
    assert evidence.sentence({"kind": "sensor", "channels": [], "message": "frames missing"}) == (
        "The pump looks like a sensor problem: frames missing")
    # what an agent should not send, but might: nothing breaks
    assert evidence.sentence({"channels": [3, None], "expected": "x", "observed": True}) == "The pump is unusual"


def test_the_trend_runs_from_the_last_reading_to_the_threshold():
    x = [0.0, 60.0, 120.0]
    panels = [{"channel": "superheat", "values": [6.0, 7.0, None], "trend": None, "threshold": None},
              {"channel": "p_low", "values": [7.0, 6.9, 6.8], "trend": None, "threshold": None}]
    trip = datetime.fromtimestamp(90.0, tz=timezone.utc)  # after the last superheat reading, before the last x
    chart._add_trend(x, panels, evidence.Prognosis("superheat", 25.0, trip, trip, trip))
    assert x == [0.0, 60.0, 90.0, 120.0]
    assert panels[0]["trend"] == [None, 7.0, 25.0, None]
    assert panels[0]["threshold"] == 25.0
    assert panels[1]["values"] == [7.0, 6.9, None, 6.8] and panels[1]["trend"] is None


def test_the_ticket_window_stops_at_now():
    start, end = chart.window_around(NOW - timedelta(hours=2), NOW - timedelta(hours=1), NOW)
    assert (start, end) == (NOW - timedelta(days=2, hours=2), NOW)
    old = NOW - timedelta(days=30)
    assert chart.window_around(old, old, NOW) == (old - timedelta(days=2), old + timedelta(days=1))
