"""The periodic jobs of the incident logic, in one call: what changes with time and no message.

``run_sweeps`` (every minute or so, on any number of workers: each job is
safe to run concurrently) does, each in its own transaction:

1. fetch forecasts for the sites with an open incident that puts heating at
   risk (only with a forecast provider; the network is asked outside any
   transaction);
2. devices gone silent become ``device_offline`` incidents, devices back
   close theirs;
3. every open incident's priority is recomputed (the failure comes nearer,
   the forecast changed); a more urgent one escalates its ticket;
4. the SLA clock: breaches marked, reminders written.

``SweepSchedule`` runs it on a thread for ``heatwatch gateway run``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from heatwatch.faults import SENSOR_FAULTS
from heatwatch.gateway.db import Database, utcnow
from heatwatch.gateway.devices.models import Device
from heatwatch.gateway.incidents.models import DEVICE_OFFLINE, Incident, IncidentState
from heatwatch.gateway.incidents.service import Incidents, SilentSweep
from heatwatch.gateway.tickets.sla import SlaSweep, sweep_sla
from heatwatch.gateway.weather.outlook import RefreshReport, refresh_forecasts
from heatwatch.gateway.weather.provider import ForecastProvider

log = logging.getLogger(__name__)
DEFAULT_EVERY_S = 60.0
REPRIORITIZE_BATCH = 200  # incidents recomputed per transaction


@dataclass
class SweepReport:
    forecasts: RefreshReport | None = None
    silent: SilentSweep = field(default_factory=SilentSweep)
    escalated: list[int] = field(default_factory=list)  # ticket ids
    sla: SlaSweep = field(default_factory=SlaSweep)


def sites_at_risk(db: Database) -> list[int]:
    """Sites with an open incident that puts heating at risk: the ones whose weather matters now."""
    with db.transaction() as s:
        return list(s.scalars(
            select(Device.site_id).join(Incident, Incident.device_id == Device.id)
            .where(Incident.state == IncidentState.OPEN, Device.site_id.is_not(None),
                   Incident.fault.not_in([*SENSOR_FAULTS, DEVICE_OFFLINE])).distinct()))


def run_sweeps(db: Database, incidents: Incidents, now: datetime | None = None,
               forecast: ForecastProvider | None = None) -> SweepReport:
    now = now or utcnow()
    report = SweepReport()
    if forecast is not None:
        report.forecasts = refresh_forecasts(db, forecast, now, sites_at_risk(db))
    with db.transaction() as s:
        report.silent = incidents.sweep_silent_devices(s, now)
    with db.transaction() as s:
        open_ids = list(s.scalars(select(Incident.id).where(Incident.state == IncidentState.OPEN)
                                  .order_by(Incident.id)))
    for first in range(0, len(open_ids), REPRIORITIZE_BATCH):  # short transactions: ingest waits less
        with db.transaction() as s:
            report.escalated += incidents.reprioritize(s, now, open_ids[first:first + REPRIORITIZE_BATCH])
    with db.transaction() as s:
        report.sla = sweep_sla(s, now, incidents.sla)
    return report


class SweepSchedule:
    """``run_sweeps`` every ``every`` seconds on a daemon thread; an error is logged, never fatal."""

    def __init__(self, db: Database, incidents: Incidents, every: float = DEFAULT_EVERY_S,
                 forecast: ForecastProvider | None = None, clock: Callable[[], datetime] = utcnow) -> None:
        if every <= 0:
            raise ValueError("every must be > 0 seconds")
        self.db, self.incidents, self.every, self.forecast, self.clock = db, incidents, every, forecast, clock
        self.runs = 0
        self.failures = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="incident-sweeps", daemon=True)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def start(self) -> SweepSchedule:
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                run_sweeps(self.db, self.incidents, self.clock(), self.forecast)
                self.runs += 1
            except Exception:  # a database hiccup: try again next time
                self.failures += 1
                log.exception("incident sweeps failed (%d so far); next try in %.0f s", self.failures, self.every)
            self._stop.wait(self.every)
