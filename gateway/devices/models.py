"""Table: devices, one edge agent and the pump it watches.

The device id is the one on the wire (``heatwatch/v1/{device}/...``), so it is
the primary key: ingest checks a message's device with one index lookup, and
every bookkeeping row refers to it directly. Where the agent stands in each of
its sequences is in ingest's ``stream_positions`` (one row per stream).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from heatwatch.contract import DEVICE_ID_PATTERN
from heatwatch.gateway.customers.models import Site
from heatwatch.fleet_prior import EMITTERS
from heatwatch.gateway.db import Base, utcnow

_DEVICE_ID = re.compile(DEVICE_ID_PATTERN)


class Device(Base):
    __tablename__ = "devices"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the contract's DEVICE_ID_PATTERN
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True)  # None: provisioned, not placed
    model: Mapped[str] = mapped_column(String(100), default="")  # the pump's make and model
    refrigerant: Mapped[str] = mapped_column(String(16), default="R32")
    # the house's heat emitters (fleet_prior.EMITTERS): they set the flow temperature, so the pump's
    # operating point; its fleet prior is of pumps with the same. None: not known
    emitters: Mapped[str | None] = mapped_column(String(16))
    register_map: Mapped[str] = mapped_column(String(100), default="heatwatch_generic")  # the agent reads with it
    install_date: Mapped[date | None]
    nickname: Mapped[str] = mapped_column(String(100), default="")  # what the customer calls it
    last_seen_at: Mapped[datetime | None]  # the gateway's clock when the last valid message came
    online: Mapped[bool | None]  # from the agent's retained status (last will: offline)
    last_status: Mapped[dict[str, Any] | None]  # the agent's counters from its last status message
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    site: Mapped[Site | None] = relationship()

    __table_args__ = (CheckConstraint("length(id) BETWEEN 1 AND 64", name="id_length"),
                      CheckConstraint(f"emitters IN ({', '.join(repr(e) for e in EMITTERS)})", name="emitters_known"))

    @validates("id")
    def _check_id(self, _key: str, value: str) -> str:
        if not _DEVICE_ID.fullmatch(value):  # match: "$" lets a trailing newline through
            raise ValueError(f"device id {value!r}: letters, digits, '_', '.', '-' only, at most 64")
        return value

    @validates("emitters")
    def _check_emitters(self, _key: str, value: str | None) -> str | None:
        if value is not None and value not in EMITTERS:
            raise ValueError(f"emitters {value!r}: one of {', '.join(EMITTERS)} (or none: not known)")
        return value
