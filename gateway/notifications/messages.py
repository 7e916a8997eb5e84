"""Message texts: one Jinja2 template per step and language, rendered for each channel.

``templates/<language>/<step>.j2`` holds a step's words in one language, its
variants side by side so a translator sees them together, as blocks:
``subject``; ``short`` (SMS, push, chat: one paragraph, the link at the end,
160 characters where it can be); ``full`` (email: greeting, ``body``,
sign-off). Each channel gets the same content in its own length, so every
channel says the same thing. ``templates/<language>/faults.toml`` says in
plain words what each fault means to the customer.

A customer's language tag picks the folder: the exact tag ("pt-BR" -> pt_BR),
else its language ("sv-FI" -> sv), else English. Dates and times are
formatted by Babel for that language, in the customer's time zone.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_skeleton, format_time
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template

TEMPLATES = Path(__file__).resolve().parent / "templates"
FALLBACK = "en"
STEPS = ("problem_found", "diagnosis_updated", "visit_proposed", "visit_booked", "visit_reminder", "resolved",
         "survey", "digest")
# channel kinds that get the full text (subject and letter); every other kind gets the short one
FULL_CHANNELS = frozenset({"email"})
_ALIASES = {"no": "nb", "nn": "nb"}  # Norwegian without a written standard, and Nynorsk, read Bokmål best


# Characters outside the GSM 7-bit alphabet that the templates and Babel use: one of them turns an
# SMS into UCS-2 (70 characters a part), so short texts use their plain equivalents
_SMS_PLAIN = str.maketrans({"“": '"', "”": '"', "«": '"', "»": '"', "„": '"', "’": "'", "–": "-", "—": "-",
                            "\u202f": " ", "\u00a0": " ", "\u2009": " ", "\u2212": "-"})


@dataclass(frozen=True)
class Rendered:
    subject: str
    short: str  # one paragraph, the link at the end
    full: str  # the letter
    body: str  # the letter without greeting and sign-off (what a digest quotes)
    language: str

    def for_channel(self, channel: str) -> tuple[str, str]:
        """(title, text) for a channel kind: email gets the subject and the letter, others the short text
        with no title (an SMS gateway would put a title in front of it)."""
        return (self.subject, self.full) if channel in FULL_CHANNELS else ("", self.short)


def languages() -> list[str]:
    return sorted(p.name for p in TEMPLATES.iterdir() if p.is_dir() and (p / "faults.toml").is_file())


def pick_language(tag: str | None) -> str:
    """The template folder for a customer's language tag, falling back to English."""
    have = set(languages())
    tag = (tag or "").replace("-", "_")
    primary = tag.split("_")[0].lower()
    for candidate in (tag, primary, _ALIASES.get(primary, "")):
        if candidate in have:
            return candidate
    return FALLBACK


@lru_cache(maxsize=None)
def _environment() -> Environment:
    # plain text, not HTML: nothing to escape; a missing variable is an error, never an empty gap
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=False, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)
    return env


@lru_cache(maxsize=None)
def fault_words(language: str) -> dict[str, dict[str, str]]:
    with open(TEMPLATES / language / "faults.toml", "rb") as f:
        return tomllib.load(f)


def plain_fault(language: str, fault: str | None) -> dict[str, str]:
    """What a fault means, in plain words: found (a sentence), short (finishes "your heat pump ..."),
    meanwhile (what the customer can do; may be empty)."""
    table = fault_words(language)
    entry = table.get(fault or "", table["default"])
    return {"found": entry["found"], "short": entry["short"], "meanwhile": entry.get("meanwhile", "")}


def _block(template: Template, name: str, context: dict[str, Any]) -> str:
    return "".join(template.blocks[name](template.new_context(context)))


def _paragraphs(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def render(step: str, language: str, context: dict[str, Any]) -> Rendered:
    """A step's message in a language (a folder name from ``pick_language``)."""
    template = _environment().get_template(f"{language}/{step}.j2")
    body = _paragraphs(_block(template, "body", context)) if "body" in template.blocks else ""
    return Rendered(
        subject=" ".join(_block(template, "subject", context).split()),
        short=" ".join(_block(template, "short", context).translate(_SMS_PLAIN).split()),
        full=_paragraphs(_block(template, "full", context)),
        body=body,
        language=language,
    )


# ---- Babel: dates, times and numbers as the customer's language writes them -------------------

def visit_words(start: datetime, end: datetime, time_zone: str, language: str) -> dict[str, str]:
    """A visit window for a template: day (long), day_short, start, end, local to the customer."""
    tz = ZoneInfo(time_zone)
    locale = Locale.parse(language)
    s, e = start.astimezone(tz), end.astimezone(tz)
    return {
        "day": format_date(s, "full", locale=locale),
        "day_short": format_skeleton("MMMEd", s, locale=locale),
        "start": format_time(s, "short", locale=locale),
        "end": format_time(e, "short", locale=locale),
        "when": format_datetime(s, "medium", locale=locale),
    }


def number_words(value: float, language: str, digits: int = 0) -> str:
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=Locale.parse(language))
