"""The wire shapes of customers and sites (the tables are in models.py)."""

from __future__ import annotations

from datetime import datetime, time
from functools import lru_cache
from typing import Annotated, Self
from zoneinfo import available_timezones

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from heatwatch.gateway.api.types import MAX_ID, Line
from heatwatch.gateway.customers.models import LANGUAGE_TAG

ChannelName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]  # sms, email, push, ...
Language = Annotated[str, StringConstraints(pattern=LANGUAGE_TAG.pattern, max_length=35),
                     Field(description="BCP 47 tag the message templates are named by: de, en, pt-BR")]
CustomerId = Annotated[int, Field(ge=1, le=MAX_ID)]


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _zone(value: str) -> str:
    if value != "UTC" and value not in _zones():
        raise ValueError(f"time zone {value!r}: an IANA name such as 'Europe/Berlin'")
    return value


def _local_time(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError("a local time without offset: the customer's time_zone says where it is")
    return value


TimeZone = Annotated[str, StringConstraints(max_length=64), AfterValidator(_zone),
                     Field(description="IANA name: quiet hours and visit windows are local to it")]
LocalTime = Annotated[time, AfterValidator(_local_time)]
Channels = Annotated[list[ChannelName], Field(max_length=10, description="channels in order of preference")]
Addresses = Annotated[dict[ChannelName, Line(320)], Field(max_length=10, description="channel -> address")]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Country = Annotated[str, StringConstraints(pattern=r"^([A-Z]{2})?$"), Field(description="ISO 3166-1 alpha-2")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CustomerIn(_Strict):
    name: Line(200, min_length=1)
    language: Language = "en"
    time_zone: TimeZone = "UTC"
    preferred_channels: Channels = []
    contact_addresses: Addresses = {}
    quiet_hours_start: LocalTime | None = None
    quiet_hours_end: LocalTime | None = None

    @model_validator(mode="after")
    def _quiet_hours_both(self) -> Self:
        if (self.quiet_hours_start is None) != (self.quiet_hours_end is None):
            raise ValueError("quiet_hours_start and quiet_hours_end go together")
        return self


class CustomerUpdate(_Strict):
    """Only the fields sent change; a field that cannot be empty cannot be sent as null."""

    name: Line(200, min_length=1) = None  # type: ignore[assignment]
    language: Language = None  # type: ignore[assignment]
    time_zone: TimeZone = None  # type: ignore[assignment]
    preferred_channels: Channels = None  # type: ignore[assignment]
    contact_addresses: Addresses = None  # type: ignore[assignment]
    quiet_hours_start: LocalTime | None = None
    quiet_hours_end: LocalTime | None = None


class CustomerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    language: str
    time_zone: str
    preferred_channels: list[str]
    contact_addresses: dict[str, str]
    quiet_hours_start: time | None
    quiet_hours_end: time | None
    created_at: datetime


class SiteIn(_Strict):
    customer_id: CustomerId
    name: Line(200) = ""
    street: Line(200) = ""
    postal_code: Line(20) = ""
    city: Line(100) = ""
    country: Country = ""
    latitude: Latitude | None = None
    longitude: Longitude | None = None

    @model_validator(mode="after")
    def _location_both(self) -> Self:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude go together")
        return self


class SiteUpdate(_Strict):
    customer_id: CustomerId = None  # type: ignore[assignment]
    name: Line(200) = None  # type: ignore[assignment]
    street: Line(200) = None  # type: ignore[assignment]
    postal_code: Line(20) = None  # type: ignore[assignment]
    city: Line(100) = None  # type: ignore[assignment]
    country: Country = None  # type: ignore[assignment]
    latitude: Latitude | None = None
    longitude: Longitude | None = None


class SiteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    customer_id: int
    name: str
    street: str
    postal_code: str
    city: str
    country: str
    latitude: float | None
    longitude: float | None
    created_at: datetime
