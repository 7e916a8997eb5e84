"""The status page's words: ``texts/<language>.toml``, one file per language, the same keys in each.

The language is the one the customer's messages use (notifications.messages.pick_language: the exact
tag, else its language, else English); a language the page has no file for reads English.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from heatwatch.gateway.notifications import messages

HERE = Path(__file__).resolve().parent / "texts"
FALLBACK = "en"


@lru_cache(maxsize=None)
def table(language: str) -> dict[str, str]:
    with open(HERE / f"{language}.toml", "rb") as f:
        return tomllib.load(f)


def languages() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.toml"))


def pick(tag: str | None) -> str:
    language = messages.pick_language(tag)
    return language if language in languages() else FALLBACK


@dataclass(frozen=True)
class Texts:
    """``t(key, **values)``: a text in the page's language, its ``{names}`` filled in."""

    language: str

    def __call__(self, key: str, **values: object) -> str:
        text = table(self.language).get(key) or table(FALLBACK)[key]
        return text.format(**values) if values else text
