"""The device's row in the gateway's registry: made by provisioning, kept by a rotation.

The gateway keeps no broker password (the broker's password file holds its
hash); the row is what ingest checks a message's device against.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from heatwatch.gateway.customers.models import Site
from heatwatch.gateway.devices.models import Device


class ProvisionError(ValueError):
    """Provisioning cannot go on; the message says why and what to do instead."""


@dataclass(frozen=True)
class DeviceSpec:
    id: str
    site_id: int
    model: str = ""
    refrigerant: str = "R32"
    emitters: str | None = None  # fleet_prior.EMITTERS; None: not known
    register_map: str = "heatwatch_generic"
    nickname: str = ""
    install_date: date | None = None


def register_device(session: Session, spec: DeviceSpec) -> Device:
    """A new device at an existing site; a device id already taken is refused (even by a
    provisioning that committed a moment ago: the primary key decides)."""
    existing = session.get(Device, spec.id)
    if existing is not None:
        raise _taken(spec.id, existing)
    if session.get(Site, spec.site_id) is None:
        raise ProvisionError(f"site {spec.site_id} does not exist (the device's site must be registered first)")
    device = Device(id=spec.id, site_id=spec.site_id, model=spec.model, refrigerant=spec.refrigerant,
                    emitters=spec.emitters, register_map=spec.register_map, nickname=spec.nickname,
                    install_date=spec.install_date)
    session.add(device)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise _taken(spec.id, None) from None
    return device


def device_to_rotate(session: Session, device_id: str) -> Device:
    device = session.get(Device, device_id)
    if device is None:
        raise ProvisionError(f"device {device_id} is not provisioned; to provision it, leave out --rotate "
                             "and give its --site")
    return device


def _taken(device_id: str, device: Device | None) -> ProvisionError:
    when = f" (provisioned {device.created_at:%Y-%m-%d})" if device is not None else ""
    return ProvisionError(f"device {device_id} already exists{when}; to give it new credentials: "
                          f"heatwatch provision {device_id} --rotate")
