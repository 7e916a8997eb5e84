"""Priority from severity, time to failure and the cold ahead; the cold from a forecast provider (Open-Meteo's
API, served by a local stand-in), recent readings, or climate normals."""

from __future__ import annotations

import json
import threading
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from heatwatch.gateway.devices.models import Device
from heatwatch.gateway.incidents.priority import P1, P2, P3, P4, Urgency, cold_window, priority
from heatwatch.gateway.incidents.service import Incidents
from heatwatch.gateway.ingest.service import Ingest
from heatwatch.gateway.weather.models import SiteForecast
from heatwatch.gateway.weather.normals import normal_temperature
from heatwatch.gateway.weather.open_meteo import OpenMeteo
from heatwatch.gateway.weather.outlook import Outlook, refresh_forecasts
from heatwatch.gateway.weather.provider import DailyTemperature, ForecastError
from tests.gateway.incidents_support import DAY, JANUARY, MAY, Clock, event, incidents, message, place_devices
from tests.gateway.incidents_support import tickets as tickets_of

D = 86400.0
# arithmetic on what the database holds: SQLite only (the forecast test runs on both backends,
# so the JSON and time types are checked on PostgreSQL too)
SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


# ---- the formula ------------------------------------------------------------------------------

def _p(severity="critical", ttf_days=None, cold=None, heating=True, tripped=False):
    return priority(Urgency(severity=severity, heating_at_risk=heating, tripped=tripped,
                            time_to_failure_s=None if ttf_days is None else ttf_days * D, cold_ahead_c=cold))


def test_a_failure_in_a_cold_spell_comes_before_the_same_failure_in_may():
    cold_spell, may = _p(ttf_days=3, cold=-15), _p(ttf_days=3, cold=15)
    assert (cold_spell.level, may.level) == (P1, P2)
    assert cold_spell.score > may.score
    assert cold_spell.reason == "P1 critical: critical (2) + failure in 3.0 d (2) + coldest day -15 °C (3) = 7"


@pytest.mark.parametrize("facts, level", [
    (dict(ttf_days=78, cold=1), P3),  # a leak two months out, late-winter normals
    (dict(ttf_days=1, cold=5), P1),  # 2 + 3 + 1
    (dict(severity="warning", ttf_days=20, cold=8), P3),  # 1 + 1 + 1
    (dict(severity="warning", ttf_days=90, cold=20), P4),
    (dict(ttf_days=None, cold=None), P2),  # unknown failure time and weather: 2 + 1 + 1
    (dict(tripped=True, cold=18), P2),  # stopped in summer: 2 + 3 + 0
    (dict(tripped=True, cold=-3), P1),
    (dict(severity="info", heating=False, cold=-20), P3),  # a sensor: at most P3
    (dict(severity="critical", heating=False, cold=-20), P3),
    (dict(severity="info", heating=False, cold=15), P4),
])
def test_priority_levels(facts, level):
    assert _p(**facts).level == level, _p(**facts).reason


def test_urgency_only_grows_with_cold_nearness_and_severity():
    for sev in ("info", "warning", "critical"):
        for ttf in (0.5, 5, 20, 60):
            levels = [_p(sev, ttf, c).level for c in (25, 10, -5, -20)]
            assert levels == sorted(levels, reverse=True), (sev, ttf, levels)
    for c in (-20, 5, 20):
        levels = [_p("critical", ttf, c).level for ttf in (60, 20, 5, 0.5)]
        assert levels == sorted(levels, reverse=True)


def test_the_cold_that_counts_is_around_the_predicted_failure():
    assert cold_window(JANUARY, JANUARY + 30 * DAY, False) == (JANUARY + 27 * DAY, JANUARY + 33 * DAY)
    assert cold_window(JANUARY, JANUARY + DAY, False) == (JANUARY, JANUARY + 4 * DAY)
    assert cold_window(JANUARY, None, False) == (JANUARY, JANUARY + 7 * DAY)
    assert cold_window(JANUARY, JANUARY - DAY, True) == (JANUARY, JANUARY + 3 * DAY)


