"""Prometheus metrics of one gateway process, served at /metrics.

- HTTP: requests by method, route template (``/tickets/{ticket_id}``, never
  the raw path: one series per route, not per id) and status; latency by
  method and route.
- Ingest: what the subscriber accepted per stream and refused per reason
  (ingest/counters.py), read at each scrape.
- Webhooks: deliveries made, attempts failed, deliveries given up (this
  process's worker), and the queue in the database by state.

Each app has its own registry (not prometheus-client's global one), so
several apps in one process (the tests) do not collide. One process, one
/metrics: several gateway workers are several scrape targets.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)
disable_created_metrics()  # no *_created series beside every counter: they only double what is scraped

# ingest counter keys that are totals of their own (the others are accepted.<stream>, refused.<reason>)
INGEST_TOTALS = ("late", "renumbered", "seq_reused", "gaps", "seqs_missing", "database_errors")
_NAME = re.compile(r"[^a-zA-Z0-9_]")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})  # others: "other"


class CountersCollector(Collector):
    """Counts kept as ``group.label`` keys (``refused.duplicate``) exposed as one counter family per
    group with the label ``label_name``; plain keys become a family each. Families listed up
    front are exposed at 0 before anything happened, so dashboards and alerts see them."""

    def __init__(self, prefix: str, snapshot: Callable[[], Mapping[str, int]], labelled: Mapping[str, str],
                 totals: Iterable[str] = ()) -> None:
        self.prefix = prefix
        self.snapshot = snapshot
        self.labelled = dict(labelled)  # group -> label name
        self.totals = tuple(totals)

    def collect(self) -> Iterable[Metric]:
        counts = self.snapshot()
        families = {group: CounterMetricFamily(f"{self.prefix}_{group}", f"{self.prefix} {group}, by {label}",
                                               labels=[label]) for group, label in self.labelled.items()}
        plain = {key: 0 for key in self.totals}
        for key, n in counts.items():
            group, _, label = key.partition(".")
            if label and group in families:
                families[group].add_metric([label], n)
            elif not label:
                plain[key] = n
        yield from families.values()
        for key, n in plain.items():
            family = CounterMetricFamily(f"{self.prefix}_{_NAME.sub('_', key)}", f"{self.prefix}: {key}")
            family.add_metric([], n)
            yield family


class GaugeCollector(Collector):
    """A gauge read at each scrape (e.g. the webhook queue by state, from the database); a failing
    read leaves the gauge out of that scrape instead of failing the scrape."""

    def __init__(self, name: str, documentation: str, label: str, read: Callable[[], Mapping[str, float]]) -> None:
        self.name, self.documentation, self.label, self.read = name, documentation, label, read

    def collect(self) -> Iterable[Metric]:
        try:
            values = self.read()
        except Exception as exc:  # noqa: BLE001 - a scrape must not fail for one gauge
            log.warning("metrics: %s not read: %s", self.name, str(exc).splitlines()[0] if str(exc) else exc)
            return
        family = GaugeMetricFamily(self.name, self.documentation, labels=[self.label])
        for label, value in values.items():
            family.add_metric([label], value)
        yield family


class GatewayMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("heatwatch_http_requests", "HTTP requests by method, route and status",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("heatwatch_http_request_duration_seconds", "HTTP request latency by route",
                                 ["method", "route"], registry=self.registry,
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))

    def add(self, collector: Collector) -> None:
        self.registry.register(collector)

    def exposition(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class RequestMetrics:
    """ASGI middleware: counts and times every HTTP request by its route template."""

    def __init__(self, app: ASGIApp, metrics: GatewayMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets if the app fails before answering

        async def send_counted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_counted)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope["method"] if scope["method"] in _METHODS else "other"
            self.metrics.requests.labels(method, template, str(status)).inc()
            self.metrics.latency.labels(method, template).observe(time.perf_counter() - started)
