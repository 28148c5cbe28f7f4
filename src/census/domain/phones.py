"""Mainland China mobile numbers, normalised to E.164 (+86 and 11 digits)."""

from __future__ import annotations

import re
import unicodedata

_MOBILE = re.compile(r"1[3-9][0-9]{9}")

# Separators people type between digit groups. NFKC has already turned the
# full-width forms into these.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212().]")


class InvalidPhone(ValueError):
    """A phone number that is not a mainland China mobile number.

    `problem` is `empty`, `characters`, `country_code`, `length` or `not_mobile`.
    The message describes the problem and never contains the number, so it may be
    logged and shown in import reports.
    """

    def __init__(self, problem: str, message: str) -> None:
        super().__init__(message)
        self.problem = problem


def normalize_phone(raw: str) -> str:
    """Return the mobile number as E.164, such as "+8613800138000", or raise InvalidPhone.

    Accepted: 11 digits starting 13-19, in groups separated by spaces, hyphens, dots
    or parentheses, in ASCII or full-width digits, optionally preceded by the country
    code as "+86", "0086" or "86".
    """
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw))
    if not text:
        raise InvalidPhone("empty", "the phone number is empty")

    has_plus = text.startswith("+")
    digits = text[1:] if has_plus else text
    if not (digits.isascii() and digits.isdigit()):
        raise InvalidPhone("characters", "the phone number contains characters other than digits")

    if has_plus or digits.startswith("00"):
        international = digits if has_plus else digits[2:]
        if not international.startswith("86"):
            raise InvalidPhone(
                "country_code", "the phone number has a country code other than +86 (mainland China)"
            )
        digits = international[2:]
    elif len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]

    if len(digits) != 11:
        raise InvalidPhone(
            "length", f"the mobile number has {len(digits)} digits without the country code, expected 11"
        )
    if not _MOBILE.fullmatch(digits):
        raise InvalidPhone("not_mobile", "the number is not a mainland China mobile number (13x to 19x)")
    return f"+86{digits}"