def test_normals_know_january_from_may_north_from_south_and_the_hemispheres():
    assert normal_temperature(51.3, date(2025, 1, 15)) < 3 < 12 < normal_temperature(51.3, date(2025, 5, 15))
    assert normal_temperature(59.9, date(2025, 1, 15)) < normal_temperature(45.5, date(2025, 1, 15)) - 5
    assert normal_temperature(-45.5, date(2025, 7, 15)) == pytest.approx(normal_temperature(45.5, date(2025, 1, 15)),
                                                                         abs=0.5)
    with pytest.raises(ValueError):
        normal_temperature(91, date(2025, 1, 1))


# ---- Open-Meteo's API, served locally --------------------------------------------------------------

class _StandIn(BaseHTTPRequestHandler):
    """Answers /v1/forecast as Open-Meteo does; the test sets what it says."""

    answer: tuple[int, bytes] = (200, b"{}")
    asked: list[dict[str, list[str]]] = []

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        url = urlparse(self.path)
        type(self).asked.append({"path": [url.path], **parse_qs(url.query)})
        code, body = type(self).answer
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def stand_in():
    """A local stand-in for api.open-meteo.com on a free port."""
    handler = type("Handler", (_StandIn,), {"asked": [], "answer": (200, b"{}")})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield handler, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _forecast_body(first: date, lows: list[float | None], highs: list[float | None]) -> bytes:
    days = [(first + timedelta(days=i)).isoformat() for i in range(len(lows))]
    return json.dumps({"latitude": 51.3, "longitude": 9.5, "timezone": "UTC",
                       "daily_units": {"time": "iso8601", "temperature_2m_min": "°C", "temperature_2m_max": "°C"},
                       "daily": {"time": days, "temperature_2m_min": lows, "temperature_2m_max": highs}}).encode()


def test_the_open_meteo_client_asks_for_daily_extremes_and_reads_them(stand_in):
    handler, url = stand_in
    handler.answer = (200, _forecast_body(date(2025, 1, 10), [-12.0, -15.5, None], [-4.0, -7.5, None]))
    days = OpenMeteo(base_url=url, timeout=5).daily(51.3, 9.5)
    assert days == [DailyTemperature(date(2025, 1, 10), -12.0, -4.0), DailyTemperature(date(2025, 1, 11), -15.5, -7.5)]
    assert days[1].t_mean == -11.5
    [asked] = handler.asked
    assert asked["path"] == ["/v1/forecast"]
    assert (asked["latitude"], asked["longitude"]) == (["51.3000"], ["9.5000"])
    assert asked["daily"] == ["temperature_2m_min,temperature_2m_max"] and asked["timezone"] == ["UTC"]


@pytest.mark.parametrize("answer, retry, words", [
    ((503, b"busy"), True, "HTTP 503"),
    ((429, b"slow down"), True, "HTTP 429"),
    ((400, b'{"error": true, "reason": "Latitude must be in range"}'), False, "HTTP 400"),
    ((200, b"<html>"), False, "not a daily forecast"),
    ((200, b'{"daily": {"time": ["2025-01-10"], "temperature_2m_min": [1], "temperature_2m_max": []}}'), False,
     "one length"),
    ((200, b'{"daily": {"time": ["2025-01-10"], "temperature_2m_min": [5], "temperature_2m_max": [-5]}}'), False,
     "plausible"),
])
def test_the_open_meteo_client_says_what_went_wrong(stand_in, answer, retry, words):
    handler, url = stand_in
    handler.answer = answer
    with pytest.raises(ForecastError, match=words) as err:
        OpenMeteo(base_url=url, timeout=5).daily(51.3, 9.5)
    assert err.value.retry is retry


def test_an_unreachable_service_is_a_forecast_error_to_retry():
    with pytest.raises(ForecastError, match="cannot reach") as err:
        OpenMeteo(base_url="http://127.0.0.1:9", timeout=2).daily(51.3, 9.5)
    assert err.value.retry


