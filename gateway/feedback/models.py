"""Tables: visit windows offered to a customer, and survey answers.

- ``visit_proposals``: the windows a dispatcher offers for a ticket's visit; the
  customer picks one on their status page (``chosen_at``), which schedules the
  ticket. At most one chosen per ticket (a partial unique index).
- ``survey_responses``: one per resolved ticket (unique ``ticket_id``): CSAT
  1-5, NPS 0-10, effort (CES) 1-7, each optional (a one-click answer from the
  email gives one of them), and free text. The ranges are CHECKs, so no code
  path can store a score the KPIs would misread.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from heatwatch.gateway.customers.models import Customer
from heatwatch.gateway.db import Base, utcnow
from heatwatch.gateway.tickets.models import Ticket


class VisitProposal(Base):
    __tablename__ = "visit_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    proposed_by: Mapped[str] = mapped_column(String(200), default="")
    chosen_at: Mapped[datetime | None]  # the customer picked this one
    withdrawn_at: Mapped[datetime | None]  # no longer offered (another was chosen, or the dispatcher took it back)

    ticket: Mapped[Ticket] = relationship()

    __table_args__ = (
        CheckConstraint("window_end > window_start", name="window_ends_after_start"),
        CheckConstraint("chosen_at IS NULL OR withdrawn_at IS NULL", name="chosen_or_withdrawn"),
        Index("uq_visit_proposals_one_chosen", "ticket_id", unique=True,
              sqlite_where=text("chosen_at IS NOT NULL"), postgresql_where=text("chosen_at IS NOT NULL")),
    )


class SurveyResponse(Base):
    __tablename__ = "survey_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    csat: Mapped[int | None]  # 1-5: how satisfied; the CSAT score is the share of 4 and 5
    nps: Mapped[int | None]  # 0-10: would recommend; NPS = % promoters (9-10) - % detractors (0-6)
    ces: Mapped[int | None]  # 1-7: how easy it was to get it solved (customer effort; mean)
    comment: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(20), default="status_page")  # status_page | email_click
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None]  # the customer may complete or change their answer later

    ticket: Mapped[Ticket] = relationship()
    customer: Mapped[Customer] = relationship()

    __table_args__ = (
        CheckConstraint("csat IS NULL OR csat BETWEEN 1 AND 5", name="csat_range"),
        CheckConstraint("nps IS NULL OR nps BETWEEN 0 AND 10", name="nps_range"),
        CheckConstraint("ces IS NULL OR ces BETWEEN 1 AND 7", name="ces_range"),
        CheckConstraint("source IN ('status_page', 'email_click')", name="source_known"),
    )
