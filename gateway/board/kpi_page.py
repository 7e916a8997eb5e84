"""/board/kpis: the service KPIs over the last 30, 90 or 365 days, each with what it stands on, and
charts of the failures seen coming, the lead times and the survey scores. The figures come from
gateway/kpis (the same functions GET /kpis answers with), so page and API never disagree."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from heatwatch.gateway.board.session import Viewer, count
from heatwatch.gateway.board.templates import page
from heatwatch.gateway.board.wording import span
from heatwatch.gateway.deps import SessionDep
from heatwatch.gateway.kpis.figures import PERIOD_DAYS
from heatwatch.gateway.kpis.router import kpi_document

router = APIRouter()
DEFAULT_DAYS = 90
# name, what the ticket/answer counts are of, for each share
SHARES = {"opened_before_failure": ("Tickets opened before the failure", "tripped tickets"),
          "first_time_fix": ("First-time fix", "repaired tickets"),
          "no_fault_found": ("No fault found", "resolved tickets"),
          "response_sla": ("Response SLA met", "tickets with a response due"),
          "resolution_sla": ("Resolution SLA met", "resolved tickets"),
          "csat": ("CSAT (4-5 of 5)", "answers")}


@dataclass(frozen=True)
class Row:
    key: str
    name: str
    value: str  # as the page shows it
    stands_on: str
    raw: Any  # the JSON figure's value (the browser test compares it)


def rows(figures: dict[str, dict[str, Any]]) -> list[Row]:
    """The figures as the page's table shows them, in the API's order."""
    out = []
    for key, f in figures.items():
        if key == "lead_time":
            value = ("–" if f["median_s"] is None else
                     f"median {_days(f['median_s'])}, 10th percentile {_days(f['p10_s'])}")
            out.append(Row(key, "Lead time before failure", value, f"{f['n']} tripped tickets", f["median_s"]))
        elif key == "nps":
            value = "–" if f["value"] is None else f"{f['value']:+.0f}"
            out.append(Row(key, "NPS (promoters - detractors)", value, f"{f['n']} answers", f["value"]))
        elif key == "effort":
            value = "–" if f["value"] is None else f"{f['value']:.1f} of 7"
            out.append(Row(key, "Customer effort (CES, mean)", value, f"{f['n']} answers", f["value"]))
        else:
            name, of = SHARES[key]
            value = "–" if f["value"] is None else f"{100 * f['value']:.1f} %"
            out.append(Row(key, name, value, f"{f['part']} of {f['n']} {of}", f["value"]))
    return out


def _days(seconds: float) -> str:
    return "0 min" if seconds < 60 else span(timedelta(seconds=seconds))


@router.get("/kpis")
def kpi_page(request: Request, session: SessionDep, user: Viewer) -> Response:
    raw = request.query_params.get("days", str(DEFAULT_DAYS))
    if raw not in {str(d) for d in PERIOD_DAYS}:
        count(request, "refused.bad_input")
        return page(request, "message.html", {"user": user, "title": "No such period", "message":
                    f"days={raw[:20]!r}: the KPIs cover the last {', '.join(map(str, PERIOD_DAYS))} days"}, 422)
    doc = kpi_document(session, int(raw), charts=True)
    return page(request, "kpis.html", {"user": user, "days": int(raw), "periods": PERIOD_DAYS,
                                       "rows": rows(doc["figures"]), "period": doc["period"],
                                       "charts_json": json.dumps(doc["charts"])})
