"""Table: the latest forecast fetched for each site.

The forecast is fetched out of band (``outlook.refresh_forecasts``, a periodic
job) and kept here, so judging an incident's urgency inside ingest's
transaction never waits on the network, and every worker sees the same
forecast.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from heatwatch.gateway.db import Base, JSONDocument


class SiteForecast(Base):
    __tablename__ = "site_forecasts"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True)
    fetched_at: Mapped[datetime]  # the gateway's clock
    source: Mapped[str] = mapped_column(String(64))  # the provider's name, e.g. open-meteo
    # one entry per day: {"date": "2025-01-10", "t_min": -8.1, "t_max": -2.3} (°C, days in UTC)
    days: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument)
