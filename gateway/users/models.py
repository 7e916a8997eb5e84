"""Tables: users with a role, and the API tokens they authenticate with (stored hashed).

A customer user belongs to exactly one customer and sees only that
customer's devices and tickets; staff (admin, dispatcher, technician)
belong to none. The database holds that rule too, so no code path can make
a customer login without a customer.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from heatwatch.gateway.customers.models import Customer
from heatwatch.gateway.db import Base, enum_type, utcnow


class Role(StrEnum):
    ADMIN = "admin"
    DISPATCHER = "dispatcher"
    TECHNICIAN = "technician"
    CUSTOMER = "customer"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    role: Mapped[Role] = mapped_column(enum_type(Role, "role"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    customer: Mapped[Customer | None] = relationship()
    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")

    __table_args__ = (
        CheckConstraint("(role = 'customer') = (customer_id IS NOT NULL)", name="customer_iff_customer_role"),
    )


class ApiToken(Base):
    """A bearer token. Only its SHA-256 is kept: a stolen database yields no usable token.

    Tokens are 256 random bits (users/tokens.py), so a fast hash is enough; a
    slow one (bcrypt) guards guessable passwords and would cost every request.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # hex SHA-256 of the whole token
    prefix: Mapped[str] = mapped_column(String(16))  # the token's first characters, to tell tokens apart in lists
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="tokens")

    __table_args__ = (CheckConstraint("length(token_hash) = 64", name="token_hash_sha256"),)
