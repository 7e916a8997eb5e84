"""What a restarted agent must remember about its pump, as one JSON-safe dict.

A Pi reboots, an update restarts the service, power fails. After that the
agent must go on as if nothing happened: the learned healthy model (judging
resumes at once), the faults it has raised (not raised again as new tickets,
and cleared when they go), the hours a developing fault has already been
seen, the prognosis history (a predicted trip right away, not a day later)
and the pump's last clock reading (a replayed or set-back clock is still
refused).

Version 1 files held the detector alone; they are still read.
"""

from __future__ import annotations

import math
from typing import Any

from heatwatch.edge.heatpump.detector import detector_state, restore_detector
from heatwatch.edge.pipeline import PumpPipeline

VERSION = 2


def _num(x: float) -> float | None:
    """JSON has no infinity: the pipeline's "never yet" times are -inf."""
    return x if math.isfinite(x) else None


def _back(x: float | None) -> float:
    return -math.inf if x is None else float(x)


def pipeline_state(p: PumpPipeline) -> dict[str, Any]:
    return {
        "version": VERSION,
        "detector": detector_state(p.detector),
        "rules": p.rules.state(),
        "prognosis": p.prognosis.state(),
        "raised_faults": p.raised_faults,
        "first_raised": p.first_raised,
        "last_ts": _num(p._last_ts),
        "last_rules_ts": _num(p._last_rules_ts),
        "last_refresh_ts": _num(p._last_refresh_ts),
        "last_error": p._last_error,
        "flow_limit_set": p._flow_limit_set,
        "basis": p._basis,
    }


def restore_pipeline(p: PumpPipeline, state: dict[str, Any]) -> None:
    """Load what ``pipeline_state`` wrote (or a version 1 detector-only file)."""
    if state.get("version") == 1:
        restore_detector(p.detector, state)
        return
    if state.get("version") != VERSION:
        raise ValueError(f"unknown state version {state.get('version')!r}")
    restore_detector(p.detector, state["detector"])
    p.rules.load_state(state["rules"])
    p.prognosis.load_state(state["prognosis"])
    p.raised_faults = dict(state["raised_faults"])
    p.first_raised = {k: float(v) for k, v in state["first_raised"].items()}
    p._last_ts = _back(state["last_ts"])
    p._last_rules_ts = _back(state["last_rules_ts"])
    p._last_refresh_ts = _back(state["last_refresh_ts"])
    p._last_error = state["last_error"]
    p._flow_limit_set = bool(state["flow_limit_set"])
    p._basis = state["basis"]
