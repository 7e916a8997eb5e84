"""Fleet priors: from the commissioned models of one pump model, refrigerant and emitters, to new agents.

``record_commissioned`` (ingest, in the event's transaction) keeps a device's latest
model; ``prior_for`` forms the fleet prior of a (model, refrigerant, emitters) from the
devices of that fleet (fleet_prior.form_for: at least MIN_MEMBERS with those emitters,
else every pump of the model and refrigerant, saying so in the prior's note; a device's
own model left out when the prior is for itself); ``offer_prior`` (ingest, on an agent's status saying it has
neither its own model nor a prior) queues a ``prior`` command in ``device_commands``,
once per device while one is pending or was taken, so the command sender delivers it
like any command and the agent's answer is recorded the same way.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from heatwatch.contract import CommandKind, Event
from heatwatch.fleet_prior import Commissioned, FleetPrior, FleetPriorError, form_for
from heatwatch.gateway.db import from_unix
from heatwatch.gateway.devices.models import Device
from heatwatch.gateway.fleet.models import CommissionedModel
from heatwatch.gateway.tickets.models import DeviceCommand

log = logging.getLogger(__name__)
PRIOR = CommandKind.PRIOR.value


def record_commissioned(session: Session, device: str, event: Event, now: datetime) -> str:
    """Keep the device's commissioned model; returns "" or why it was not kept (counted by the caller)."""
    try:
        Commissioned.from_dict(event.commissioned or {})
    except (FleetPriorError, KeyError, TypeError) as exc:
        return f"{device}: commissioned model unusable: {exc}"
    dev = session.get(Device, device)
    if dev is None:
        return f"{device}: not a registered device"
    row = session.get(CommissionedModel, device)
    if row is None:
        row = CommissionedModel(device_id=device)
        session.add(row)
    elif row.commissioned_at.timestamp() > event.ts:  # an older model arriving late
        return ""
    row.model, row.refrigerant, row.emitters = dev.model, dev.refrigerant, dev.emitters
    row.payload = dict(event.commissioned or {})
    row.commissioned_at, row.received_at = from_unix(event.ts), now
    return ""


def prior_for(session: Session, model: str, refrigerant: str, emitters: str | None = None, *,
              leave_out: str | None = None) -> FleetPrior | None:
    """The fleet prior of this pump model, refrigerant and emitters (None: not known; with fewer
    than MIN_MEMBERS of them, of every emitters, the prior's note says so), or None while the
    model and refrigerant have too few pumps."""
    rows = session.scalars(select(CommissionedModel).where(CommissionedModel.model == model,
                                                           CommissionedModel.refrigerant == refrigerant)
                           .order_by(CommissionedModel.device_id)).all()
    members = []
    for r in rows:
        if r.device_id == leave_out:
            continue
        try:
            members.append((r.emitters, Commissioned.from_dict(r.payload)))
        except (FleetPriorError, KeyError, TypeError):  # stored by an older agent: left out
            continue
    try:
        return form_for(members, emitters)
    except FleetPriorError:
        return None


def offer_prior(session: Session, device: str, now: datetime) -> DeviceCommand | None:
    """Queue the fleet prior for an agent that has none and no own model; None if there is no fleet
    yet or one was queued before (pending or answered: a refusing agent is not asked again)."""
    queued = session.scalar(select(DeviceCommand.id).where(DeviceCommand.device_id == device,
                                                           DeviceCommand.command == PRIOR).limit(1))
    if queued is not None:
        return None
    dev = session.get(Device, device)
    if dev is None:
        return None
    prior = prior_for(session, dev.model, dev.refrigerant, dev.emitters, leave_out=device)
    if prior is None:
        return None
    command = DeviceCommand(device_id=device, command=PRIOR, created_at=now, next_attempt_at=now,
                            payload={"command": PRIOR, "fleet_prior": prior.to_dict()})
    session.add(command)
    log.info("%s: fleet prior of %d %s %s pumps queued (%s)", device, prior.members, dev.model or "(no model)",
             dev.refrigerant, prior.note)
    return command


def wants_prior(counters: dict[str, Any] | None) -> bool:
    """An agent's status counters say it judges with neither its own model nor a fleet prior."""
    fleet = (counters or {}).get("fleet")
    return isinstance(fleet, dict) and fleet.get("own_model") is False and fleet.get("prior_members") in (0, None)
