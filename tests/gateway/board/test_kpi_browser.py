"""The KPI page in headless Chromium: the three charts are drawn with data, and the table shows the
figures kpis/figures.py computes over the same database (kpi_world.py's rows, at the wall clock)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from heatwatch.gateway.db import utcnow
from heatwatch.gateway.kpis.figures import Period, all_figures
from tests.gateway.board.test_board_browser import sign_in
from tests.gateway.kpis.kpi_world import build_kpi_world

PAINTED = ("c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
           " let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }")


@pytest.fixture(scope="module", autouse=True)
def kpi_rows(board_db, board_world):
    return build_kpi_world(board_db[0], utcnow())


def test_kpi_page_draws_its_charts_and_matches_the_module(page, board_db, board_world):
    sign_in(page, board_world.api.tokens["dispatcher"])
    page.click("header a.nav")
    expect(page).to_have_url(page.url.split("/board")[0] + "/board/kpis")
    page.click("#periods a:has-text('30 days')")
    expect(page.locator("#periods strong")).to_have_text("30 days")
    with board_db[0].sessions() as s:
        figures = {k: v.to_json() for k, v in all_figures(s, Period.last(30, utcnow())).items()}
    for key, figure in figures.items():
        value = figure["median_s"] if key == "lead_time" else figure["value"]
        shown = page.locator(f'#kpis tr[data-kpi="{key}"]').get_attribute("data-value")
        assert float(shown) == pytest.approx(value), key
    expect(page.locator('#kpis tr[data-kpi="nps"] td.value')).to_have_text("+20")
    expect(page.locator('#kpis tr[data-kpi="csat"]')).to_contain_text("6 of 9 answers")
    expect(page.locator('#kpis tr[data-kpi="opened_before_failure"] td.value')).to_have_text("80.0 %")
    for chart, at_least in (("#chart-failures", 2), ("#chart-lead", 7), ("#chart-feedback", 6)):
        box = page.locator(chart)
        expect(box.locator("canvas")).to_have_count(1)
        assert int(box.get_attribute("data-points")) >= at_least, chart
        assert box.locator("canvas").evaluate(PAINTED) > 500, chart
