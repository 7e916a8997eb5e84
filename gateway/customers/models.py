"""Tables: customers (who is told, in which language, on which channel, when not) and their sites."""

from __future__ import annotations

import re
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from heatwatch.gateway.db import Base, utcnow

# a BCP 47 language tag as the message templates are named: "de", "en", "pt-BR"
LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(35), default="en")
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")  # IANA name: quiet hours and visit windows
    # channels in order of preference ("sms", "email", ...); each should have an address below
    preferred_channels: Mapped[list[str]] = mapped_column(default=list)
    contact_addresses: Mapped[dict[str, str]] = mapped_column(default=dict)  # channel -> address
    # local times (in time_zone) between which nothing but an emergency is sent; may wrap midnight
    quiet_hours_start: Mapped[time | None]
    quiet_hours_end: Mapped[time | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    sites: Mapped[list[Site]] = relationship(back_populates="customer")

    __table_args__ = (
        CheckConstraint("(quiet_hours_start IS NULL) = (quiet_hours_end IS NULL)", name="quiet_hours_both"),
    )

    @validates("language")
    def _check_language(self, _key: str, value: str) -> str:
        if not LANGUAGE_TAG.match(value):
            raise ValueError(f"language {value!r}: a language tag such as 'de' or 'pt-BR'")
        return value

    @validates("time_zone")
    def _check_time_zone(self, _key: str, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"time zone {value!r}: an IANA name such as 'Europe/Berlin'") from None
        return value


class Site(Base):
    """Where pumps stand: the address a technician drives to, the place the weather is for."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")  # e.g. "Home", "Holiday flat"
    street: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    country: Mapped[str] = mapped_column(String(2), default="")  # ISO 3166-1 alpha-2
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="sites")

    __table_args__ = (
        CheckConstraint("(latitude IS NULL) = (longitude IS NULL)", name="location_both"),
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_range"),
    )
