"""The demo gateway's world: a dispatcher, and per simulated pump a customer, a site and the device.

Made through the gateway's own pieces (migrations, the provisioning
registry, the user service), as an operator's `heatwatch provision` and
`heatwatch gateway user add` would, so ingest accepts the pumps' messages and
every ticket has a customer to tell. Customers have no quiet hours: wall
time, not pump time, decides quiet hours, and a demo at 2 a.m. should still
show a message (docs/demo.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from heatwatch.gateway.customers.models import Customer, Site
from heatwatch.gateway.db import Database
from heatwatch.gateway.migrations import upgrade
from heatwatch.gateway.provision.registry import DeviceSpec, register_device
from heatwatch.gateway.users.models import Role
from heatwatch.gateway.users.service import add_user

# (first name, last name, language, time zone, city, country, latitude, longitude): the languages
# the message templates exist in (gateway/notifications/templates)
PEOPLE = [
    ("Astrid", "Lindqvist", "sv", "Europe/Stockholm", "Uppsala", "SE", 59.86, 17.64),
    ("Marco", "Bianchi", "it", "Europe/Rome", "Bolzano", "IT", 46.50, 11.35),
    ("Ingrid", "Haugen", "nb", "Europe/Oslo", "Lillehammer", "NO", 61.12, 10.47),
    ("Oliver", "Bennett", "en", "Europe/London", "York", "GB", 53.96, -1.08),
    ("Erik", "Johansson", "sv", "Europe/Stockholm", "Gävle", "SE", 60.67, 17.14),
    ("Giulia", "Russo", "it", "Europe/Rome", "Trento", "IT", 46.07, 11.12),
    ("Kari", "Nilsen", "nb", "Europe/Oslo", "Hamar", "NO", 60.79, 11.07),
    ("Emily", "Carter", "en", "Europe/Dublin", "Galway", "IE", 53.27, -9.05),
]
DISPATCHER = "Dora Dispatcher"


@dataclass(frozen=True)
class World:
    dispatcher_token: str
    customers: dict[str, str]  # device -> "name <email> (language, time zone)"


def seed(db: Database, refrigerants: dict[str, str]) -> World:
    """Migrate an empty database and fill it with the pumps (device -> its refrigerant); returns the
    dispatcher's token (shown once)."""
    upgrade(db)
    customers: dict[str, str] = {}
    with db.transaction() as session:
        _, issued = add_user(session, DISPATCHER, Role.DISPATCHER, email="dora@heatwatch.example",
                             token_label="heatwatch demo")
        for i, (device, refrigerant) in enumerate(refrigerants.items()):
            first, last, language, zone, city, country, lat, lon = PEOPLE[i % len(PEOPLE)]
            name = f"{first} {last}" + (f" {i // len(PEOPLE) + 1}" if i >= len(PEOPLE) else "")
            address = f"{first}.{last}{'' if i < len(PEOPLE) else i}@example.com".lower()
            customer = Customer(name=name, language=language, time_zone=zone, preferred_channels=["email"],
                                contact_addresses={"email": address})
            session.add(customer)
            session.flush()
            site = Site(customer_id=customer.id, name="Home", street=f"Demo road {i + 1}", city=city,
                        country=country, latitude=lat, longitude=lon)
            session.add(site)
            session.flush()
            register_device(session, DeviceSpec(id=device, site_id=site.id, model="demo 9 kW air-to-water",
                                                refrigerant=refrigerant, nickname="heat pump"))
            customers[device] = f"{name} <{address}> ({language}, {zone})"
    return World(issued.token, customers)
