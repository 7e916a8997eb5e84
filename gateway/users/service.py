"""Users and their tokens: who may call the API, found from a bearer token by its hash.

A token is looked up by the SHA-256 of what the caller sent (one index
lookup); the token itself is never stored, so it is printed once when made.
``last_used_at`` is written at most every few minutes per token, so reading
the API does not turn every request into a write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from heatwatch.gateway.customers.models import Customer
from heatwatch.gateway.db import utcnow
from heatwatch.gateway.users.models import ApiToken, Role, User
from heatwatch.gateway.users.tokens import IssuedToken, hash_token, issue_token

LAST_USED_RESOLUTION = timedelta(minutes=5)


class UserError(ValueError):
    """A user cannot be made as asked (the message says why)."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: what the API needs of a user, detached from any session."""

    user_id: int
    name: str
    role: Role
    customer_id: int | None  # set for the customer role only

    @property
    def is_customer(self) -> bool:
        return self.role is Role.CUSTOMER


def add_user(session: Session, name: str, role: Role, customer_id: int | None = None, email: str | None = None,
             token_label: str = "") -> tuple[User, IssuedToken]:
    """A new user with a first token; the caller shows ``IssuedToken.token`` once and commits."""
    if not name.strip():
        raise UserError("a user needs a name")
    if role is Role.CUSTOMER:
        if customer_id is None:
            raise UserError("a customer user belongs to a customer: give --customer ID")
        if session.get(Customer, customer_id) is None:
            raise UserError(f"no customer {customer_id}")
    elif customer_id is not None:
        raise UserError(f"a {role.value} is staff and belongs to no customer: drop --customer")
    if email is not None and session.scalar(select(User.id).where(User.email == email)) is not None:
        raise UserError(f"a user with email {email!r} exists")
    user = User(name=name.strip(), role=role, customer_id=customer_id, email=email)
    session.add(user)
    session.flush()
    return user, add_token(session, user, token_label)


def add_token(session: Session, user: User, label: str = "", expires_at: datetime | None = None) -> IssuedToken:
    issued = issue_token()
    session.add(ApiToken(user_id=user.id, token_hash=issued.token_hash, prefix=issued.prefix, label=label,
                         expires_at=expires_at))
    session.flush()
    return issued


def authenticate(session: Session, token: str, now: datetime | None = None) -> Principal | None:
    """The active user a token belongs to, or None (unknown, revoked, expired, user deactivated)."""
    now = now or utcnow()
    row = session.execute(
        select(ApiToken.id, ApiToken.last_used_at, User.id, User.name, User.role, User.customer_id)
        .join(User, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None), User.active.is_(True),
               or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now))
    ).first()
    if row is None:
        return None
    token_id, last_used, user_id, name, role, customer_id = row
    if last_used is None or now - last_used >= LAST_USED_RESOLUTION:
        session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
        session.commit()
    return Principal(user_id=user_id, name=name, role=role, customer_id=customer_id)
