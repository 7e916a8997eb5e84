"""Apply diagnosis rules to the detector's evidence, with hold and clear times.

The detector says *how* each channel differs from the pump's own healthy
model; rules say *what that means*. A rule fires once its condition has held
for ``hold`` seconds of evidence time and clears after ``clear_after``
seconds without it, so one noisy hour neither opens nor closes a ticket.

Pump faults and sensor faults compete for the same evidence: a pump-fault
rule yields when one drifting sensor would show all it needs (and explains
most of the drift) or when, without that sensor's part, the rule's required
witnesses fall short; a sensor-drift rule yields when a pump-fault pattern
matched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Literal, NamedTuple

import numpy as np

from heatwatch.channels import BOUND_EXCESS_NAMES, CHANNELS, DERIVED_FROM
from heatwatch.contract import Finding
from heatwatch.rules.schema import Rule, ShiftCondition, load_rule_file

RULES_DIR = Path(__file__).parent
DEFAULT_RULE_FILE = RULES_DIR / "heatpump.yaml"
# a gap in the condition shorter than this does not restart the hold timer
_GAP_TOLERANCE_S = 30 * 60.0
# a sensor offset explaining this share of the drift (and every condition of a rule) vetoes that pump-fault rule
SENSOR_EXPLAINS = 0.9
# a sensor offset explaining at least this share of the drift, itself significant (SENSOR_LEVEL alarm
# units on some channel), whose own part carries every support a rule has: the rule yields too
SENSOR_SHARE = 0.3
SENSOR_LEVEL = 1.0
# the sensors the healthy model's operating point is read from: a drift of one moves what the model
# expects of every channel, so it can lend any rule its witnesses; any other sensor moves only the
# channels computed from it, which the rules' excludes already tell apart (evap_sat_gap for p_low)
OPERATING_POINT_SENSORS = frozenset({"t_outdoor", "t_flow"})
# the refrigerant side's own relations: a pump fault changes them, an operating-point sensor's drift
# does not (it moves expectations of control outputs, pressures and approaches). One of them met
# by a rule, without the sensor's part, is a pump-fault witness the sensor cannot lend
REFRIGERANT_RELATIONS = frozenset({"superheat", "subcooling", "discharge_superheat", "evap_sat_gap",
                                   "cond_sat_gap", "compression_loss"})
_UNITS = {c.name: c.unit for c in CHANNELS}
_PHYSICS_MESSAGES = {
    "flow_over_condensing": "the flow water reads warmer than the condensing temperature (p_high's saturation)",
    "return_over_condensing": "the return water reads warmer than the condensing temperature less the least delta-T",
    "heat_deficit": "delta-T reads below the least heat the unit's electrical input delivers",
    "heat_excess": "delta-T reads above the most heat a cycle between these pressures can deliver",
    "flow_below_condenser": "the flow water reads further below condensing than a clean condenser passing the most heat allows",
    "return_below_condenser": "the return water reads further below condensing than the most heat and a clean condenser allow",
}


class ChannelShift(NamedTuple):
    """A channel's persistent departure from the pump's healthy model.

    ``level`` is signed and in units of the detector's own alarm level for that
    channel: +1.0 = just significant upward, -2.5 = well below expectation.
    Immutable; a NamedTuple, not a frozen dataclass: a replay builds one per channel
    per rule row it judges, and a frozen dataclass's __init__ cost twice as much.
    """

    level: float
    expected: float
    observed: float


@dataclass
class Evidence:
    ts: float
    shifts: dict[str, ChannelShift] = field(default_factory=dict)
    sensor_findings: dict[str, list[str]] = field(default_factory=dict)  # channel -> check names
    ready: bool = True  # the detector has learned this pump (pump-fault rules need it)
    # the best single-sensor explanation of the shifts (heatwatch.edge.heatpump.sensor_offset.SensorOffset)
    sensor_offset: Any = None
    # "model": shifts from the pump's own healthy model; "prior": distances outside the
    # normal bands of any heat pump, while the own model is still being learned
    basis: Literal["model", "prior", "fleet prior", "own start"] = "model"
    # the pump has stopped on protection since it was last seen to: its readings since are those of
    # a faulted, stopped, restarting or locked-out pump, not the healthy model's operating points
    tripped: bool = False


@dataclass(frozen=True)
class Subject:
    """A rule's notice on one channel (None: the pump's): what a revised diagnosis names."""

    rule: str
    fault: str
    channel: str | None


@dataclass
class Diagnosis:
    rule: str
    fault: str
    state: Literal["raised", "cleared"]
    severity: str
    confidence: float
    ts: float
    since_ts: float
    channel: str | None
    parts: list[str]
    explanation: str
    findings: list[Finding]
    # cleared because a rule it yields to was raised (a withdrawal, not a recovery): that rule's notice
    explained_by: Subject | None = None
    # raised: the standing notices it withdrew in the same round (they yield to it)
    revises: list[Subject] = field(default_factory=list)


@dataclass
class _Track:
    first_true: float | None = None
    last_true: float | None = None
    active: bool = False
    confidence: float = 0.0


def _meets(shift: ChannelShift | None, cond: ShiftCondition) -> bool:
    return shift is not None and _meets_level(shift.level, cond)


def _meets_level(level: float, cond: ShiftCondition) -> bool:
    if cond.direction == "either":
        return abs(level) >= cond.level
    return level >= cond.level if cond.direction == "up" else level <= -cond.level


def min_support_on(rule: Rule, basis: str) -> int:
    """How many support conditions the rule needs on evidence of this basis: prior_min_support on the
    prior's bands, fleet_min_support against a fleet's model, where given; else min_support."""
    if basis == "prior" and rule.prior_min_support is not None:
        return rule.prior_min_support
    if basis == "fleet prior" and rule.fleet_min_support is not None:
        return rule.fleet_min_support
    return rule.min_support


def _sources(channel: str) -> tuple[str, ...]:
    return DERIVED_FROM.get(channel, (channel,))


def _meets_coded(level: float, mode: int, lv: float, neg: float) -> bool:
    """_meets_level on a condition coded by _code (0 either, 1 up, 2 down): the same comparison."""
    if mode == 0:
        return abs(level) >= lv
    return level >= lv if mode == 1 else level <= neg


def _code(items) -> tuple[tuple[str, int, float, float], ...]:
    """(channel, condition) pairs as (channel, mode, level, -level) for _meets_coded."""
    return tuple((ch, 0 if c.direction == "either" else 1 if c.direction == "up" else 2, c.level, -c.level)
                 for ch, c in items)


@dataclass(frozen=True)
class _ExplainPlan:
    """What RuleEngine._sensor_explains reads of a rule for one sensor channel, made once."""

    rule: Rule
    require: tuple
    support: tuple
    relations: tuple  # refrigerant-side relations the sensor does not enter, required then supports
    own: tuple  # required witnesses the sensor does not enter
    operating_point: bool
    reads: frozenset  # the shifts' channels it may read: the relations', then the own or (none) the supports'


_EXPLAIN_PLANS: dict[tuple[int, str], _ExplainPlan] = {}


def _explain_plan(rule: Rule, channel: str) -> _ExplainPlan:
    """The rule's plan for a sensor channel (kept with the rule: its id stays its own while it lives)."""
    plan = _EXPLAIN_PLANS.get((id(rule), channel))
    if plan is None or plan.rule is not rule:
        if len(_EXPLAIN_PLANS) > 4096:
            _EXPLAIN_PLANS.clear()
        both = [*rule.require.items(), *rule.support.items()]
        require, support = _code(rule.require.items()), _code(rule.support.items())
        relations = _code((ch, c) for ch, c in both if ch in REFRIGERANT_RELATIONS and channel not in _sources(ch))
        own = _code((ch, c) for ch, c in rule.require.items() if channel not in _sources(ch))
        plan = _EXPLAIN_PLANS[(id(rule), channel)] = _ExplainPlan(
            rule, require, support, relations, own, channel in OPERATING_POINT_SENSORS,
            frozenset(ch for ch, *_ in (*relations, *(own or support))))
    return plan


