"""Every table of the gateway, imported in one place so the schema is complete.

Migrations compare against ``metadata``; anything that needs all mappers
configured (tests, the migration environment) imports this module.
"""

from __future__ import annotations

from heatwatch.gateway.customers.models import Customer, Site
from heatwatch.gateway.db import Base
from heatwatch.gateway.devices.models import Device
from heatwatch.gateway.feedback.models import SurveyResponse, VisitProposal
from heatwatch.gateway.fleet.models import CommissionedModel
from heatwatch.gateway.incidents.models import Incident, IncidentEvent
from heatwatch.gateway.ingest.models import ProcessedEvent, SequenceGap, StreamPosition
from heatwatch.gateway.notifications.models import Notification, NotificationAttempt
from heatwatch.gateway.telemetry.models import TelemetryInterval
from heatwatch.gateway.tickets.models import DeviceCommand, Ticket, TicketChange, TicketReminder
from heatwatch.gateway.users.models import ApiToken, User
from heatwatch.gateway.weather.models import SiteForecast
from heatwatch.gateway.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription

metadata = Base.metadata

__all__ = [
    "ApiToken", "CommissionedModel", "Customer", "Device", "DeviceCommand", "Incident", "IncidentEvent", "Notification",
    "NotificationAttempt", "ProcessedEvent", "SequenceGap",
    "Site", "SiteForecast", "StreamPosition", "SurveyResponse", "TelemetryInterval", "Ticket", "TicketChange",
    "TicketReminder", "User", "VisitProposal", "WebhookAttempt", "WebhookDelivery", "WebhookSubscription",
    "metadata",
]
