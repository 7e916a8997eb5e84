"""Notification texts, status links and quiet hours without a database: every template renders in
every language with no missing key, SMS texts fit 160 characters, dates follow the locale, faults
are told in plain words, a link verifies until it expires and not after a change."""

from __future__ import annotations

import base64
from datetime import datetime, time, timedelta, timezone

import pytest

from heatwatch.faults import FAULTS
from heatwatch.gateway.incidents.models import DEVICE_OFFLINE, PUMP_TRIP
from heatwatch.gateway.notifications import messages, quiet
from heatwatch.gateway.notifications.channels import apprise_url, message_id
from heatwatch.gateway.notifications.status_link import (
    StatusLinkError,
    StatusLinkExpired,
    make_token,
    status_link,
    verify_token,
)

SECRET = "status-link-secret-0123456789"
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=timezone.utc)
LANGS = ["en", "it", "nb", "sv"]
FAULT_NAMES = [*FAULTS, DEVICE_OFFLINE, PUMP_TRIP, "no_such_fault"]


def _context(lang: str, **over) -> dict:
    visit = messages.visit_words(datetime(2026, 12, 8, 7, tzinfo=timezone.utc),
                                 datetime(2026, 12, 8, 11, tzinfo=timezone.utc), "Europe/Stockholm", lang)
    ctx = dict(first_name="Anna", nickname="Värmis", company="Nordvärme Service",
               link=status_link("https://heat.example", SECRET, 4321, 77, NOW, timedelta(days=30)),
               fault=messages.plain_fault(lang, "refrigerant_leak"), heating="ok", urgent=False, cold="",
               visit=visit, windows=[visit, visit], technician="Erik", resolution="fixed", note="",
               items=[{"subject": "Visit “Värmis” 8:00\u202fAM–12:00\u202fPM", "body": "First."},
                      {"subject": "Two", "body": "Second."}], count=2,
               reason="quiet_hours", was=messages.plain_fault(lang, "low_water_flow"))
    return ctx | over


def test_the_languages_are_there():
    assert set(LANGS) <= set(messages.languages())


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("step", messages.STEPS)
def test_every_step_renders_in_every_language(lang, step):
    for heating in ("ok", "stopped", "unknown"):
        for resolution in ("fixed", "other", "no_fault"):
            r = messages.render(step, lang, _context(lang, heating=heating, resolution=resolution, urgent=True,
                                                     cold="-12", note="Sealed a leak."))
            assert r.subject and r.short and r.full
            assert "{{" not in r.full + r.short and "None" not in r.full
            assert _context(lang)["link"] in r.short, "every message carries the status link"
            assert not set(r.short) & set("“”«»–\u202f\u00a0\u2212"), "short texts stay in the SMS alphabet"
            if step != "digest":
                assert _context(lang)["link"] in r.full
                assert r.body and r.body in r.full and "Anna" not in r.body  # the digest quotes it bare


def test_a_missing_variable_is_an_error_not_a_gap():
    ctx = _context("en")
    del ctx["visit"]
    with pytest.raises(Exception, match="visit"):
        messages.render("visit_booked", "en", ctx)


@pytest.mark.parametrize("lang", LANGS)
def test_every_fault_has_plain_words(lang):
    table = messages.fault_words(lang)
    for name in FAULT_NAMES:
        words = messages.plain_fault(lang, name)
        assert words["found"] and words["short"]
        for jargon in ("superheat", "EEV", "subcooling", "sensor_", "_", "bar", "°C"):
            assert jargon not in words["found"] + words["short"], (lang, name, jargon)
    assert set(table) == set(messages.fault_words("en")), "the same faults in every language"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("step", [s for s in messages.STEPS if s != "digest"])
def test_sms_texts_fit_one_message(lang, step):
    longest = max(FAULT_NAMES, key=lambda f: len(messages.plain_fault(lang, f)["short"]))
    r = messages.render(step, lang, _context(lang, fault=messages.plain_fault(lang, longest)))
    assert len(r.short) <= 160, (len(r.short), r.short)
    assert "“" not in r.short and "«" not in r.short  # typographic quotes would force UCS-2 (70 characters)