# ---- the cold ahead and the priority it gives ---------------------------------------------------------

def _leak_priority(db, clock: Clock, failure_in: timedelta, device: str = "hp-001") -> int:
    ingest = Ingest(db, clock=clock, incidents=Incidents())
    assert ingest.handle(*message(event("fault", at=clock.now, failure_in=failure_in, device=device))).accepted
    [ticket] = tickets_of(db, device)
    return ticket.priority


def test_a_forecast_cold_spell_makes_a_leak_p1_where_may_makes_it_p2(db, stand_in):
    handler, url = stand_in
    site = place_devices(db, "hp-001", "hp-002")
    handler.answer = (200, _forecast_body(JANUARY.date(), [-19.0] * 7, [-11.0] * 7))
    report = refresh_forecasts(db, OpenMeteo(base_url=url, timeout=5), JANUARY)
    assert (report.fetched, report.failed) == (1, 0)
    with db.transaction() as s:
        assert s.get(SiteForecast, site).source == "open-meteo"
    assert refresh_forecasts(db, OpenMeteo(base_url=url), JANUARY + timedelta(hours=1)).fetched == 0  # fresh
    assert _leak_priority(db, Clock(JANUARY), 3 * DAY) == P1
    with db.transaction() as s:
        assert s.get(Device, "hp-001").site_id == site
    [incident] = incidents(db)
    assert (incident.cold_ahead_c, incident.cold_source) == (-15.0, "forecast")
    # the same leak in May, the forecast mild: P2
    handler.answer = (200, _forecast_body(MAY.date(), [9.0] * 7, [21.0] * 7))
    assert refresh_forecasts(db, OpenMeteo(base_url=url), MAY).fetched == 1
    assert _leak_priority(db, Clock(MAY), 3 * DAY, device="hp-002") == P2


@SQLITE_ONLY
def test_a_failed_refresh_keeps_the_forecast_it_had(db, stand_in):
    handler, url = stand_in
    site = place_devices(db, "hp-001")
    handler.answer = (200, _forecast_body(JANUARY.date(), [-9.0] * 3, [-3.0] * 3))
    refresh_forecasts(db, OpenMeteo(base_url=url), JANUARY)
    handler.answer = (500, b"down")
    report = refresh_forecasts(db, OpenMeteo(base_url=url), JANUARY + timedelta(hours=7))
    assert report.failed == 1 and "HTTP 500" in report.errors[0]
    with db.transaction() as s:
        assert s.get(SiteForecast, site).fetched_at == JANUARY


@SQLITE_ONLY
def test_without_a_forecast_the_normals_and_recent_readings_decide(db):
    site = place_devices(db, "hp-001", "hp-002")
    place_devices(db, "hp-009", location=None)
    outlook = Outlook()
    with db.transaction() as s:
        device = s.get(Device, "hp-001")
        january = outlook.cold_ahead(s, device, JANUARY, JANUARY, JANUARY + 3 * DAY)
        may = outlook.cold_ahead(s, device, MAY, MAY, MAY + 3 * DAY)
        nowhere = outlook.cold_ahead(s, s.get(Device, "hp-009"), JANUARY, JANUARY, JANUARY + 3 * DAY)
        # a stale forecast is not used
        s.add(SiteForecast(site_id=site, fetched_at=JANUARY - 3 * DAY, source="test",
                           days=[{"date": JANUARY.date().isoformat(), "t_min": -30.0, "t_max": -20.0}]))
        s.flush()
        stale = outlook.cold_ahead(s, device, JANUARY, JANUARY, JANUARY + 3 * DAY)
    assert january.source == "normals" and january.coldest_c == pytest.approx(1.8, abs=1.0)
    assert may.source == "normals" and may.coldest_c > 12
    assert nowhere.coldest_c is None and nowhere.source is None
    assert stale.source == "normals"


