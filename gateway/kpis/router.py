"""GET /kpis: the KPI page's figures as JSON, for an operator to pull (dispatchers and admins)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from heatwatch.gateway.api.errors import AUTH_ERRORS, invalid
from heatwatch.gateway.db import utcnow
from heatwatch.gateway.deps import Office, SessionDep
from heatwatch.gateway.kpis.figures import PERIOD_DAYS, Period, all_figures
from heatwatch.gateway.kpis.series import all_series

router = APIRouter(prefix="/kpis", tags=["kpis"], responses=AUTH_ERRORS)


def kpi_document(session: Session, days: int, charts: bool = False) -> dict[str, Any]:
    """The figures over the last ``days`` (and the charts' data), as the endpoint answers them."""
    period = Period.last(days, utcnow())
    doc: dict[str, Any] = {"period": {"days": days, "start": period.start.isoformat(), "end": period.end.isoformat()},
                           "figures": {k: v.to_json() for k, v in all_figures(session, period).items()}}
    if charts:
        doc["charts"] = all_series(session, period)
    return doc


@router.get("", summary="Service KPIs over the last 30, 90 or 365 days (docs/board.md defines each)")
def kpis(session: SessionDep, _user: Office, days: Annotated[int, Query(description="30, 90 or 365")] = 90,
         charts: Annotated[bool, Query(description="also the weekly series the board charts")] = False
         ) -> dict[str, Any]:
    """Each figure with what it stands on: ``value`` (a fraction 0-1 for shares, -100..100 for NPS,
    1-7 for effort), ``part`` and ``n`` (tickets or answers); lead times in seconds."""
    if days not in PERIOD_DAYS:
        raise invalid(("query", "days"), f"one of {', '.join(map(str, PERIOD_DAYS))}", days)
    return kpi_document(session, days, charts)
