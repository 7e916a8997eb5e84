"""Open-Meteo's JSON forecast API as a ForecastProvider (no key needed; urllib, no extra dependency).

``GET {base_url}/v1/forecast?latitude=..&longitude=..&daily=temperature_2m_min,temperature_2m_max
&timezone=UTC&forecast_days=16`` answers ``{"daily": {"time": ["2025-01-10", ...],
"temperature_2m_min": [...], "temperature_2m_max": [...]}}``. Days with a null
value (beyond a model's range) are left out. Open-Meteo's free tier is for
non-commercial use; a fleet points ``base_url`` at its paid endpoint or at a
self-hosted Open-Meteo server (the same API).
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import date

from heatwatch.gateway.weather.provider import DailyTemperature, ForecastError

DEFAULT_BASE_URL = "https://api.open-meteo.com"
MAX_BODY_BYTES = 1024 * 1024


@dataclass
class OpenMeteo:
    base_url: str = DEFAULT_BASE_URL
    forecast_days: int = 16  # Open-Meteo's longest
    timeout: float = 10.0
    name: str = "open-meteo"

    def url(self, latitude: float, longitude: float) -> str:
        query = urllib.parse.urlencode({
            "latitude": f"{latitude:.4f}", "longitude": f"{longitude:.4f}",
            "daily": "temperature_2m_min,temperature_2m_max", "timezone": "UTC",
            "forecast_days": self.forecast_days,
        })
        return f"{self.base_url.rstrip('/')}/v1/forecast?{query}"

    def daily(self, latitude: float, longitude: float) -> list[DailyTemperature]:
        url = self.url(latitude, longitude)
        request = urllib.request.Request(url, headers={"Accept": "application/json",
                                                       "User-Agent": "heatwatch-gateway"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read(MAX_BODY_BYTES + 1)
        except urllib.error.HTTPError as exc:
            # 4xx: our request is wrong (asking again will not help); 5xx and 429: later
            raise ForecastError(f"{self.name}: HTTP {exc.code} for {url}",
                                retry=exc.code >= 500 or exc.code == 429) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise ForecastError(f"{self.name}: cannot reach {self.base_url} ({exc})") from None
        if len(body) > MAX_BODY_BYTES:
            raise ForecastError(f"{self.name}: answer larger than {MAX_BODY_BYTES} bytes", retry=False)
        return parse_daily(body, self.name)


def parse_daily(body: bytes, name: str = "open-meteo") -> list[DailyTemperature]:
    try:
        daily = json.loads(body)["daily"]
        days, lows, highs = daily["time"], daily["temperature_2m_min"], daily["temperature_2m_max"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ForecastError(f"{name}: not a daily forecast ({type(exc).__name__}: {exc})", retry=False) from None
    if not (isinstance(days, list) and isinstance(lows, list) and isinstance(highs, list)
            and len(days) == len(lows) == len(highs)):
        raise ForecastError(f"{name}: daily time/min/max are not lists of one length", retry=False)
    out = []
    for day, low, high in zip(days, lows, highs):
        if low is None or high is None:
            continue
        try:
            entry = DailyTemperature(date.fromisoformat(day), float(low), float(high))
        except (TypeError, ValueError):
            raise ForecastError(f"{name}: day {day!r}: {low!r}/{high!r} is not a date with two numbers",
                                retry=False) from None
        if not (math.isfinite(entry.t_min) and math.isfinite(entry.t_max) and -90 < entry.t_min <= entry.t_max < 70):
            raise ForecastError(f"{name}: day {day}: {low}/{high} °C is not a plausible minimum/maximum",
                                retry=False)
        out.append(entry)
    return out
