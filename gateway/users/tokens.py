"""API tokens: made once, shown once, kept only as a hash."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

TOKEN_PREFIX = "hwt_"  # makes a leaked token recognisable to secret scanners
PREFIX_SHOWN = 12


@dataclass(frozen=True)
class IssuedToken:
    token: str  # give to the user now; never stored
    prefix: str
    token_hash: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token() -> IssuedToken:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)  # 256 random bits
    return IssuedToken(token=token, prefix=token[:PREFIX_SHOWN], token_hash=hash_token(token))