class RuleEngine:
    """Evaluate rules on successive Evidence; returns raised/cleared Diagnoses."""

    def __init__(self, rules: Iterable[Rule]):
        self.rules = list(rules)
        self._clear_after = {r.name: r.clear_after for r in self.rules}
        self._pump_rules = frozenset(r.name for r in self.rules if r.require and r.sensor is None)
        self._isolated_rules = [r for r in self.rules if r.isolated_shift]
        # shift rules that name a sensor (``sensor:``): while one stands raised, its channel is named
        self._named_by = frozenset(r.name for r in self.rules if r.sensor is not None)
        # rules whose raised notice is held until its bounds hold with a margin (clear_margin)
        self._margin_rules = frozenset(r.name for r in self.rules if r.clear_margin is not None)
        # rule -> the rules it yields to while they stand raised (yields_to)
        self._yields = {r.name: frozenset(r.yields_to) for r in self.rules if r.yields_to}
        names = {r.name for r in self.rules}
        for name, others in self._yields.items():
            unknown = sorted(others - names)
            if unknown:
                raise ValueError(f"rule {name!r}: yields_to names no rule: {', '.join(unknown)}")
        self._tracks: dict[tuple[str, str | None], _Track] = {}
        self._subjects_cache: tuple[dict, int, dict[str, list[str | None]]] | None = None

    @classmethod
    def from_files(cls, paths: Iterable[str | Path] = (DEFAULT_RULE_FILE,)) -> "RuleEngine":
        rules: list[Rule] = []
        for p in paths:
            rules.extend(load_rule_file(p))
        return cls(rules)

    @property
    def active(self) -> list[tuple[str, str | None]]:
        """(rule name, channel) pairs currently raised."""
        return [k for k, t in self._tracks.items() if t.active]

    def state(self) -> list[list]:
        """Each rule's timing per subject: a restart neither raises a standing fault again
        nor restarts the hours a developing one has already been seen."""
        return [[name, channel, t.first_true, t.last_true, t.active, t.confidence]
                for (name, channel), t in self._tracks.items()]

    def load_state(self, tracks: list[list]) -> None:
        known = {r.name for r in self.rules}
        self._tracks = {(name, channel): _Track(first, last, bool(active), float(conf))
                        for name, channel, first, last, active, conf in tracks if name in known}

    def evaluate(self, ev: Evidence, shift_candidates: frozenset[str] | set[str] | None = None) -> list[Diagnosis]:
        """``shift_candidates``: the shift rules whose require, exclude and support the evidence's
        levels can meet, as the caller has already judged them (PumpPipeline.process_batch's table);
        the others are not read again (they match nothing). None: every rule is read."""
        return self.advance(ev.ts, self._all_matches(ev, shift_candidates), lambda: ev)

    def advance(self, ts: float, matches: dict[str, list[tuple[str | None, float, Any]]],
                evidence: Callable[[], Evidence]) -> list[Diagnosis]:
        """Every rule's timers moved on by its matches now (rule name -> [(channel, confidence,
        findings or a function giving them)]; a rule not named matched nothing); ``evidence()`` is
        asked only for a diagnosis's text.
        A replay that knows the matches from arrays (PumpPipeline.process_batch) calls this directly."""
        out: list[Diagnosis] = []
        subjects = self._subjects()
        for rule in self.rules:
            # a rule yields to one raised before it, this row too (file order: the specific rule first)
            yielded = rule.name in self._yields and self._yielded(rule.name)
            ms = () if yielded else matches.get(rule.name, ())
            if not ms and rule.name not in subjects:
                continue
            for channel, conf, findings in ms:
                out.extend(self._advance(rule, channel, ts, evidence, True, conf, findings))
            # subjects of this rule that did not match now
            tracked = subjects.get(rule.name)
            if tracked:
                matched = {c for c, _, _ in ms}
                for channel in tracked:
                    t = self._tracks[(rule.name, channel)]
                    if channel in matched:
                        continue
                    if t.active and rule.clear_margin is not None and not yielded \
                            and self._not_back(rule, evidence()):
                        t.last_true = ts  # raised, and its reading not shown back: still seen
                        continue
                    # an idle track (not raised, no hold running) stays as it is when not matched
                    if t.active or t.first_true is not None:
                        out.extend(self._advance(rule, channel, ts, evidence, False, 0.0, []))
        if self._yields:
            out.extend(self._withdraw(ts, evidence, out))
        return out

    def _withdraw(self, ts: float, evidence: Callable[[], Evidence], out: list[Diagnosis]) -> list[Diagnosis]:
        """Clear now every raised notice of a rule that yields to one standing raised: the better
        explanation speaks from the round it is raised, not the yielding rule's clear_after later (a
        flow meter drifting low named low_water_flow first stood a week beside the meter's notice,
        the technician sent for a water-side fault that was not there). The cleared diagnosis names
        the notice that explains it better (explained_by); that notice's raise in this round, if
        it is in ``out``, lists what it revises. Afterwards no yielding rule stands beside a rule it
        yields to, so steady_advance, which raises nothing, keeps it so."""
        yields, tracks = self._yields, self._tracks
        raised = [k for k, t in tracks.items() if t.active and k[0] in yields]  # on most rounds: none
        if not raised:
            return []
        rules = {r.name: r for r in self.rules}
        withdrawn: list[Diagnosis] = []
        for key in raised:
            others = yields[key[0]]
            better = next((k for k, t in tracks.items() if t.active and k[0] in others), None)
            if better is None:
                continue
            rule, t = rules[key[0]], self._tracks[key]
            t.active = False
            by = Subject(better[0], rules[better[0]].fault, better[1])
            d = self._diagnosis(rule, key[1], evidence(), "cleared", t, [])
            d.explained_by = by
            t.first_true = t.last_true = None
            withdrawn.append(d)
            for r in out:
                if r.state == "raised" and (r.rule, r.channel) == better:
                    r.revises.append(Subject(rule.name, rule.fault, key[1]))
        return withdrawn

    def _yielded(self, name: str) -> bool:
        """Does this rule match nothing now: one it yields to stands raised?"""
        others = self._yields[name]
        return any(t.active for (n, _), t in self._tracks.items() if n in others)

    @staticmethod
    def _not_back(rule: Rule, ev: Evidence) -> bool:
        """A raised rule with a clear_margin, not matched now: is its reading still not shown back?
        True while every bound it requires is judged (the prior's averages) and one of them stands less
        than clear_margin inside (excess > -margin), and no exclude says another notice speaks. A
        bound not judged (the pump's own model learned, which the prior lets happen only inside every
        bound; or a reading missing) holds nothing: clear_after alone then."""
        shifts = ev.shifts
        for ch, c in rule.exclude.items():
            s = shifts.get(ch)
            if s is not None and _meets_level(s.level, c):
                return False
        margin = -rule.clear_margin  # type: ignore[operator]
        out = False
        for ch in rule.require:
            if ch not in BOUND_EXCESS_NAMES:  # a band's level beside the bounds: its observed is no excess
                continue
            s = shifts.get(ch)
            if s is None:
                return False
            out = out or s.observed > margin
        return out

    def sensor_hits(self, sensor_findings: dict[str, list[str]]) -> dict[tuple[str, str | None], float]:
        """sensor_matches' subjects and confidences, without their findings (for steady_advance)."""
        return {(rule.name, ch): rule.confidence for rule in self.rules if rule.sensor_check
                for ch, checks in sensor_findings.items() if any(check in rule.sensor_check for check in checks)}

    def steady_advance(self, ts: float, matched: dict[tuple[str, str | None], float]) -> bool:
        """advance(ts, matches) on a row that can raise or clear nothing, in a few look-ups: every
        subject matched (rule name, channel -> confidence) stands raised already, and no other
        track's clear or gap is due. True: done, the tracks moved exactly as advance moves them
        (the matched ones' last sighting and confidence); False: nothing was changed, call advance.
        A replay's rule rows while a raised fault goes on matching are nearly all such rows."""
        if not self._all_standing(matched):
            return False
        tracks = self._tracks
        clear_after = self._clear_after
        margin_rules = self._margin_rules
        for key, t in tracks.items():
            if key in matched or t.last_true is None:
                continue
            if t.active:
                # a held notice's sighting moves with the evidence's margin: advance reads it
                if ts - t.last_true >= clear_after[key[0]] or key[0] in margin_rules:
                    return False
            elif t.first_true is not None and ts - t.last_true > _GAP_TOLERANCE_S:
                return False
        self._sighted(matched, ts)
        return True

    def steady_run(self, ts: "np.ndarray | list[float]", matched: dict[tuple[str, str | None], float]) -> int:
        """steady_advance(t, matched) for each t of ``ts`` (rising) in turn, up to the first that says
        False: how many said True (the tracks moved as they move them; the rest not called). Those
        calls read the other tracks' last sightings, which none of them moves, against times that
        only grow, so each track's first due time is found on all of ``ts`` at once with the same
        subtractions and comparisons; the matched tracks end with the last sighting and the max
        confidence (the same conf each time). A replay's run of rule rows on which the same raised
        fault matches the same rules (PumpPipeline._after_batch) is one call, not one per row."""
        if not self._all_standing(matched):
            return 0
        tracks = self._tracks
        n = len(ts)
        if not n:
            return 0
        T = np.array(ts, dtype=np.float64)
        clear_after = self._clear_after
        margin_rules = self._margin_rules
        for key, t in tracks.items():
            if key in matched or t.last_true is None:
                continue
            if t.active:
                if key[0] in margin_rules:
                    return 0
                due = T - t.last_true >= clear_after[key[0]]
            elif t.first_true is not None:
                due = T - t.last_true > _GAP_TOLERANCE_S
            else:
                continue
            if due[0]:
                return 0
            if due[n - 1]:  # due from some row on (the difference only grows): the rows before it
                n = int(np.argmax(due[:n]))
        self._sighted(matched, float(T[n - 1]))  # (a Python float, as the rows' own times)
        return n

    def _all_standing(self, matched: dict[tuple[str, str | None], float]) -> bool:
        """Every subject matched stands raised already, by a rule that yields to none (whether it yields is
        advance's to judge): the premise of a steady row."""
        tracks = self._tracks
        yields = self._yields
        for key in matched:
            t = tracks.get(key)
            if t is None or not t.active or t.first_true is None or key[0] in yields:
                return False
        return True

    def _sighted(self, matched: dict[tuple[str, str | None], float], ts: float) -> None:
        """The matched tracks seen again at ``ts``, with their confidence at its highest."""
        tracks = self._tracks
        for key, conf in matched.items():
            t = tracks[key]
            t.last_true = ts
            t.confidence = max(t.confidence, conf)

    def _subjects(self) -> dict[str, list[str | None]]:
        """Rule -> channels with a track, in the tracks' order. Tracks are only ever added (or the
        dict replaced, load_state), so the same dict at the same length has the same keys: made
        again only when a track was added, not on each of a season's hundred thousand advances."""
        c = self._subjects_cache
        if c is None or c[0] is not self._tracks or c[1] != len(self._tracks):
            subjects: dict[str, list[str | None]] = {}
            for name, channel in self._tracks:
                subjects.setdefault(name, []).append(channel)
            c = self._subjects_cache = (self._tracks, len(self._tracks), subjects)
        return c[2]

    def _all_matches(self, ev: Evidence, shift_candidates: frozenset[str] | set[str] | None = None
                     ) -> dict[str, list[tuple[str | None, float, list[Finding]]]]:
        """Every rule's matches now. A pump-fault pattern explains a drift better than a
        lying sensor can, so sensor-drift rules only speak while no pump rule matches
        or stands raised, and never on a pump that has tripped since it was last seen to: the
        trip says the pump is faulted (the healthy model no longer describes it), and its offset
        from that model is no sensor's. Service area, 5-minute poll: two evaporator-fouling pumps
        got a t_outdoor drift ticket after their trip (5 h and 9 days after), on a coil that had
        fouled to the trip and a pump locked out."""
        out = {rule.name: self._matches(rule, ev) if shift_candidates is None or rule.sensor_check
               or rule.name in shift_candidates else [] for rule in self.rules if not rule.isolated_shift}
        return self._with_isolated(out, ev)

    def _with_isolated(self, out: dict[str, list], ev: Evidence) -> dict[str, list]:
        """The isolated-shift rules' matches added to the other rules' (``out``; a rule not named
        matched nothing): none while a pump rule matches or stands raised (see _all_matches)."""
        pump_rules = self._pump_rules
        pump_fault_seen = any(out.get(n) for n in pump_rules) or any(
            t.active for (n, _), t in self._tracks.items() if n in pump_rules)
        for rule in self._isolated_rules:
            out[rule.name] = [] if pump_fault_seen or ev.tripped or not ev.ready else self._isolated(rule, ev)
        return out

    def offset_matches(self, ev: Evidence, shift_matches: dict[str, tuple[Rule, list]]) -> dict[str, list]:
        """_all_matches on ready evidence with no sensor finding whose shift rules' conditions are
        known to hold for ``shift_matches`` (rule name -> (rule, its matches as _shift_rule makes them
        before the offset is read)) and for no other rule: each yields to the single-sensor offset
        as _shift_rule makes it yield, and the isolated rules are judged as _all_matches judges
        them. ``ev`` need carry only the shifts those rules read (a replay's rule rows where the
        offset is read for its veto alone: PumpPipeline.process_batch)."""
        out = {name: ms for name, (rule, ms) in shift_matches.items() if not self._sensor_explains(rule, ev)}
        return self._with_isolated(out, ev)

    # -- conditions ---------------------------------------------------------
    def _matches(self, rule: Rule, ev: Evidence) -> list[tuple[str | None, float, list[Finding]]]:
        if rule.sensor_check:
            return self._sensor_rule(rule, ev.sensor_findings)
        if not ev.ready:
            return []
        return self._shift_rule(rule, ev)

    @staticmethod
    def _sensor_rule(rule: Rule, sensor_findings: dict[str, list[str]]) -> list[tuple[str | None, float, list[Finding]]]:
        """A sensor-check rule's matches: one per channel whose failed checks it names."""
        return [
            (ch, rule.confidence, [Finding(kind="sensor", channels=[ch], message=f"{check} check failed")])
            for ch, checks in sensor_findings.items()
            for check in checks if check in rule.sensor_check
        ]

    def sensor_matches(self, sensor_findings: dict[str, list[str]]) -> dict[str, list[tuple[str | None, float, list[Finding]]]]:
        """The sensor-check rules' matches on evidence with these findings, as evaluate makes them
        (for advance: a replay whose row can match no shift rule and reads no sensor offset, so
        no isolated rule either, needs no more of its evidence; PumpPipeline.process_batch)."""
        return {rule.name: ms for rule in self.rules if rule.sensor_check
                and (ms := self._sensor_rule(rule, sensor_findings))}

    def _shift_rule(self, rule: Rule, ev: Evidence) -> list[tuple[str | None, float, list[Finding]]]:
        # all required met, none excluded (plain loops: judged on every rule row while a timer runs)
        shifts = ev.shifts
        for ch, c in rule.require.items():
            s = shifts.get(ch)
            if s is None or not _meets_level(s.level, c):
                return []
        for ch, c in rule.exclude.items():
            s = shifts.get(ch)
            if s is not None and _meets_level(s.level, c):
                return []
        # a broken sensor under a required channel is no witness of a pump fault
        broken = set(ev.sensor_findings)
        if any(src in broken for ch in rule.require for src in _sources(ch)):
            return []
        met = [ch for ch, c in rule.support.items() if _meets(ev.shifts.get(ch), c)]
        if len(met) < min_support_on(rule, ev.basis):
            return []
        if self._sensor_explains(rule, ev):
            return []
        return [(rule.sensor, self.confidence(rule, len(met)), lambda: [self._finding(ch, ev.shifts[ch])
                                                                       for ch in [*rule.require, *met]])]

    @staticmethod
    def confidence(rule: Rule, n_support_met: int) -> float:
        """A shift rule's confidence, grown by the share of its support channels that agree."""
        conf = rule.confidence
        if rule.support:
            conf *= 0.75 + 0.25 * n_support_met / len(rule.support)
        return conf

    def offset_may_count(self, so: Any) -> bool:
        """Could this single-sensor offset make any rule say something else than no offset (None)?
        Only by making a shift rule yield (_sensor_explains' first two tests passed) or an isolated
        rule match (_isolated's thresholds met): the same comparisons, so False means every rule
        says with it what it says with None (PumpPipeline.process_batch then takes the table's path
        on that row instead of building its evidence)."""
        if so is None:
            return False
        if not (so.explained < SENSOR_SHARE) and (
                so.explained >= SENSOR_EXPLAINS or not (so.level < SENSOR_LEVEL or so.channel not in OPERATING_POINT_SENSORS)):
            return True
        return any(not (so.explained < r.isolated_explained or so.level < r.isolated_level)
                   for r in self.rules if r.isolated_shift)

    @staticmethod
    def _sensor_explains(rule: Rule, ev: Evidence) -> bool:
        """_sensor_explains_reference's verdict, with the rule's parts it reads for the sensor's channel
        taken once (_ExplainPlan: the conditions as (channel, mode, level, -level), the relations' and
        the own witnesses' lists) instead of on each call: the same comparisons of the same floats in
        the same order (judged on each of a season's 100,000 offset rows, rule by rule)."""
        so = ev.sensor_offset
        if so is None or so.explained < SENSOR_SHARE:
            return False
        plan = _explain_plan(rule, so.channel)
        if so.explained >= SENSOR_EXPLAINS:
            alone = so.predicted
            if all(ch in alone and _meets_coded(alone[ch], m, lv, neg) for ch, m, lv, neg in plan.require):
                n = 0
                for ch, m, lv, neg in plan.support:
                    if ch in alone and _meets_coded(alone[ch], m, lv, neg):
                        n += 1
                if n >= rule.min_support:
                    return True
        if so.level < SENSOR_LEVEL or not plan.operating_point:
            return False
        shifts, predicted = ev.shifts, so.predicted
        for ch, m, lv, neg in plan.relations:
            s = shifts.get(ch)
            if s is not None and _meets_coded(s.level - predicted.get(ch, 0.0), m, lv, neg):
                return False
        if plan.own:
            for ch, m, lv, neg in plan.own:
                s = shifts.get(ch)
                if s is None or not _meets_coded(s.level - predicted.get(ch, 0.0), m, lv, neg):
                    return True
            return False
        n = 0
        for ch, m, lv, neg in plan.support:
            s = shifts.get(ch)
            if s is not None and _meets_coded(s.level - predicted.get(ch, 0.0), m, lv, neg):
                n += 1
        return n < rule.min_support

    @staticmethod
    def veto_reads(rule: Rule, so: Any) -> frozenset[str]:
        """The channels of ``ev.shifts`` _sensor_explains(rule, ev) may read with this offset (the
        same tests in the same order gate the reading): any other channel's shift, or its absence,
        cannot change the verdict (PumpPipeline._offset_matches builds only these)."""
        if so is None or so.explained < SENSOR_SHARE or so.level < SENSOR_LEVEL or so.channel not in OPERATING_POINT_SENSORS:
            return frozenset()
        return _explain_plan(rule, so.channel).reads

    @staticmethod
    def _sensor_explains_reference(rule: Rule, ev: Evidence) -> bool:
        """Would one drifting sensor, by itself, show everything this rule needs? Or is every
        witness the rule counts on moved only by that sensor's offset?

        A pump fault changes the refrigerant relations; a drifting sensor only those it enters
        (a t_outdoor reading high shifts evap_approach and, through the healthy model's operating
        point, the p_low and t_evap it expects, never subcooling or superheat). With an
        operating-point sensor (OPERATING_POINT_SENSORS) explaining SENSOR_SHARE of the drift,
        take its own part out of each shift: unless a refrigerant-side relation
        (REFRIGERANT_RELATIONS) still moves as the rule says, the rule yields when a required
        channel the sensor does not enter falls short (or, for a rule whose required channels the
        sensor all enters, when fewer supports than it needs are left). The supports alone never
        make it yield: a pump fault moves them as the sensor does, so they tell neither apart.
        demo_fleet with half a day of commissioning: a leak opened the valve 6.3 alarm units (0.9
        of them the offset's) while a t_outdoor offset explained 48 % of the drift through p_low,
        t_evap, t_suction and evap_approach; taking those supports away left the pump to trip
        unticketed. Held-out Oslo R290, 3-min poll: a t_outdoor drift was called a leak on a
        valve 1.2 alarm units high "supported" by the p_low and evap_approach the drift moved
        (offset explaining 40 %), and a fouled coil on a fan 0.6 units slow, 0.3 of them the
        offset's (explaining 90 %). A valve stuck open lowers the superheat whatever the outdoor
        sensor reads: without the relations' exception fault_eev_stuck_open's hp-002 was named
        4.2 days later.
        """
        so = ev.sensor_offset
        if so is None or so.explained < SENSOR_SHARE:
            return False
        if so.explained >= SENSOR_EXPLAINS:
            alone = so.predicted  # the shifts the sensor alone would make (their levels)
            if all(ch in alone and _meets_level(alone[ch], c) for ch, c in rule.require.items()) and \
                    sum(ch in alone and _meets_level(alone[ch], c)
                        for ch, c in rule.support.items()) >= rule.min_support:
                return True
        if so.level < SENSOR_LEVEL or so.channel not in OPERATING_POINT_SENSORS:
            return False
        shifts, predicted = ev.shifts, so.predicted

        def rest_meets(ch: str, c: ShiftCondition) -> bool:
            """_meets on the channel's shift without the sensor's part (only its level is read)."""
            s = shifts.get(ch)
            return s is not None and _meets_level(s.level - predicted.get(ch, 0.0), c)

        if any(rest_meets(ch, c) for ch, c in [*rule.require.items(), *rule.support.items()]
               if ch in REFRIGERANT_RELATIONS and so.channel not in _sources(ch)):
            return False  # a relation of the refrigerant side moved: the pump (a valve's superheat)
        # the required witnesses the sensor does not enter (a leak's valve opening, a fouled coil's
        # fan for an outdoor sensor); one it enters (evap_approach) is no witness either way
        own = [(ch, c) for ch, c in rule.require.items() if so.channel not in _sources(ch)]
        if own:
            # compare explanations where they differ: the supports a pump fault shares with the
            # sensor's fingerprint (a leak lowers p_low and raises evap_approach as an outdoor sensor
            # reading high does) tell neither apart; the rule's required witnesses do. The sensor
            # explains the match only if, without its part, one of them falls short
            return not all(rest_meets(ch, c) for ch, c in own)
        return sum(rest_meets(ch, c) for ch, c in rule.support.items()) < rule.min_support

    def _isolated(self, rule: Rule, ev: Evidence) -> list[tuple[str | None, float, list[Finding]]]:
        """A sensor whose offset alone explains the drift (heatwatch.edge.heatpump.sensor_offset)."""
        so = ev.sensor_offset
        if so is None or so.explained < rule.isolated_explained or so.level < rule.isolated_level:
            return []
        if so.channel in ev.sensor_findings:  # already reported by a sensor check
            return []
        if any(t.active and ch == so.channel and n in self._named_by for (n, ch), t in self._tracks.items()):
            return []  # already named by a sensor rule that stands raised (the flow meter's own notice)
        unit = _UNITS.get(so.channel, "")
        word = "high" if so.offset > 0 else "low"
        finding = Finding(
            kind="residual", channels=[so.channel], observed=round(so.offset, 3), score=round(so.level, 3),
            message=(f"{so.channel} reads about {abs(so.offset):.1f} {unit} too {word}: that one offset explains "
                     f"{so.explained:.0%} of how this pump's readings differ from its healthy model"),
        )
        conf = rule.confidence * min(1.0, so.explained)
        return [(so.channel, conf, [finding])]

    @staticmethod
    def _finding(channel: str, s: ChannelShift) -> Finding:
        word = "above" if s.level > 0 else "below"
        if channel in _PHYSICS_MESSAGES:  # a bound of physics on the water thermistors (water_physics.py)
            message = f"{_PHYSICS_MESSAGES[channel]} by {s.observed:.2f} K"
        elif channel in ("flow_meter_low", "flow_meter_high"):  # the meter against the heat per input (flow_meter.py)
            message = (f"the flow meter reads {s.observed:.1f} l/min where the heat per unit of input this pump "
                       f"learned says {s.expected:.1f}; the meter explains the COP better than a real change of "
                       f"flow by {s.level:.1f} alarm units")
        elif channel == "design_cond_approach":  # a ceiling from the design data, not this pump's learned value
            message = (f"the condenser approach {s.observed:.2f} K is {word} the {s.expected:.2f} K a clean "
                       "condenser of this pump's design allows at its water flow and delta-T")
        else:
            message = f"{channel} {s.observed:.2f} is {word} the {s.expected:.2f} this pump shows when healthy"
        return Finding(
            kind="residual", channels=[channel], expected=round(s.expected, 3), observed=round(s.observed, 3),
            score=round(s.level, 3), message=message,
        )

    # -- timing -------------------------------------------------------------
    def _advance(self, rule: Rule, channel: str | None, ts: float, evidence: Callable[[], Evidence], true_now: bool,
                 conf: float, findings: "list[Finding] | Callable[[], list[Finding]]") -> list[Diagnosis]:
        key = (rule.name, channel)
        t = self._tracks.setdefault(key, _Track())
        if true_now:
            if t.first_true is None or (t.last_true is not None and ts - t.last_true > _GAP_TOLERANCE_S and not t.active):
                t.first_true = ts
            t.last_true = ts
            t.confidence = max(t.confidence, conf) if t.active else conf
            if not t.active and ts - t.first_true >= rule.hold:
                t.active = True
                found = findings() if callable(findings) else findings
                return [self._diagnosis(rule, channel, evidence(), "raised", t, found)]
            return []
        if t.active and t.last_true is not None and ts - t.last_true >= rule.clear_after:
            t.active = False
            d = self._diagnosis(rule, channel, evidence(), "cleared", t, [])
            t.first_true = None
            return [d]
        if not t.active and t.last_true is not None and ts - t.last_true > _GAP_TOLERANCE_S:
            t.first_true = None
        return []

    @staticmethod
    def _diagnosis(rule: Rule, channel: str | None, ev: Evidence, state: str, t: _Track,
                   findings: list[Finding]) -> Diagnosis:
        return Diagnosis(
            rule=rule.name, fault=rule.fault, state=state, severity=rule.severity,  # type: ignore[arg-type]
            confidence=round(t.confidence, 3), ts=ev.ts, since_ts=ev.ts if t.first_true is None else t.first_true, channel=channel,
            parts=[_explain(p, channel, ev) for p in rule.parts], explanation=_explain(rule.explanation, channel, ev), findings=findings,
        )


class _Fmt(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _explain(template: str, channel: str | None, ev: Evidence) -> str:
    """Fill `{channel}`, `{superheat.observed}`-style fields; unknown fields stay as written."""
    fields = _Fmt(channel=channel or "", **{k: v for k, v in ev.shifts.items()})
    try:
        return template.format_map(fields)
    except (ValueError, AttributeError, IndexError, KeyError, TypeError):
        return template
