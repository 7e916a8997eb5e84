"""Without a fleet: a commissioning window in which the pump changed at fixed operating points is
not learned as healthy; the pump is judged against its own start, and a fault present from
installation is named before its trip while healthy pumps stay quiet."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import numpy as np
import pytest

from heatwatch.contract import EventKind
from heatwatch.edge.agent import EdgeAgent
from heatwatch.edge.heatpump.detector import HeatPumpDetector, HeatPumpDetectorConfig, learned_envelope
from heatwatch.edge.heatpump.fleet_prior import FleetJudge, is_own
from heatwatch.edge.heatpump.healthy_model import MIN_SHIFT, TARGET_NAMES
from heatwatch.edge.heatpump.own_start import start_prior
from heatwatch.edge.heatpump.operating_point import FEATURE_NAMES
from heatwatch.edge.pipeline import PumpPipeline
from heatwatch.faults import FAULTS
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import parse_scenario
from heatwatch.units import DAY
from tests.edge.heatpump.site_replay import replay_site

J_EEV = TARGET_NAMES.index("eev_pct")
TAU = 6 * 3600.0


def _window(rng: np.random.Generator, grow: float, days: float = 24.0, n: int = 3000):
    """A commissioning window: readings every few minutes whose operating point follows a cooling
    autumn, with autocorrelated noise (an hours-long wander) on every channel; eev_pct grows by
    ``grow`` % from its first reading to its last at fixed operating points."""
    T = np.linspace(0.0, days * DAY, n)
    to = np.linspace(0.5, -0.5, n) + 0.3 * np.sin(T / DAY * 2 * np.pi)  # the weather, and its days
    tf = 1.0 - 0.3 * to + rng.normal(0.0, 0.05, n)
    hz = 0.2 - 0.5 * to + rng.normal(0.0, 0.1, n)
    F = np.column_stack([np.ones(n), to, tf, hz, to * hz, hz * hz, (rng.random(n) < 0.15).astype(float)])
    coef = rng.normal(0.0, 1.0, (len(FEATURE_NAMES), len(TARGET_NAMES))) * MIN_SHIFT
    coef[0] = 10.0 * MIN_SHIFT
    wander = np.zeros((n, len(TARGET_NAMES)))
    for i in range(1, n):  # AR(1) over ~3 h: the residuals a shift series sees
        wander[i] = 0.95 * wander[i - 1] + rng.normal(0.0, 0.05, len(TARGET_NAMES)) * MIN_SHIFT
    Y = F @ coef + wander
    Y[:, J_EEV] += grow * (T - T[0]) / (T[-1] - T[0])
    return T, F, Y


def test_a_window_that_grew_by_its_own_level_is_judged_from_its_start() -> None:
    rng = np.random.default_rng(11)
    T, F, Y = _window(rng, 0.0)
    prior, grew = start_prior(T, F, Y, TAU, 5.0, learned_envelope(F), 1e-2)
    assert prior is None and max(abs(v) for v in grew.values()) < 0.3  # a steady pump: admitted
    T, F, Y = _window(rng, 12.0)  # the valve opens 12 % more at the same weather, flow and speed
    prior, grew = start_prior(T, F, Y, TAU, 5.0, learned_envelope(F), 1e-2)
    assert prior is not None and grew["eev_pct"] >= 2.0 and is_own(prior)
    assert [n for n, v in grew.items() if abs(v) >= 1.0] == ["eev_pct"]
    assert "eev_pct +1" in prior.note and "% , " not in prior.note and "own alarm levels" in prior.note
    # judged from the start: the window's last day reads about 12 % above the start's prediction
    judge = FleetJudge(prior)
    late = T > T[-1] - DAY
    r = np.median(Y[late, J_EEV] - judge.model.predict(F[late])[:, J_EEV])
    assert r == pytest.approx(12.0, abs=1.5)
    assert judge.own and judge.alarm[J_EEV] >= MIN_SHIFT[J_EEV]
    # a week is one or two spells of weather: its trend is not judged, however large
    T, F, Y = _window(rng, 12.0, days=7.0)
    prior, grew = start_prior(T, F, Y, TAU, 5.0, learned_envelope(F), 1e-2)
    assert prior is None and grew["eev_pct"] >= 1.0


# -- on simulated pumps: a leak from installation, no fleet ----------------------------------

POLL_STRIDE = 5  # a 5-minute poll, as the service area's agents read
# a Stockholm site in October, a seed of its own: hp-001 leaks from its first day (about 50 days to
# its trip), the other three are healthy
SITE = {"fleet": {"size": 4}, "climate": "stockholm", "start": "2024-10-01", "duration": "42d", "seed": 60613,
        "refrigerant": "R32",
        "devices": {"hp-001": {"faults": [{"type": "refrigerant_leak", "onset": 0, "time_to_trip": "50d"}]}}}


@pytest.fixture(scope="module")
def site():
    return replay_site(SITE, HeatPumpDetectorConfig(refrigerant=SITE["refrigerant"]), POLL_STRIDE)


@pytest.mark.timeout(300)
def test_a_leak_from_installation_is_named_before_its_trip_without_a_fleet(site) -> None:
    scenario, fleet, pipes, events = site
    (truth,) = [t for t in fleet.truth if t.fault]
    trip = truth.trip_ts if truth.trip_ts is not None else math.inf
    leak = [e for e in events["hp-001"] if e.kind is EventKind.FAULT and e.fault == "refrigerant_leak"]
    print({d: [(e.fault, round((e.ts - scenario.start_ts) / DAY, 1)) for e in evs if e.kind.raises]
           for d, evs in events.items()})
    assert leak and leak[0].ts < trip
    assert "Judged against this pump's own first days" in leak[0].explanation
    assert "commissioning window" in leak[0].explanation
    det = pipes["hp-001"].detector
    assert det.fleet is not None and det.fleet.own and det.postponed_fits >= 1
    again = HeatPumpDetector(det.config)  # a restart keeps the start it is judged against
    again.load_state(json.loads(json.dumps(det.state())))
    assert again.fleet is not None and again.fleet.own and again.provisional and again.basis_at(0.0) == "own start"


def test_healthy_pumps_of_the_site_are_quiet_and_learn_their_own_window(site) -> None:
    _, _, pipes, events = site
    for dev in ("hp-000", "hp-002", "hp-003"):
        assert not [e.fault for e in events[dev] if e.kind.raises and not FAULTS[e.fault].sensor_fault], dev
        det = pipes[dev].detector
        assert det.model is not None and not det.provisional and det.fleet is None, dev
        assert max(abs(v) for v in det.own_growth.values()) < 1.0, (dev, det.own_growth)


@pytest.mark.timeout(300)
def test_streaming_and_batch_are_the_same_through_a_refused_window() -> None:
    """The agent reading by reading and a replay in chunks (the refusal falls inside one) say the
    same: the same events at the same times, the same window collected after the refusal."""
    scenario = parse_scenario({**SITE, "duration": "32d"})
    ts, X = [], []
    for chunk in Fleet(scenario).chunks(steps=1440 * 4):
        ts.append(chunk.ts[::POLL_STRIDE])
        X.append(chunk.values[::POLL_STRIDE, 1, :])
    T, V = np.concatenate(ts), np.concatenate(X)
    cfg = HeatPumpDetectorConfig(refrigerant=scenario.refrigerant)
    stream, batch = PumpPipeline.with_config("hp-001", cfg), PumpPipeline.with_config("hp-001", cfg)
    ea = [(e.kind, e.fault, e.ts, e.explanation) for t, x in zip(T, V) for e in stream.process(float(t), x)[1]]
    eb = []
    for lo in range(0, len(T), 1000):
        eb += [(e.kind, e.fault, e.ts, e.explanation) for e in batch.process_batch(T[lo:lo + 1000], V[lo:lo + 1000])[1]]
    a, b = stream.detector, batch.detector
    assert a.fleet is not None and a.fleet.own and b.fleet is not None and b.fleet.own  # refused in both
    assert ea == eb and any(e[1] == "refrigerant_leak" for e in ea)
    assert a._rows_ts == b._rows_ts and a.start_ts == b.start_ts and a.postponed_fits == b.postponed_fits
    np.testing.assert_array_equal(a.shift.residual, b.shift.residual)


def test_the_status_says_own_start_and_asks_the_gateway_for_a_fleet(site) -> None:
    """Judged by its own start is no fleet: prior_members 0 and no own model, so the gateway still
    sends its fleet's prior when it has one (gateway/fleet/service.py)."""
    _, _, pipes, _ = site
    agents = {d: SimpleNamespace(pipeline=pipes[d], fleet_counters={}) for d in ("hp-000", "hp-001")}
    counters = {d: EdgeAgent._fleet_counters(a) for d, a in agents.items()}  # type: ignore[arg-type]
    assert counters["hp-001"]["judged_by_own_start"] and not counters["hp-001"]["judged_by_fleet"]
    assert counters["hp-001"]["prior_members"] == 0 and counters["hp-001"]["own_model"] is False
    assert counters["hp-001"]["refused_windows"] >= 1
    assert counters["hp-000"]["own_model"] and not counters["hp-000"]["judged_by_own_start"]


def test_a_repaired_pump_is_not_judged_against_its_old_start(site) -> None:
    _, _, pipes, _ = site
    det = pipes["hp-001"].detector  # (the last test of the module: it changes the fixture's pump)
    assert det.fleet is not None and det.fleet.own
    det.relearn()
    assert det.fleet is None and det.model is None and not det.provisional
