"""RuleEngine.steady_advance and sensor_matches say what advance and evaluate say (replay speed, round 8).

A replay's rule rows while a raised fault goes on matching take steady_advance; it must move the
tracks exactly as advance does and give up (changing nothing) wherever advance could raise or clear.
"""

from __future__ import annotations

import copy
import random

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
