"""Table: the latest commissioned healthy model of each device (``commissioned_models``).

An agent sends its pump's model when it has learned it (an ``agent`` event with
fault ``commissioned``); a repaired pump learned afresh sends a new one, which
replaces the old. The pump's model, refrigerant and emitters are copied from its
device row when the model arrives: the fleet it joins is the one it was
commissioned in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from heatwatch.gateway.db import Base, utcnow


class CommissionedModel(Base):
    __tablename__ = "commissioned_models"

    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True)
    model: Mapped[str] = mapped_column(String(100), default="")  # the device's make and model when it came
    refrigerant: Mapped[str] = mapped_column(String(16))
    emitters: Mapped[str | None] = mapped_column(String(16))  # the device's emitters then (None: not known)
    payload: Mapped[dict[str, Any]]  # fleet_prior.Commissioned.to_dict()
    commissioned_at: Mapped[datetime]  # the agent's time of the event
    received_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_commissioned_models_fleet", "model", "refrigerant"),)
