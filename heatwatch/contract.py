"""The wire contract between pumps, edge agents and the gateway.

One module, imported by every side, so a topic or a field cannot drift apart.
Everything on the wire is JSON (UTF-8). Agents publish with QoS 1; the gateway
deduplicates by ``(device, stream, seq)`` and by ``event_id``.

Topics
    pumps/{device}/state               a pump's own Wi-Fi module: raw channel values
    heatwatch/v1/{device}/telemetry    agent -> gateway: aggregated readings (mean/min/max)
    heatwatch/v1/{device}/event        agent -> gateway: findings, diagnosed faults, trips
    heatwatch/v1/{device}/status       agent -> gateway: retained online/offline (last will),
                                       with the agent's counters (what it read, refused, queued)
    heatwatch/v1/{device}/ack          agent -> gateway: a command acted on (or refused), QoS 1
    heatwatch/v1/{device}/command      gateway -> agent: a command for this device's agent, QoS 1,
                                       never retained; the agent reads it in a persistent session

Commands (``Command``): ``prior`` carries a fleet prior (``fleet_prior``: the healthy
model the gateway formed from commissioned pumps of the same model and refrigerant) to
an agent that has not learned its own pump yet; the agent judges with it from then on.
``repaired`` is sent when the device's ticket is
resolved: the agent clears the fault and learns the repaired pump afresh (for the
resolution code ``no_fault_found`` it keeps what it learned and clears only the
findings). ``id`` is the gateway's row id: the gateway sends a command again until
it is acknowledged, so the agent acts on an id once and acknowledges every copy.
The agent answers each command with an ``Ack`` on its own ack topic: ``ok`` false
and a ``detail`` for a command it refuses (malformed, another device's, unknown);
``command_id`` is None only when the command's id could not be read. A device may
read only its own command topic and write only its own four agent topics (ACL).

A fleet: when an agent has learned (commissioned) its own pump's healthy model it sends an
``agent`` event with fault ``commissioned`` carrying it (``commissioned``: the model, its
alarm levels and operating range, FLEET_MODEL_VERSION); the gateway keeps the latest per
device and forms the fleet priors from them. Both fit well inside MAX_PAYLOAD_BYTES (about
6 kB; refused above MAX_MODEL_BYTES).
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any, Literal

from pydantic import (BaseModel, Field, SerializerFunctionWrapHandler, ValidationError, field_validator,
                      model_serializer)

CONTRACT_VERSION = 1
MAX_PAYLOAD_BYTES = 256 * 1024
TOPIC_ROOT = f"heatwatch/v{CONTRACT_VERSION}"
STREAMS = ("telemetry", "event", "status", "ack")  # what an agent publishes
COMMAND = "command"  # what the gateway publishes to an agent
DEVICE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
COMMISSIONED = "commissioned"  # the agent event's fault that carries a commissioned model
MAX_MODEL_BYTES = 32 * 1024  # a commissioned model or a fleet prior (about 6 kB as JSON)


class ContractError(ValueError):
    """A message does not follow the contract; the text says what is wrong."""


def pump_state_topic(device: str) -> str:
    return f"pumps/{device}/state"


def agent_topic(device: str, stream: str) -> str:
    if stream not in STREAMS:
        raise ValueError(f"unknown stream {stream!r}")
    return f"{TOPIC_ROOT}/{device}/{stream}"


def command_topic(device: str) -> str:
    """Where the gateway sends ``device``'s agent its commands."""
    return f"{TOPIC_ROOT}/{device}/{COMMAND}"


def split_agent_topic(topic: str) -> tuple[str, str]:
    """``heatwatch/v1/{device}/{stream}`` -> (device, stream)."""
    parts = topic.split("/")
    if len(parts) != 4 or "/".join(parts[:2]) != TOPIC_ROOT or parts[3] not in STREAMS:
        raise ContractError(f"not a heatwatch agent topic: {topic!r}")
    return parts[2], parts[3]


