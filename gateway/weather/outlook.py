"""The cold ahead of a device's site: the coldest daily mean expected in a window of days.

Each day of the window takes the best estimate there is, in this order:

1. the site's stored forecast (``site_forecasts``, fetched by ``refresh_forecasts``
   at most ``FORECAST_MAX_AGE`` ago), for the days it covers;
2. the device's recent outdoor readings (their mean over the last
   ``READINGS_LOOKBACK``: t_outdoor from the telemetry store, else from
   events' findings), for the first ``READINGS_HORIZON`` days from now:
   tomorrow is most likely like today;
3. the monthly climate normal at the site's latitude (normals.py).

A device with no site, or a site with no location and no readings, has no
cold ahead (None); the priority then counts it as unknown. Judging urgency
reads the database only: the network is asked by ``refresh_forecasts``, a
periodic job, never inside ingest's transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from heatwatch.gateway.customers.models import Site
from heatwatch.gateway.db import Database, utcnow
from heatwatch.gateway.devices.models import Device
from heatwatch.gateway.ingest.models import ProcessedEvent
from heatwatch.gateway.weather.models import SiteForecast
from heatwatch.gateway.weather.normals import normal_temperature
from heatwatch.gateway.weather.provider import DailyTemperature, ForecastError, ForecastProvider

log = logging.getLogger(__name__)

FORECAST_MAX_AGE = timedelta(hours=24)  # an older forecast is not used
FORECAST_REFRESH_AFTER = timedelta(hours=6)  # refresh_forecasts asks again after this
READINGS_LOOKBACK = timedelta(days=2)
READINGS_HORIZON = timedelta(days=3)
MAX_WINDOW = timedelta(days=60)  # a window is cut to this many days (the normals change slowly)


@dataclass(frozen=True)
class ColdAhead:
    coldest_c: float | None  # the coldest expected daily mean in the window, °C
    source: str | None  # forecast | readings | normals: where the coldest day's estimate came from


class OutdoorReadings(Protocol):
    """Where a device's recent outdoor temperatures are (the telemetry store, or events' findings)."""

    def recent_mean(self, session: Session, device_id: str, since: datetime, until: datetime) -> float | None:
        ...


class OutdoorFromTelemetry:
    """t_outdoor from the embedded telemetry store (heatwatch.gateway.telemetry.series), when the
    gateway has one: the readings' mean, weighted by how many readings each point holds."""

    MAX_POINTS = 48

    def recent_mean(self, session: Session, device_id: str, since: datetime, until: datetime) -> float | None:
        try:
            from heatwatch.gateway.telemetry.series import series
        except ImportError:  # a gateway without the embedded store
            return None
        points = series(session, device_id, ["t_outdoor"], since, until, max_points=self.MAX_POINTS).points
        weighted = [(c.mean, c.n) for p in points if (c := p.channels.get("t_outdoor")) is not None and c.n > 0]
        total = sum(n for _, n in weighted)
        return sum(mean * n for mean, n in weighted) / total if total else None


_EVENTS_QUERIES: dict[int, Select] = {}


class OutdoorFromEvents:
    """t_outdoor from the device's recent events: a finding on t_outdoor alone with an expected
    and an observed value carries a reading (a sensor-drift finding's observed is an offset and
    has no expected value, so it is not taken)."""

    MAX_EVENTS = 200

    def _query(self) -> Select:
        """The statement, built once per class and limit (it is asked on every event judged)."""
        q = _EVENTS_QUERIES.get(self.MAX_EVENTS)
        if q is None:
            q = _EVENTS_QUERIES[self.MAX_EVENTS] = (
                select(ProcessedEvent.payload)
                .where(ProcessedEvent.device_id == bindparam("device"), ProcessedEvent.ts >= bindparam("since"),
                       ProcessedEvent.ts <= bindparam("until"))
                .order_by(ProcessedEvent.ts.desc()).limit(self.MAX_EVENTS))
        return q

    def recent_mean(self, session: Session, device_id: str, since: datetime, until: datetime) -> float | None:
        payloads = session.scalars(self._query(), {"device": device_id, "since": since, "until": until})
        values = [f["observed"] for p in payloads for f in p.get("findings") or []
                  if f.get("channels") == ["t_outdoor"] and isinstance(f.get("expected"), (int, float))
                  and isinstance(f.get("observed"), (int, float))]
        return sum(values) / len(values) if values else None


