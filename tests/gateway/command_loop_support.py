"""The gateway's two halves that talk with agents, running on a test broker: ingest and the command sender."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from heatwatch.gateway.commands.sender import CommandSender, SendPolicy
from heatwatch.gateway.db import Database
from heatwatch.gateway.ingest.service import Ingest
from heatwatch.gateway.ingest.subscriber import Subscriber
from heatwatch.gateway.settings import BrokerSettings

# re-send after 2 s, at most 3 times: a test sees a retry within seconds
QUICK_RETRIES = SendPolicy(max_attempts=3, first_retry_seconds=2.0, max_retry_seconds=4.0, timeout_seconds=5.0)


@contextmanager
def ingest_and_sender(broker_url: str, db: Database, client_id: str) -> Iterator[tuple[Ingest, CommandSender]]:
    """Ingest on a plain subscription and a command sender polling every 0.1 s, both connected."""
    settings = BrokerSettings(url=broker_url, client_id=client_id, shared_group="")
    ingest = Ingest(db)
    subscriber = Subscriber(settings, ingest).start()
    sender = CommandSender(db, settings, QUICK_RETRIES, poll_seconds=0.1).start()
    try:
        assert subscriber.subscribed.wait(10) and sender.wait_connected(10)
        yield ingest, sender
    finally:
        sender.stop()
        subscriber.stop()