@pytest.mark.parametrize("lang", LANGS)
def test_a_diagnosis_update_fits_one_sms_whatever_was_told(lang):
    """The update's short text names the new fault and, when the old advice no longer holds, says so:
    with the longest fault, the advice dropped and a visit booked, it still fits 160 characters."""
    longest = max(FAULT_NAMES, key=lambda f: len(messages.plain_fault(lang, f)["short"]))
    for was in FAULT_NAMES:
        for visit in (_context(lang)["visit"], {}):
            r = messages.render("diagnosis_updated", lang, _context(
                lang, fault=messages.plain_fault(lang, longest), was=messages.plain_fault(lang, was), visit=visit))
            assert len(r.short) <= 160, (len(r.short), r.short)


DROPPED = {"en": ("Skip our advice; visit stays.", "You can disregard our earlier advice"),
           "sv": ("Glöm rådet, besöket står.", "Du kan bortse från vårt tidigare råd"),
           "nb": ("Glem rådet, besøket står.", "Du kan se bort fra det forrige rådet"),
           "it": ("Ignora il consiglio, visita ok.", "Puoi ignorare il consiglio")}


@pytest.mark.parametrize("lang", LANGS)
def test_a_diagnosis_update_says_what_was_told_what_is_true_and_what_it_means(lang):
    """low water flow (check the valves) -> a faulty sensor: the letter names both in the customer's
    words, takes the valve advice back, keeps the visit; a fault told with the same advice keeps it."""
    ctx = _context(lang, fault=messages.plain_fault(lang, "sensor_drift"))
    r = messages.render("diagnosis_updated", lang, ctx)
    short, advice = DROPPED[lang]
    was, now = messages.plain_fault(lang, "low_water_flow"), messages.plain_fault(lang, "sensor_drift")
    assert now["short"] in r.short and short in r.short
    assert was["short"] in r.body and now["found"] in r.body and advice in r.body
    assert was["meanwhile"] not in r.full  # the valves are not asked about again
    assert ctx["visit"]["day"] in r.body
    unknown = messages.render("diagnosis_updated", lang, _context(lang, fault=messages.plain_fault(lang, "no_such"),
                                                                  was=messages.plain_fault(lang, "no_such_either"),
                                                                  visit={}))
    assert messages.plain_fault(lang, "default")["found"] in unknown.body and advice not in unknown.body
    leak = messages.render("diagnosis_updated", lang, _context(lang, fault=messages.plain_fault(lang, "evaporator_fouling"),
                                                               was=messages.plain_fault(lang, "evaporator_fouling")))
    assert messages.plain_fault(lang, "evaporator_fouling")["meanwhile"] in leak.body and advice not in leak.body


def test_text_is_in_the_language_with_local_dates():
    en, sv, nb, it = (messages.render("visit_booked", lang, _context(lang)) for lang in ("en", "sv", "nb", "it"))
    # 07:00 UTC is 08:00 in Stockholm, in winter
    assert "Tuesday, December 8, 2026" in en.subject and "8:00" in en.subject and "AM" in en.subject
    assert "tisdag 8 december 2026" in sv.subject and "08:00" in sv.subject and "Hej Anna!" in sv.full
    assert "tirsdag 8. desember" in nb.full and "Hei Anna!" in nb.full
    assert "martedì 8 dicembre" in it.subject and "Ciao Anna," in it.full and "tra le 08:00 e le 12:00" in it.full
    assert "Erik" in en.full and "“Värmis”" in en.full and "«Värmis»" in nb.full


def test_numbers_follow_the_locale():
    assert messages.number_words(-12.5, "en", 1) == "-12.5"
    assert messages.number_words(-12.5, "it", 1) == "-12,5"
    assert messages.number_words(-12.5, "sv", 1) in ("-12,5", "\u221212,5")


@pytest.mark.parametrize("tag, folder", [("sv", "sv"), ("sv-FI", "sv"), ("nb", "nb"), ("no", "nb"), ("nn", "nb"),
                                         ("it", "it"), ("en-GB", "en"), ("de", "en"), ("pt-BR", "en"), ("", "en")])
def test_language_falls_back_to_english(tag, folder):
    assert messages.pick_language(tag) == folder


def test_email_gets_the_letter_and_sms_the_short_text():
    r = messages.render("survey", "en", _context("en"))
    assert r.for_channel("email") == (r.subject, r.full)
    assert r.for_channel("sms") == ("", r.short)


