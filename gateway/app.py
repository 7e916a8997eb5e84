"""The gateway's HTTP side: ``create_app(settings)`` puts the API together.

The lifespan opens the database and starts what runs beside the API in the
same process: the MQTT ingest subscriber (gateway/ingest/subscriber.py) and,
with it, the command sender (gateway/commands/sender.py), the webhook delivery
worker (gateway/webhooks/delivery.py) and the periodic jobs
(gateway/background.py: incident sweeps, telemetry compaction); it stops them
in the reverse order. ``heatwatch gateway run`` serves the app with uvicorn.

OpenAPI: /docs (Swagger UI), /redoc, /openapi.json.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version

from fastapi import FastAPI

from heatwatch.gateway import board, status_page
from heatwatch.gateway.api import errors, health
from heatwatch.gateway.commands.sender import CommandSender, SendPolicy, commands_by_state
from heatwatch.gateway.customers import router as customers
from heatwatch.gateway.customers import site_router as sites
from heatwatch.gateway.db import Database
from heatwatch.gateway.devices import router as devices
from heatwatch.gateway.fleet import router as fleet
from heatwatch.gateway.devices.telemetry_query import TelemetryReader
from heatwatch.gateway.incidents import router as incidents
from heatwatch.gateway.ingest.counters import IngestCounters
from heatwatch.gateway.kpis import router as kpis
from heatwatch.gateway.metrics import INGEST_TOTALS, CountersCollector, GatewayMetrics, GaugeCollector, RequestMetrics
from heatwatch.gateway.notifications import outbox as notification_outbox
from heatwatch.gateway.notifications.delivery import COUNTER_NAMES, NotificationWorker
from heatwatch.gateway.settings import GatewaySettings
from heatwatch.gateway.tickets import actions_router as ticket_actions
from heatwatch.gateway.tickets import router as tickets
from heatwatch.gateway.users import router as users
from heatwatch.gateway.webhooks import router as webhooks
from heatwatch.gateway.webhooks.delivery import DeliveryWorker, RetryPolicy, queue_by_state

log = logging.getLogger(__name__)

DESCRIPTION = """\
The heatwatch gateway: the devices and customers it watches, the incidents the agents' events
open, the tickets a dispatcher works from, and webhooks for field-service systems.

