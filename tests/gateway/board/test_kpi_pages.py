"""The KPI page and GET /kpis through the TestClient, on SQLite and PostgreSQL: who may see them, bad
periods refused, and the page's figures are the module's (kpis/figures.py)."""

from __future__ import annotations

import re

import pytest

from heatwatch.gateway.db import utcnow
from heatwatch.gateway.kpis.figures import Period, all_figures
from heatwatch.gateway.settings import BoardSettings, DatabaseSettings, GatewaySettings
from tests.gateway.board.test_board_pages import sign_in
from tests.gateway.kpis.kpi_world import build_kpi_world

pytest_plugins = ["tests.gateway.api_world"]


@pytest.fixture
def client(make_api, db, db_url, world):
    build_kpi_world(db, utcnow())
    settings = GatewaySettings(database=DatabaseSettings(url=db_url), board=BoardSettings(session_secret="s" * 32))
    return make_api(settings)


def test_kpis_json_for_the_office_only(client, world, db):
    got = client.get("/kpis", params={"days": 30}, headers=world.auth("dispatcher"))
    assert got.status_code == 200, got.text
    doc = got.json()
    assert doc["period"]["days"] == 30 and "charts" not in doc
    with db.sessions() as s:
        expected = {k: v.to_json() for k, v in all_figures(s, Period.last(30, utcnow())).items()}
    assert doc["figures"] == expected
    assert doc["figures"]["nps"] == {"value": 20.0, "n": 10}  # the world's answers (kpi_world.py)
    assert doc["figures"]["first_time_fix"] == {"value": 0.5, "part": 2, "n": 4}
    assert client.get("/kpis", params={"charts": "true"}, headers=world.auth("admin")).json()["charts"]["lead_bands"]
    assert client.get("/kpis", headers=world.auth("technician")).status_code == 403
    assert client.get("/kpis", headers=world.auth("customer_a")).status_code == 403
    assert client.get("/kpis").status_code == 401
    bad = client.get("/kpis", params={"days": 7}, headers=world.auth("dispatcher"))
    assert bad.status_code == 422 and "30" in bad.text


def test_kpi_page_shows_the_modules_figures(client, world):
    assert client.get("/board/kpis", follow_redirects=False).status_code == 303  # sign in first
    sign_in(client, world.tokens["technician"])  # staff read it
    page = client.get("/board/kpis", params={"days": 30})
    assert page.status_code == 200
    api = client.get("/kpis", params={"days": 30}, headers=world.auth("dispatcher")).json()["figures"]
    shown = dict(re.findall(r'data-kpi="(\w+)" data-value="([^"]*)"', page.text))
    assert set(shown) == set(api)
    assert float(shown["csat"]) == pytest.approx(api["csat"]["value"])
    assert float(shown["lead_time"]) == pytest.approx(api["lead_time"]["median_s"])
    assert "+20" in page.text and "6 of 9 answers" in page.text
    assert "median 2 d, 10th percentile 9 h 36 min" in page.text
    assert 'data-kpi-charts="' in page.text
    assert client.get("/board/kpis").status_code == 200  # 90 days by default


def test_kpi_page_refuses_an_unknown_period(client, world):
    sign_in(client, world.tokens["dispatcher"])
    for days in ("7", "x" * 500, "-30"):
        page = client.get("/board/kpis", params={"days": days})
        assert page.status_code == 422 and "30, 90, 365" in page.text
