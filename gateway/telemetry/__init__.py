"""Telemetry: the agents' intervals kept for charts and a ticket's evidence, and exported.

- ``store.py``: an accepted interval into the embedded store (the gateway's
  own database, table ``telemetry_intervals``, models.py), inside ingest's
  transaction; ``sink.py`` is what ingest calls.
- ``retention.py`` and ``compaction.py``: full resolution for the newest
  days, then hourly, then daily rows, then nothing; ``compact(db, now,
  policy)`` run periodically by every worker.
- ``series.py``: ``series(session, device, channels, start, end,
  max_points)`` and ``latest(session, device)`` for the API.
- ``influx.py``: the full history to an InfluxDB v2 write API, batched and
  retried on a thread of its own, behind a bounded queue.
- ``stats.py``: a channel's mean/min/max/n and how summaries merge.
"""