Every call but /healthz and /metrics needs a bearer token (`heatwatch gateway user add NAME
--role ROLE` makes one). Roles: **admin** (everything), **dispatcher** (customers, sites,
devices, tickets), **technician** (reads everything; works their own tickets), **customer** (reads their own sites,
devices, incidents and tickets; another customer's rows answer 404, as rows that do not exist).
Lists are paged with `limit` and the `next_cursor` of the previous page.
"""

TAGS = [
    {"name": "tickets", "description": "The work: most urgent first (priority, then the SLA deadline)."},
    {"name": "incidents", "description": "One problem of one device, kept from the agents' events."},
    {"name": "devices", "description": "Edge agents and their pumps; their telemetry."},
    {"name": "customers", "description": "Who is told, in which language, on which channel."},
    {"name": "sites", "description": "Where the pumps stand."},
    {"name": "webhooks", "description": "Ticket changes POSTed to external systems, signed (admin only)."},
    {"name": "users", "description": "Who the token belongs to."},
    {"name": "operations", "description": "Health and Prometheus metrics (no token)."},
]


def _version() -> str:
    try:
        return version("heatwatch")
    except PackageNotFoundError:
        return "0"


def create_app(settings: GatewaySettings, *, db: Database | None = None, ingest: bool = True,
               webhooks_worker: bool = True, worker: str = "1", telemetry: TelemetryReader | None = None,
               retry_policy: RetryPolicy | None = None, webhook_poll_seconds: float = 1.0,
               background: bool = True, notifications_worker: bool = True,
               command_poll_seconds: float = 1.0) -> FastAPI:
    """The gateway's API. ``db``: use this database (the caller closes it) instead of opening one
    from ``settings``; ``ingest``/``webhooks_worker``: run the MQTT subscriber and the delivery
    worker in this process; ``worker``: this process's name among the gateway's workers (its MQTT
    client id suffix); ``background``: run the incident sweeps and telemetry compaction here;
    ``telemetry``: the store the telemetry route reads (None: that route is 501)."""
    metrics = GatewayMetrics()
    ingest_counters = IngestCounters()
    webhook_counters = IngestCounters()
    notification_counters = IngestCounters()
    command_counters = IngestCounters()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = db or Database.from_settings(settings.database)
        app.state.db = database
        subscriber = delivery = jobs = sink = notifier = sender = None
        try:
            if background:
                from heatwatch.gateway.background import BackgroundJobs

                jobs = BackgroundJobs.start(database, settings)
            if notifications_worker and settings.notifications.channels:  # no channel configured: messages wait
                notifier = NotificationWorker(database, settings.notifications, counters=notification_counters).start()
            if webhooks_worker:
                delivery = DeliveryWorker(database, retry_policy or RetryPolicy.from_settings(settings.webhooks),
                                          poll_seconds=webhook_poll_seconds, counters=webhook_counters).start()
            if ingest:
                from heatwatch.gateway.ingest.service import Ingest  # paho and the subscriber: only when ingesting
                from heatwatch.gateway.ingest.subscriber import Subscriber
                from heatwatch.gateway.incidents.service import Incidents
                from heatwatch.gateway.telemetry.sink import TelemetrySink

                # events become incidents and tickets (with the SLA of gateway.toml); telemetry goes
                # to the embedded store and, when configured, to InfluxDB
                sink = TelemetrySink.from_settings(settings.telemetry, ingest_counters)
                ingestor = Ingest(database, ingest_counters, incidents=Incidents.from_settings(settings),
                                  telemetry=sink)
                subscriber = Subscriber(settings.broker, ingestor, worker=worker).start()
                # commands to the agents go over the same broker; their answers come in through ingest
                sender = CommandSender(database, settings.broker, SendPolicy.from_settings(settings.commands),
                                       worker=worker, poll_seconds=command_poll_seconds,
                                       counters=command_counters).start()
            app.state.subscriber, app.state.webhook_worker, app.state.background = subscriber, delivery, jobs
            app.state.notification_worker = notifier
            app.state.command_sender = sender
            yield
        finally:
            if sender is not None:
                sender.stop()
            if subscriber is not None:
                subscriber.stop()
            if sink is not None:  # what is queued for InfluxDB is written before the worker ends
                sink.close()
            if jobs is not None:
                jobs.stop()
            if delivery is not None:
                delivery.stop()
            if notifier is not None:
                notifier.stop()
            if db is None:
                database.close()

    app = FastAPI(title="heatwatch gateway", version=_version(), description=DESCRIPTION, openapi_tags=TAGS,
                  lifespan=lifespan)
    app.state.settings = settings
    app.state.db = db  # given: usable before (and without) the lifespan; otherwise opened by it
    app.state.metrics = metrics
    if telemetry is None:  # the embedded store's read side answers the telemetry route
        from heatwatch.gateway.telemetry import series as embedded_series

        telemetry = embedded_series
    app.state.telemetry = telemetry
    app.state.ingest_counters, app.state.webhook_counters = ingest_counters, webhook_counters
    app.state.subscriber = app.state.webhook_worker = app.state.background = app.state.command_sender = None
    metrics.add(CountersCollector("heatwatch_ingest", ingest_counters.snapshot,
                                  {"accepted": "stream", "refused": "reason"}, INGEST_TOTALS))
    metrics.add(CountersCollector("heatwatch_webhook", webhook_counters.snapshot, {},
                                  ("delivered", "attempts_failed", "given_up", "worker_errors")))
    metrics.add(CountersCollector("heatwatch_command", command_counters.snapshot, {},
                                  ("sent", "publish_failed", "given_up", "worker_errors")))
    metrics.add(GaugeCollector("heatwatch_command_queue", "device commands in the database by state", "state",
                               lambda: commands_by_state(app.state.db)))
    metrics.add(GaugeCollector("heatwatch_webhook_queue", "webhook deliveries in the database by state", "state",
                               lambda: queue_by_state(app.state.db)))
    metrics.add(CountersCollector("heatwatch_periodic", lambda: app.state.background.counts()
                                  if app.state.background is not None else {}, {"runs": "job", "failures": "job"}))
    metrics.add(CountersCollector("heatwatch_notification", notification_counters.snapshot, {}, COUNTER_NAMES))
    metrics.add(CountersCollector("heatwatch_notification_outbox", notification_outbox.COUNTERS.snapshot, {},
                                  notification_outbox.COUNTER_NAMES))
    app.add_middleware(RequestMetrics, metrics=metrics)
    errors.install(app)
    for module in (tickets, ticket_actions, incidents, devices, fleet, customers, sites, webhooks, users, kpis,
                   health):
        app.include_router(module.router)
    board.install(app)  # the dispatcher board's pages under /board (gateway/board)
    status_page.install(app)  # the customer's status page under /s (gateway/status_page)
    return app