@SQLITE_ONLY
def test_the_outlook_reads_the_site_and_its_forecast_as_they_are_at_each_call(db):
    """Nothing is remembered between calls (ingest and refresh_forecasts run concurrently): a site
    assigned in this session and not yet flushed, and a forecast stored after a first call, are seen."""
    site = place_devices(db, "hp-001")
    place_devices(db, "hp-009", location=None)
    outlook = Outlook()
    window = (JANUARY, JANUARY, JANUARY + 3 * DAY)
    with db.transaction() as s:
        device = s.get(Device, "hp-009")
        nowhere = outlook.cold_ahead(s, device, *window)
        device.site = s.get(Device, "hp-001").site  # moved to a located site, not flushed
        moved = outlook.cold_ahead(s, device, *window)
        s.add(SiteForecast(site_id=site, fetched_at=JANUARY - timedelta(hours=1), source="test",
                           days=[{"date": JANUARY.date().isoformat(), "t_min": -30.0, "t_max": -20.0}]))
        forecast = outlook.cold_ahead(s, device, *window)
        s.get(SiteForecast, site).days = [{"date": JANUARY.date().isoformat(), "t_min": -10.0, "t_max": -6.0}]
        refreshed = outlook.cold_ahead(s, device, *window)
    assert (nowhere.coldest_c, nowhere.source) == (None, None)
    assert moved.source == "normals" and moved.coldest_c == round(min(
        normal_temperature(51.3, JANUARY.date() + timedelta(days=k)) for k in range(4)), 1)
    assert (forecast.coldest_c, forecast.source) == (-25.0, "forecast")
    assert refreshed.coldest_c == min(-8.0, moved.coldest_c)


@SQLITE_ONLY
def test_recent_outdoor_readings_stand_in_for_the_next_days(db):
    place_devices(db, "hp-001")
    ingest = Ingest(db, clock=Clock(JANUARY), incidents=Incidents())
    reading = event("fault", at=JANUARY - DAY, failure_in=20 * DAY)
    reading = reading.model_copy(update={"findings": [*reading.findings, reading.findings[0].model_copy(
        update={"channels": ["t_outdoor"], "expected": -12.0, "observed": -13.5})]})
    ingest.handle(*message(reading))
    with db.transaction() as s:
        soon = Outlook().cold_ahead(s, s.get(Device, "hp-001"), JANUARY, JANUARY, JANUARY + DAY)
        later = Outlook().cold_ahead(s, s.get(Device, "hp-001"), JANUARY, JANUARY + 10 * DAY, JANUARY + 12 * DAY)
    assert (soon.coldest_c, soon.source) == (-13.5, "readings")
    assert later.source == "normals"


def test_outdoor_readings_from_the_telemetry_store_are_weighted_by_readings(monkeypatch):
    """The adapter against the store's interface (heatwatch.gateway.telemetry.series.series), faked here."""
    import sys
    import types
    from dataclasses import dataclass

    from heatwatch.gateway.weather.outlook import OutdoorFromTelemetry

    @dataclass
    class Summary:
        mean: float
        n: int

    asked = []

    def series(session, device, channels, start, end, max_points=500):
        asked.append((device, channels, start, end))
        points = [types.SimpleNamespace(channels={"t_outdoor": Summary(-10.0, 30)}),
                  types.SimpleNamespace(channels={"t_outdoor": Summary(-4.0, 10)}),
                  types.SimpleNamespace(channels={})]
        return types.SimpleNamespace(points=points)

    fake = types.ModuleType("heatwatch.gateway.telemetry.series")
    fake.series = series
    monkeypatch.setitem(sys.modules, "heatwatch.gateway.telemetry.series", fake)
    mean = OutdoorFromTelemetry().recent_mean(None, "hp-001", JANUARY - 2 * DAY, JANUARY)
    assert mean == pytest.approx(-8.5)
    assert asked == [("hp-001", ["t_outdoor"], JANUARY - 2 * DAY, JANUARY)]
