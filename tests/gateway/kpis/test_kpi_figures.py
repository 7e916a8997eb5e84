"""The KPI figures over hand-built rows (kpi_world.py says how each expected figure comes about), on
SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from heatwatch.gateway.kpis import figures, series
from heatwatch.gateway.kpis.figures import Period, quantile
from tests.gateway.kpis.kpi_world import NOW, build_kpi_world

DAY = 86400.0


@pytest.fixture
def session(db):
    build_kpi_world(db)
    with db.sessions() as s:
        yield s


def test_quantile_interpolates_between_ranks():
    assert quantile([], 0.5) is None
    assert quantile([7.0], 0.1) == 7.0
    assert quantile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.5  # h = 1.5
    assert quantile([0.0, 10.0, 20.0, 30.0, 40.0, 50.0], 0.1) == pytest.approx(5.0)  # h = 0.5


def test_lead_time_and_failures_seen_coming(session):
    last30 = Period.last(30, NOW)
    lead = figures.lead_time(session, last30)
    assert lead.n == 5
    assert lead.median_s == pytest.approx(2 * DAY)
    assert lead.p10_s == pytest.approx(0.4 * DAY)
    before = figures.opened_before_failure(session, last30)
    assert (before.part, before.n, before.value) == (4, 5, 0.8)
    # 90 days add the trip 40 days ago (lead 5 d): [0, 1, 2, 4, 5, 10] d
    lead90 = figures.lead_time(session, Period.last(90, NOW))
    assert lead90.n == 6
    assert lead90.median_s == pytest.approx(3 * DAY)  # (2 + 4) / 2
    assert lead90.p10_s == pytest.approx(0.5 * DAY)  # h = 0.5 between 0 and 1 d


def test_first_time_fix_and_no_fault_found(session):
    last30 = Period.last(30, NOW)
    ftf = figures.first_time_fix(session, last30)
    assert (ftf.part, ftf.n) == (2, 4)  # R1, R4 of R1-R4; R2 came back, R3 needed a second visit
    nff = figures.no_fault_found(session, last30)
    assert (nff.part, nff.n) == (1, 5)
    # 90 days add R6, a customer call (no fault) that came back: R5, another call on its device 15 d later
    ftf90 = figures.first_time_fix(session, Period.last(90, NOW))
    assert (ftf90.part, ftf90.n) == (2, 5)


def test_sla_met(session):
    last30 = Period.last(30, NOW)
    response = figures.response_sla(session, last30)
    assert (response.part, response.n) == (2, 4)
    resolution = figures.resolution_sla(session, last30)
    assert (resolution.part, resolution.n) == (3, 5)


def test_survey_scores(session):
    last30 = Period.last(30, NOW)
    csat = figures.csat(session, last30)
    assert (csat.part, csat.n) == (6, 9)
    assert csat.value == pytest.approx(6 / 9)
    nps = figures.nps(session, last30)
    assert (nps.value, nps.n) == (20.0, 10)
    effort = figures.effort(session, last30)
    assert (effort.value, effort.n) == (5.0, 8)
    # the answer 40 days ago (CSAT 1, NPS 0, CES 1) in 90 days: NPS 100 (5 - 4) / 11, CES 41 / 9
    last90 = Period.last(90, NOW)
    assert figures.nps(session, last90).value == pytest.approx(100 / 11)
    assert figures.effort(session, last90).value == pytest.approx(41 / 9)
    assert figures.csat(session, last90).to_json() == {"value": 0.6, "part": 6, "n": 10}


def test_nothing_to_stand_on_is_none_not_zero(db):
    with db.sessions() as s:
        got = figures.all_figures(s, Period.last(30, NOW))
    assert got["lead_time"].to_json() == {"median_s": None, "p10_s": None, "n": 0}
    assert got["csat"].to_json() == {"value": None, "part": 0, "n": 0}
    assert got["nps"].value is None and got["effort"].value is None and got["first_time_fix"].value is None


def test_chart_series_add_up_to_the_figures(session):
    last30 = Period.last(30, NOW)
    weekly = series.weekly_failures(session, last30)
    assert len(weekly["x"]) == 6  # Mon 11 May (the period starts Sat 16 May) .. Mon 15 Jun (NOW: 12:00 that day)
    assert len(weekly["x"]) == len(set(weekly["x"])) and weekly["x"] == sorted(weekly["x"])
    assert (sum(weekly["before"]), sum(weekly["after"])) == (4, 1)
    bands = series.lead_bands(session, last30)
    assert dict(zip(bands["labels"], bands["counts"])) == {"no warning": 1, "< 1 d": 0, "1-3 d": 2, "3-7 d": 1,
                                                           "7-14 d": 1, "14-30 d": 0, "30 d +": 0}
    feedback = series.weekly_feedback(session, last30)
    assert sum(feedback["nps_n"]) == 10 and sum(feedback["csat_n"]) == 9
    # answers 1, 3, 5, 7 days before NOW (Sun 14 .. Mon 8 Jun): NPS [10, 9, 9, 8] = 75, CSAT [5, 4, 4, 3] = 75 %;
    # 9, 11, 13 days (Sat 6 .. Tue 2 Jun): NPS [7, 6, 3] = -66.7; 15, 17, 19 days (31 .. 27 May): [10, 9, 5] = 33.3
    assert feedback["nps"] == [None, None, 33.3, -66.7, 75.0, None]
    assert feedback["nps_n"] == [0, 0, 3, 3, 4, 0]
    assert feedback["csat"][4] == 75.0
