"""Chinese resident ID numbers (公民身份号码, GB 11643-1999).

An ID number has 18 characters: a 6-digit address code, the birth date as
YYYYMMDD, a 3-digit sequence number and an ISO 7064 MOD 11-2 check digit,
which is 0-9 or X. The clear number is only checked and hashed here. Storage
keeps `hash_id_number`'s keyed hash and nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from datetime import date

from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from census.errors import InvalidIdNumber

ID_NUMBER_LENGTH = 18

_WELL_FORMED = re.compile(r"[0-9]{17}[0-9X]")

# Zero-width characters that arrive with numbers copied from documents and chats.
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def normalize_id_number(raw: str) -> str:
    """Return the ID number without spaces, with ASCII digits and an upper-case X.

    NFKC turns full-width digits and the full-width X into ASCII and U+3000 into a
    space. All whitespace and zero-width characters are then removed.
    """
    text = unicodedata.normalize("NFKC", raw).translate(_ZERO_WIDTH)
    return "".join(text.split()).replace("x", "X")


def validate_id_number(raw: str, *, today: date | None = None) -> str:
    """Return the normalised 18-character ID number or raise InvalidIdNumber.

    The `problem` parameter of the error is `length`, `characters`, `check_digit` or
    `birth_date`, checked in that order. A birth date is invalid when it does not
    exist (19990229) or lies after `today` (default: the local date). The 15-digit
    numbers of first-generation cards are rejected with `length`.
    """
    number = normalize_id_number(raw)
    if len(number) != ID_NUMBER_LENGTH:
        raise InvalidIdNumber(problem="length")
    if not _WELL_FORMED.fullmatch(number):
        raise InvalidIdNumber(problem="characters")
    if ric.calc_check_digit(number) != number[-1]:
        raise InvalidIdNumber(problem="check_digit")
    try:
        birth_date = ric.get_birth_date(number)
    except ValidationError:
        raise InvalidIdNumber(problem="birth_date") from None
    if birth_date > (today or date.today()):
        raise InvalidIdNumber(problem="birth_date")
    # NOTE: the address code is not checked against the list of division codes,
    # because codes of abolished counties stay valid on older cards.
    return number


def hash_id_number(id_number: str, key: bytes) -> str:
    """Return the HMAC-SHA256 of the normalised ID number as 64 hex digits.

    The same number in any spelling (spaces, full-width digits, lower-case x) gives
    the same hash. The number is not validated here. Raises ValueError on an empty key.
    """
    if not key:
        raise ValueError("the ID number hash key is empty")
    message = normalize_id_number(id_number).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()
