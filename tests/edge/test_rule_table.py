"""rule_table.candidates (the shift rules' conditions as one table) against the rule-by-rule path it replaced."""

from __future__ import annotations

import numpy as np
import pytest

from heatwatch.edge import rule_table
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
from heatwatch.rules.engine import RuleEngine
from heatwatch.rules.schema import Rule

COL = {name: j for j, name in enumerate(TARGET_NAMES)}


def _extra_rules() -> list[Rule]:
    """Rules that reach the corners the shipped file may not: either, exclude on the same channel as a
    support, a prior_min_support, a compressor channel, a channel the evidence never has."""
    a, b, c = TARGET_NAMES[0], TARGET_NAMES[1], TARGET_NAMES[2]
    return [
        Rule(name="x_either", fault="refrigerant_leak", confidence=0.5, explanation="t",
             require={a: {"direction": "either", "level": 1.5}}, support={b: "up", c: "down"}, min_support=1,
             prior_min_support=0, exclude={"compression_loss": {"direction": "up", "level": 2.0}}),
        Rule(name="x_never", fault="refrigerant_leak", confidence=0.5, explanation="t",
             require={b: "down"}, exclude={"compressor_hz": "up"}, support={"compression_current": "up", c: "up"},
             min_support=2),
        Rule(name="x_iso", fault="refrigerant_leak", confidence=0.5, explanation="t", isolated_shift=True,
             isolated_level=1.7),
    ]


def _levels(rng: np.random.Generator, n: int, m: int) -> np.ndarray:
    """Levels with the conditions' boundaries exactly (+-1, +-1.5, +-2), NaN and infinities among them."""
    pick = np.array([1.0, -1.0, 1.5, -1.5, 2.0, -2.0, np.nan, np.inf, -np.inf, 0.0])
    x = rng.normal(0.0, 2.0, (n, m))
    at = rng.random((n, m)) < 0.35
    x[at] = rng.choice(pick, at.sum())
    return x


@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.parametrize("prior", [False, True])
def test_table_matches_rule_by_rule(prior: bool, compiled: bool) -> None:
    rules = RuleEngine.from_files().rules + _extra_rules()
    table = rule_table.compile_rules(rules)
    assert rule_table.AVAILABLE or not compiled
    assert len(table.rules) >= 8 and table.isolated_levels[-1] == 1.7
    rng = np.random.default_rng(13)
    n = 4000
    L = _levels(rng, n, len(TARGET_NAMES))
    seen = ~np.isnan(L) & (rng.random(L.shape) < 0.9)
    extra = {"compression_loss": _levels(rng, n, 1)[:, 0], "compression_current": _levels(rng, n, 1)[:, 0]}
    match, sup = rule_table.candidates(table, COL, L, seen, extra, prior, compiled)
    ref_match, ref_sup = rule_table.candidates_reference(rules, COL, L, seen, extra, prior)
    assert match.any() and not match.all()  # the draw reaches both answers
    np.testing.assert_array_equal(match, ref_match)
    np.testing.assert_array_equal(sup, ref_sup)
    # without the compressor's channels: those conditions are never met
    match, sup = rule_table.candidates(table, COL, L, seen, {}, prior, compiled)
    ref_match, ref_sup = rule_table.candidates_reference(rules, COL, L, seen, {}, prior)
    np.testing.assert_array_equal(match, ref_match)
    np.testing.assert_array_equal(sup, ref_sup)


@pytest.mark.parametrize("compiled", [False, True])
def test_boundaries_as_the_engine_reads_them(compiled: bool) -> None:
    """A level exactly at a condition's level meets it (>=), down reads -level, either |level|."""
    a, b, c = TARGET_NAMES[0], TARGET_NAMES[1], TARGET_NAMES[2]
    rules = _extra_rules()[:1]
    table = rule_table.compile_rules(rules)
    L = np.full((4, len(TARGET_NAMES)), np.nan)
    seen = np.zeros(L.shape, dtype=bool)
    for k, (la, lb, lc) in enumerate([(-1.5, 1.0, -1.0), (1.5, 0.99, -0.99), (1.49, 1.0, -1.0), (np.nan, 5.0, -5.0)]):
        L[k, [COL[a], COL[b], COL[c]]] = la, lb, lc
    seen[:, [COL[a], COL[b], COL[c]]] = ~np.isnan(L[:, [COL[a], COL[b], COL[c]]])
    match, sup = rule_table.candidates(table, COL, L, seen, {}, False, compiled)
    assert match[:, 0].tolist() == [True, False, False, False]
    assert sup[:, 0].tolist() == [2, 0, 2, 2]
    match, _ = rule_table.candidates(table, COL, L, seen, {}, True, compiled)  # prior_min_support 0
    assert match[:, 0].tolist() == [True, True, False, False]


@pytest.mark.parametrize("prior", [False, True])
def test_rows_meeting_the_columns_of_the_row_before_take_its_counts(prior: bool) -> None:
    """The kernel copies a row's matches and counts from the row before when every column is met as
    there (a season's rows: 99 %): levels that drift slowly, crossing the conditions' levels now and
    then, as a pump's do, and runs of the very same row, against the rule-by-rule path."""
    rules = RuleEngine.from_files().rules + _extra_rules()
    table = rule_table.compile_rules(rules)
    rng = np.random.default_rng(29)
    n = 6000
    L = np.cumsum(rng.normal(0.0, 0.08, (n, len(TARGET_NAMES))), axis=0) + rng.normal(0.0, 1.5, len(TARGET_NAMES))
    L[rng.random(L.shape) < 0.002] = np.nan
    L[3000:3400] = L[3000]  # the same row over and over
    seen = ~np.isnan(L)
    seen[:, 3] &= (np.arange(n) // 500) % 2 == 0  # a channel the evidence has now and then
    extra = {"compression_loss": np.cumsum(rng.normal(0.0, 0.1, n)), "compression_current": np.full(n, np.nan)}
    extra["compression_current"][4000:4300] = 2.5
    match, sup = rule_table.candidates(table, COL, L, seen, extra, prior, True)
    ref_match, ref_sup = rule_table.candidates_reference(rules, COL, L, seen, extra, prior)
    np.testing.assert_array_equal(match, ref_match)
    np.testing.assert_array_equal(sup, ref_sup)
    # the draw takes both ways many times: rows whose answers change, and runs whose answers stay
    moved = ((ref_match[1:] != ref_match[:-1]) | (ref_sup[1:] != ref_sup[:-1])).any(axis=1)
    assert 100 < moved.sum() < n // 4 and match.any()
