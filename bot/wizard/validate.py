"""Parsers for typed answers: each returns the normalised value or raises Invalid(content key)."""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

from bot.wizard.steps import Invalid

_NAME = re.compile(r"^[^\W\d_]+(?:[ '’.\-][^\W\d_]*)*$")
_PLACE_PREFIX = re.compile(r"^(kab|kabupaten)\.?\s+", re.IGNORECASE)


def _clean(text: str) -> str:
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cc"))
    return " ".join(text.split())


def person_name(text: str) -> str:
    """A person's name: letters, spaces, apostrophes, dots and hyphens; 2-100 characters."""
    name = _clean(text)
    if len(name) < 2 or not _NAME.match(name):
        raise Invalid("user-invalid-name")
    return name


def place(text: str) -> str:
    """A district or village name, tidied: 'kab. malang' -> 'Kabupaten Malang'."""
    value = _clean(text)
    value = _PLACE_PREFIX.sub("Kabupaten ", value)
    if len(value) < 2 or not re.match(r"^[^\W_][\w .'’()/\-]*$", value):
        raise Invalid("user-invalid-place")
    value = " ".join(
        word if word.isupper() and len(word) > 1 else word.capitalize() for word in value.split()
    )
    if len(value) > 60:  # checked after capitalising, which can lengthen a word ('ﬃ' -> 'Ffi')
        raise Invalid("user-invalid-place")
    return value


def phone(text: str) -> str:
    """A phone number, Indonesian by default (08..., +62...), any country with +; stored as E.164."""
    try:
        number = phonenumbers.parse(_clean(text), "ID")
    except phonenumbers.NumberParseException:
        raise Invalid("user-invalid-phone") from None
    if not phonenumbers.is_valid_number(number):
        raise Invalid("user-invalid-phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def own_contact(phone_number: str, contact_user_id: int | None, sender_id: int) -> str:
    """A contact shared at a phone step, as the text the step parses. Only the sender's own contact
    counts as their number. Telegram gives it in international form, often without "+"
    ("85261234567" from Hong Kong): read as typed it would become an Indonesian number."""
    if contact_user_id != sender_id:
        raise Invalid("user-phone-not-yours")
    number = _clean(phone_number)
    return number if number.startswith("+") else "+" + number
