"""RuleEngine.steady_advance and sensor_matches say what advance and evaluate say (replay speed, round 8).

A replay's rule rows while a raised fault goes on matching take steady_advance; it must move the
tracks exactly as advance does and give up (changing nothing) wherever advance could raise or clear.
"""

from __future__ import annotations

import copy
import random

import numpy as np

from heatwatch.rules.engine import Evidence, RuleEngine

HOUR = 3600.0


def _tracks(engine: RuleEngine) -> list:
    return engine.state()


def test_steady_advance_moves_the_tracks_as_advance_or_changes_nothing() -> None:
    rng = random.Random(7)
    base = RuleEngine.from_files()
    shift_rules = [r for r in base.rules if r.require][:4]
    sensor_rules = [r for r in base.rules if r.sensor_check]
    subjects = [(r.name, None) for r in shift_rules] + [(r.name, ch) for r in sensor_rules for ch in ("t_flow", "p_low")]
    conf_of = {r.name: r.confidence for r in base.rules}
    taken = given_up = 0
    for trial in range(40):
        engine = RuleEngine(base.rules)
        t = 1e6 + trial * 1e5
        on, left = set(), 0
        for _ in range(600):
            if left == 0:  # a phase: a few subjects matching nearly always (a raised fault), or almost nothing
                on, left = set(rng.sample(subjects, rng.choice([0, 1, 1, 2]))), rng.randrange(20, 300)
            left -= 1
            t += rng.choice([300.0] * 12 + [1800.0, 2 * HOUR, 8 * HOUR])
            p = {s: 0.9 if s in on else 0.01 for s in subjects}
            matched = {s: round(conf_of[s[0]] * rng.uniform(0.7, 1.0), 3) for s in subjects if rng.random() < p[s]}
            matches: dict[str, list] = {}
            for (name, ch), conf in matched.items():
                matches.setdefault(name, []).append((ch, conf, []))
            before = copy.deepcopy(_tracks(engine))
            ref = RuleEngine(base.rules)
            ref.load_state(copy.deepcopy(before))
            want = ref.advance(t, matches, lambda: Evidence(ts=t))
            if engine.steady_advance(t, matched):
                taken += 1
                assert want == [] and _tracks(engine) == _tracks(ref)
            else:
                given_up += 1
                assert _tracks(engine) == before
                engine.load_state(copy.deepcopy(_tracks(ref)))
    assert taken > 1000 and given_up > 100  # both ways were exercised


def test_sensor_matches_are_evaluates() -> None:
    engine = RuleEngine.from_files()
    findings = {"t_flow": ["stuck"], "p_low": ["noise", "jump"], "t_outdoor": ["range"], "flow_lpm": ["other"]}
    got = engine.sensor_matches(findings)
    want = {name: ms for name, ms in engine._all_matches(Evidence(ts=0.0, sensor_findings=findings, ready=False)).items()
            if ms}
    assert {n: [(c, conf, [f.model_dump() for f in fs]) for c, conf, fs in ms] for n, ms in got.items()} == \
        {n: [(c, conf, [f.model_dump() for f in fs]) for c, conf, fs in ms] for n, ms in want.items()}
    assert engine.sensor_hits(findings) == {(n, c): conf for n, ms in got.items() for c, conf, _ in ms}


def _steady_run_reference(engine: RuleEngine, ts: list[float], matched: dict) -> int:
    """RuleEngine.steady_run as it replaced them: steady_advance row by row, up to the first False."""
    k = 0
    for t in ts:
        if not engine.steady_advance(t, matched):
            break
        k += 1
    return k


def test_steady_run_is_steady_advance_row_by_row() -> None:
    """Tracks of every kind (raised and matched, raised with its clear coming due, a hold running
    whose gap comes due, a margin rule raised, idle ones) against runs of rising times that cross
    those due times exactly, just before and just after: the same count and the same tracks."""
    rng = random.Random(11)
    base = RuleEngine.from_files()
    shift_rules = [r for r in base.rules if r.require and r.clear_margin is None][:5]
    margin_rules = [r for r in base.rules if r.clear_margin is not None]
    sensor_rules = [r for r in base.rules if r.sensor_check]
    assert shift_rules and margin_rules and sensor_rules
    seen = {"partial": 0, "all": 0, "none": 0}
    for trial in range(400):
        engine, ref = RuleEngine(base.rules), RuleEngine(base.rules)
        t0 = 1.7e9 + rng.uniform(0, 1e7)
        tracks: list[list] = []
        matched: dict = {}
        for r in rng.sample(shift_rules, rng.randint(1, 4)) + [rng.choice(sensor_rules)]:
            ch = "t_flow" if r.sensor_check else None
            kind = rng.choice(["matched", "matched", "raised", "hold", "idle"])
            last = t0 - rng.choice([0.0, 300.0, 1799.7, 3600.0, r.clear_after - 600.0])
            if kind == "matched":
                tracks.append([r.name, ch, last - 86400.0, last, True, 0.5])
                matched[(r.name, ch)] = round(rng.uniform(0.3, 0.9), 3)
            elif kind == "raised":
                tracks.append([r.name, ch, last - 86400.0, last, True, 0.6])
            elif kind == "hold":
                tracks.append([r.name, ch, last - 3600.0, last, False, 0.4])
            else:
                tracks.append([r.name, ch, None, None, False, 0.0])
        if rng.random() < 0.1:  # a margin rule raised, not matched: no run
            tracks.append([margin_rules[0].name, None, t0 - 86400.0, t0 - 300.0, True, 0.7])
        if rng.random() < 0.05:  # a subject matched that is not raised: no run
            matched[(shift_rules[0].name, "p_low")] = 0.5
        engine.load_state(copy.deepcopy(tracks))
        ref.load_state(copy.deepcopy(tracks))
        # the times a track comes due, and rows on them, a hair before and after
        due = [lt + engine._clear_after[n] for n, _, _, lt, act, _ in tracks if act and lt is not None] + \
              [lt + 1800.0 for n, _, ft, lt, act, _ in tracks if not act and ft is not None]
        ts = sorted({t0 + 300.0 * k for k in range(1, rng.randint(2, 80))} |
                    {d + e for d in due for e in (-1e-6, 0.0, 1e-6) if rng.random() < 0.5 and d + e > t0})
        got = engine.steady_run(np.array(ts), matched)
        want = _steady_run_reference(ref, ts, matched)
        assert got == want and engine.state() == ref.state()
        assert all(type(t[3]) is float or t[3] is None for t in engine.state())
        seen["none" if got == 0 else "all" if got == len(ts) else "partial"] += 1
    assert min(seen.values()) > 20, seen  # runs taken whole, cut short and refused