# The device's site and its stored forecast in one read, with the statement built once: judging a
# ticket asks this on every event, and loading the Site and SiteForecast objects (two queries) and
# building the statement cost more than the read. Through the devices row, so a site assigned in
# this session and not yet flushed is seen after the autoflush, as ``device.site`` would see it.
_PLACE = (select(Site.latitude, SiteForecast.fetched_at, SiteForecast.days)
          .select_from(Device).join(Site, Site.id == Device.site_id)
          .outerjoin(SiteForecast, SiteForecast.site_id == Site.id)
          .where(Device.id == bindparam("device")))


@dataclass
class Outlook:
    """Estimates the cold ahead from what the database holds; one per worker, stateless."""

    readings: list[OutdoorReadings] = field(default_factory=lambda: [OutdoorFromTelemetry(), OutdoorFromEvents()])
    forecast_max_age: timedelta = FORECAST_MAX_AGE

    def cold_ahead(self, session: Session, device: Device, now: datetime, start: datetime,
                   end: datetime) -> ColdAhead:
        end = min(end, start + MAX_WINDOW)
        days = list(_days(start.date(), end.date()))
        place = session.execute(_PLACE, {"device": device.id}).one_or_none()
        latitude = place.latitude if place is not None else None
        estimates: dict[date, tuple[float, str]] = {}
        if place is not None and place.fetched_at is not None and now - place.fetched_at <= self.forecast_max_age:
            for entry in map(DailyTemperature.from_json, place.days):
                estimates.setdefault(entry.day, (entry.t_mean, "forecast"))
        missing_soon = [d for d in days if d not in estimates and d <= (now + READINGS_HORIZON).date()]
        if missing_soon:
            recent = self._recent(session, device.id, now)
            if recent is not None:
                for d in missing_soon:
                    estimates[d] = (recent, "readings")
        if latitude is not None:
            for d in days:
                if d not in estimates:
                    estimates[d] = (normal_temperature(latitude, d), "normals")
        known = [estimates[d] for d in days if d in estimates]
        if not known:
            return ColdAhead(None, None)
        coldest, source = min(known, key=lambda e: e[0])
        return ColdAhead(round(coldest, 1), source)

    def _recent(self, session: Session, device_id: str, now: datetime) -> float | None:
        for source in self.readings:
            value = source.recent_mean(session, device_id, now - READINGS_LOOKBACK, now)
            if value is not None:
                return value
        return None


def _days(first: date, last: date) -> Iterable[date]:
    d = first
    while d <= last:
        yield d
        d += timedelta(days=1)


# ---- fetching forecasts (a periodic job) ----------------------------------------------------

@dataclass
class RefreshReport:
    fetched: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def sites_needing_forecast(session: Session, now: datetime, site_ids: Iterable[int] | None = None,
                           refresh_after: timedelta = FORECAST_REFRESH_AFTER) -> list[tuple[int, float, float]]:
    """(site id, latitude, longitude) of located sites whose forecast is missing or older than
    ``refresh_after``; ``site_ids`` narrows the search (e.g. sites with an open incident)."""
    q = (select(Site.id, Site.latitude, Site.longitude, SiteForecast.fetched_at)
         .outerjoin(SiteForecast, SiteForecast.site_id == Site.id).where(Site.latitude.is_not(None)))
    if site_ids is not None:
        q = q.where(Site.id.in_(list(site_ids)))
    return [(r.id, r.latitude, r.longitude) for r in session.execute(q.order_by(Site.id))
            if r.fetched_at is None or now - r.fetched_at >= refresh_after]


def store_forecast(session: Session, site_id: int, days: list[DailyTemperature], source: str,
                   now: datetime) -> SiteForecast:
    row = session.get(SiteForecast, site_id)
    doc = [d.as_json() for d in days]
    if row is None:
        row = SiteForecast(site_id=site_id, fetched_at=now, source=source, days=doc)
        session.add(row)
    else:
        row.fetched_at, row.source, row.days = now, source, doc
    return row


def refresh_forecasts(db: Database, provider: ForecastProvider, now: datetime | None = None,
                      site_ids: Iterable[int] | None = None) -> RefreshReport:
    """Fetch and store forecasts for the sites that need one. The network is asked outside any
    transaction; each forecast is stored in a short one of its own. A failure is counted and
    logged, and the site keeps the forecast it had."""
    now = now or utcnow()
    with db.transaction() as s:
        due = sites_needing_forecast(s, now, site_ids)
    report = RefreshReport()
    for site_id, lat, lon in due:
        try:
            days = provider.daily(lat, lon)
        except ForecastError as exc:
            report.failed += 1
            report.errors.append(str(exc))
            log.warning("forecast for site %d: %s", site_id, exc)
            continue
        with db.transaction() as s:
            store_forecast(s, site_id, days, provider.name, now)
        report.fetched += 1
    return report
