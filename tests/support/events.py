"""Comparing the pipeline's typed events with events recorded as JSON dicts (before events were typed)."""

from __future__ import annotations

import json
from typing import Any

from heatwatch.contract import Event, EventBody

# what a recorded dict may lack: the defaults the wire fills in (a trip had no parts or prognosis)
_DEFAULTS = {"v": 1, "parts": [], "prognosis": None, "commissioned": None}


def event_differences(new: EventBody, old: dict[str, Any]) -> list[str]:
    """Field by field, what differs between a typed event and a recorded one; [] = the same.

    Also compares what each puts on the wire (the Event JSON, same seq and id): byte for byte.
    """
    fields = json.loads(new.model_dump_json())
    out = [f"{k}: {fields.get(k)!r} != {v!r}" for k, v in old.items() if fields.get(k, "<absent>") != v]
    out += [f"{k}: {v!r} not in the recorded event" for k, v in fields.items()
            if k not in old and _DEFAULTS.get(k, "<no default>") != v]
    numbered = {"seq": 7, "event_id": "0123456789abcdef"}
    if Event.model_validate({**new.model_dump(), **numbered}).to_json() != \
            Event.model_validate({**old, **numbered}).to_json():
        out.append("the wire JSON differs")
    return out