class _Message(BaseModel):
    model_config = {"extra": "forbid"}

    def to_json(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()


class PumpState(_Message):
    """What a pump with a Wi-Fi module publishes on ``pumps/{device}/state``."""

    device: str = Field(pattern=DEVICE_ID_PATTERN)
    ts: float  # unix seconds (simulated time when the pump is simulated)
    values: dict[str, float | None]  # canonical channel -> value, None = unknown


class ChannelStats(_Message):
    mean: float | None = None
    min: float | None = None
    max: float | None = None
    n: int = 0  # valid samples in the interval (NaN/rejected ones not counted)


class Telemetry(_Message):
    v: int = CONTRACT_VERSION
    device: str = Field(pattern=DEVICE_ID_PATTERN)
    seq: int = Field(ge=0)
    ts_start: float
    ts_end: float
    n: int = Field(ge=0)  # readings aggregated
    channels: dict[str, ChannelStats]
    health: float | None = None  # detector's anomaly score over the interval (max)
    downsampled: bool = False  # merged by the outbox to stay within its disk bound


class Finding(_Message):
    """One piece of evidence, explained: which channels, expected vs observed, how sure."""

    kind: str  # residual | cusum | novelty | sensor | prognosis | trip
    channels: list[str]
    expected: float | None = None
    observed: float | None = None
    score: float = 0.0
    message: str = ""


class Prognosis(_Message):
    """Predicted time of the trip from the trend of a health indicator."""

    indicator: str
    threshold: float
    predicted_trip_ts: float
    lower_ts: float  # earliest plausible (interval)
    upper_ts: float  # latest plausible


class EventKind(StrEnum):
    """What an event tells the gateway; on the wire, the value."""

    FAULT = "fault"  # a pump fault raised
    FAULT_UPDATE = "fault_update"  # a raised fault's prognosis moved (same fault, same ticket: update it)
    FAULT_CLEARED = "fault_cleared"  # a raised fault or sensor fault no longer seen
    SENSOR_FAULT = "sensor_fault"  # a broken sensor raised: a cheap visit, not a pump fault
    TRIP = "trip"  # the pump stopped on protection
    AGENT = "agent"  # about the agent itself

    @property
    def raises(self) -> bool:
        """A fault (of the pump or of a sensor) raised: it stands until a fault_cleared names it."""
        return self in (EventKind.FAULT, EventKind.SENSOR_FAULT)


# A revised diagnosis, said in findings so an agent's event stays valid for a gateway that predates it
# (an unknown finding kind is only evidence there): a ``fault_cleared`` with an EXPLAINED_BY finding is
# a withdrawal, not a recovery (the notice it names explains the evidence better); a raise with a
# REVISES finding withdrew the notice it names in the same round. The finding's message starts with
# the other notice's fault and channel ("sensor_drift (flow_lpm): ..."); its channels stay empty, so
# the channels a sensor_fault's findings name are still the sensor's own.
EXPLAINED_BY = "explained_by"
REVISES = "revises"


class Revision(BaseModel):
    """The other notice of a revised diagnosis: what a REVISES or EXPLAINED_BY finding names."""

    model_config = {"frozen": True}

    fault: str
    channel: str | None = None
    text: str = ""


def revision_finding(kind: str, fault: str, channel: str | None, text: str) -> Finding:
    """A REVISES or EXPLAINED_BY finding naming ``fault`` (on ``channel``) and saying why."""
    if kind not in (EXPLAINED_BY, REVISES):
        raise ValueError(f"not a revision finding kind: {kind!r}")
    head = fault + (f" ({channel})" if channel else "")
    return Finding(kind=kind, channels=[], score=1.0, message=f"{head}: {text}")


def revisions(findings: list[Finding], kind: str) -> list[Revision]:
    """The notices ``kind`` findings name; a finding whose message does not read as one is skipped."""
    out = []
    for f in findings:
        if f.kind != kind:
            continue
        head, sep, text = f.message.partition(": ")
        fault, _, rest = head.partition(" (")
        if not sep or not fault or " " in fault or (rest and not rest.endswith(")")):
            continue
        out.append(Revision(fault=fault, channel=rest[:-1] or None, text=text))
    return out


class EventBody(_Message):
    """An event as the agent makes it: everything but its numbering, which the outbox gives it."""

    v: int = CONTRACT_VERSION
    device: str = Field(pattern=DEVICE_ID_PATTERN)
    ts: float
    kind: EventKind
    fault: str | None = None  # named fault, e.g. refrigerant_leak; the trip's name for a trip
    severity: Literal["info", "warning", "critical"] = "warning"
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    explanation: str = ""
    parts: list[str] = []
    findings: list[Finding] = []
    prognosis: Prognosis | None = None
    # an agent event with fault COMMISSIONED: the pump's own healthy model (fleet_prior.Commissioned)
    commissioned: dict[str, Any] | None = None

    @field_validator("commissioned", mode="after")
    @classmethod
    def _model_size(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        return _bounded(v, "commissioned")


class Event(EventBody):
    """An event on the wire: the body with its sequence number and id (deduplication)."""

    seq: int = Field(ge=0)
    event_id: str = Field(min_length=8, max_length=64)

    @model_serializer(mode="wrap")
    def _wire_order(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Keys in the order the wire has always had them: v, device, seq, event_id, then the body."""
        fields = handler(self)
        return {k: fields[k] for k in _EVENT_WIRE_ORDER if k in fields}


_EVENT_WIRE_ORDER = ("v", "device", "seq", "event_id",
                     *(name for name in EventBody.model_fields if name not in ("v", "device")))


CounterValue = float | int | str | bool | None


class Status(_Message):
    v: int = CONTRACT_VERSION
    device: str = Field(pattern=DEVICE_ID_PATTERN)
    online: bool
    ts: float
    agent_version: str = ""
    # the agent's counters by part, e.g. {"source": {"crc_errors": 3}, "outbox": {"pending_telemetry": 40},
    # "pipeline": {"out_of_range[t_flow]": 12, "clock_not_advancing": 1, "processing_errors": 0}}; absent
    # in the last will and in the first status after a connect
    counters: dict[str, dict[str, CounterValue]] | None = None


class CommandKind(StrEnum):
    """What a command asks of an agent; on the wire, the value."""

    REPAIRED = "repaired"  # the pump was seen to (its ticket resolved): clear the fault, learn it afresh
    PRIOR = "prior"  # judge the pump with this fleet prior until its own model is learned


NO_FAULT_FOUND = "no_fault_found"  # the resolution code after which the agent keeps what it learned


class Command(_Message):
    """gateway -> agent on ``heatwatch/v1/{device}/command``: one command, by the gateway's id."""

    v: int = CONTRACT_VERSION
    id: int = Field(ge=1)  # the gateway's command id: the same id twice is the same command
    device: str = Field(pattern=DEVICE_ID_PATTERN)
    command: CommandKind
    ticket: int | None = None  # the resolved ticket
    fault: str | None = None  # the fault the ticket was about (None: a ticket without one)
    resolution_code: str | None = None  # fault_confirmed | other_fault | no_fault_found
    resolved_at: float | None = None  # unix seconds
    fleet_prior: dict[str, Any] | None = None  # a ``prior`` command's prior (fleet_prior.FleetPrior)

    @field_validator("fleet_prior", mode="after")
    @classmethod
    def _prior_size(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        return _bounded(v, "fleet_prior")

    @property
    def keeps_learning(self) -> bool:
        """Nothing was changed on the pump: keep its learned healthy behaviour, clear the findings."""
        return self.resolution_code == NO_FAULT_FOUND


class Ack(_Message):
    """agent -> gateway on ``heatwatch/v1/{device}/ack``: a command done (``ok``) or refused, and why."""

    v: int = CONTRACT_VERSION
    device: str = Field(pattern=DEVICE_ID_PATTERN)
    command_id: int | None = Field(default=None, ge=1)  # None: the command's id could not be read
    ok: bool
    detail: str = Field(default="", max_length=500)
    ts: float  # the agent's clock when it answered (unix seconds)


STREAM_MODELS: dict[str, type[_Message]] = {"telemetry": Telemetry, "event": Event, "status": Status, "ack": Ack}


def _bounded(v: dict[str, Any] | None, what: str) -> dict[str, Any] | None:
    if v is not None and len(json.dumps(v)) > MAX_MODEL_BYTES:
        raise ValueError(f"{what} larger than {MAX_MODEL_BYTES} bytes")
    return v


def parse_command(topic: str, payload: bytes) -> Command:
    """Validate a command from the gateway; raise ContractError saying why not."""
    parts = topic.split("/")
    if len(parts) != 4 or "/".join(parts[:2]) != TOPIC_ROOT or parts[3] != COMMAND:
        raise ContractError(f"not a heatwatch command topic: {topic!r}")
    cmd = _parse(Command, payload, topic)
    if cmd.device != parts[2]:  # type: ignore[attr-defined]
        raise ContractError(f"{topic}: payload device {cmd.device!r} does not match topic")  # type: ignore[attr-defined]
    return cmd  # type: ignore[return-value]


def parse_agent_message(topic: str, payload: bytes) -> Telemetry | Event | Status | Ack:
    """Validate one message from an agent topic; raise ContractError saying why not."""
    device, stream = split_agent_topic(topic)
    msg = _parse(STREAM_MODELS[stream], payload, topic)
    if msg.device != device:  # type: ignore[attr-defined]
        raise ContractError(f"{topic}: payload device {msg.device!r} does not match topic")  # type: ignore[attr-defined]
    return msg  # type: ignore[return-value]


def parse_pump_state(payload: bytes, topic: str = "pumps/?/state") -> PumpState:
    return _parse(PumpState, payload, topic)  # type: ignore[return-value]


def _parse(model: type[_Message], payload: bytes, topic: str) -> _Message:
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ContractError(f"{topic}: payload of {len(payload)} bytes exceeds {MAX_PAYLOAD_BYTES}")
    try:
        data = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ContractError(f"{topic}: payload is not JSON ({exc})") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(root)"
        raise ContractError(f"{topic}: field {field!r}: {first['msg']}") from None
