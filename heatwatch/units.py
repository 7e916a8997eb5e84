"""Time units in seconds: the clock of readings, scenarios and prognoses is unix seconds."""

from __future__ import annotations

MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0