# ---- status links --------------------------------------------------------------------------------------

def test_status_link_verifies_until_it_expires():
    link = status_link("https://heat.example/", SECRET, 4321, 77, NOW, timedelta(days=30))
    assert link.startswith("https://heat.example/s/")
    token = link.rsplit("/", 1)[1]
    assert len(token) == 32
    claim = verify_token(SECRET, token, NOW + timedelta(days=29))
    assert (claim.ticket_id, claim.customer_id) == (4321, 77)
    assert claim.expires_at == NOW + timedelta(days=30)
    with pytest.raises(StatusLinkExpired):
        verify_token(SECRET, token, NOW + timedelta(days=30))


def test_status_link_refuses_what_it_did_not_make():
    token = make_token(SECRET, 4321, 77, NOW + timedelta(days=1))
    with pytest.raises(StatusLinkError):
        verify_token("another-secret-0123456789", token, NOW)
    other = make_token(SECRET, 4322, 77, NOW + timedelta(days=1))
    assert other != token
    raw_token, raw_other = (base64.urlsafe_b64decode(t + "=" * (-len(t) % 4)) for t in (token, other))
    forged = base64.urlsafe_b64encode(raw_other[:12] + raw_token[12:]).decode().rstrip("=")  # another ticket, this MAC
    with pytest.raises(StatusLinkError):
        verify_token(SECRET, forged, NOW)
    for garbage in ("", "x", "!!!!", token[:-1], token + "AA"):
        with pytest.raises(StatusLinkError):
            verify_token(SECRET, garbage, NOW)
    with pytest.raises(ValueError):
        make_token("", 1, 1, NOW)


# ---- quiet hours -----------------------------------------------------------------------------------

@pytest.mark.parametrize("local, quiet_now", [(time(21, 59), False), (time(22, 0), True), (time(3, 0), True),
                                              (time(6, 59), True), (time(7, 0), False), (time(12, 0), False)])
def test_quiet_hours_wrap_midnight(local, quiet_now):
    assert quiet.in_quiet_hours(local, time(22), time(7)) is quiet_now
    assert quiet.in_quiet_hours(local, time(12), time(13)) is (local == time(12, 0))
    assert quiet.in_quiet_hours(local, None, None) is False


def test_quiet_until_is_the_local_end():
    tz = "Europe/Oslo"  # UTC+1 in December
    at_23_local = datetime(2026, 12, 7, 22, 0, tzinfo=timezone.utc)
    assert quiet.quiet_until(at_23_local, tz, time(22), time(7)) == datetime(2026, 12, 8, 6, 0, tzinfo=timezone.utc)
    assert quiet.quiet_until(datetime(2026, 12, 7, 12, tzinfo=timezone.utc), tz, time(22), time(7)) is None


def test_a_capped_message_waits_for_a_later_day():
    tz = "Europe/Rome"
    noon = datetime(2026, 12, 7, 11, 0, tzinfo=timezone.utc)  # 12:00 in Rome
    assert quiet.next_digest(noon, tz, None, time(8)) == datetime(2026, 12, 8, 7, 0, tzinfo=timezone.utc)
    early = datetime(2026, 12, 7, 1, 0, tzinfo=timezone.utc)  # 02:00 in Rome: today's 08:00 is the same day
    assert quiet.next_digest(early, tz, None, time(8)) == datetime(2026, 12, 8, 7, 0, tzinfo=timezone.utc)
    assert quiet.next_digest(noon, tz, time(6, 30), time(8)) == datetime(2026, 12, 8, 5, 30, tzinfo=timezone.utc)


def test_apprise_url_quotes_the_address_and_marks_email():
    url = apprise_url("mailto://127.0.0.1:25?from=a@b.example&to={address}", "anna+x@example.com", "t1/x/c1/email")
    assert "to=anna+x@example.com" in url and "+Message-ID=" in url
    assert message_id("t1/x/c1/email") == message_id("t1/x/c1/email") != message_id("t1/x/c1/sms")
    assert apprise_url("smseagle://tok@127.0.0.1:9/{address}", "+46 70 1", "k") == "smseagle://tok@127.0.0.1:9/+46%2070%201"
    assert apprise_url("{address}", "slack://T1/B2/C3", "k") == "slack://T1/B2/C3"  # the customer's own webhook
