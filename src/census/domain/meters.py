"""Meter numbers of electricity, gas and water meters.

The number of digits identifies the kind of meter:

- 22 digits: State Grid electricity meter asset number, the number printed under
  the barcode. It is a 3-digit owner unit, 2 reserved digits, a 2-digit asset type,
  a 14-digit serial number and a check digit.
- 16 digits: smart gas meter number whose last digit is an ISO 7064 MOD 11,10
  check digit.
- 14 digits: water meter address of CJ/T 188, 7 bytes of BCD, with no check digit.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from stdnum.iso7064 import mod_11_10

from census.errors import InvalidMeterNumber

ELECTRICITY = "electricity"
GAS = "gas"
WATER = "water"

METER_NUMBER_LENGTHS: dict[str, int] = {ELECTRICITY: 22, GAS: 16, WATER: 14}
_UTILITY_BY_LENGTH = {length: utility for utility, length in METER_NUMBER_LENGTHS.items()}
# The `expected` parameter of InvalidMeterNumber, shown to the client in the error details.
EXPECTED_LENGTHS = "22, 16 or 14 digits"

# Whitespace, hyphens and dashes. NFKC has already turned U+FF0D and U+FE63 into "-".
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]")
_SCIENTIFIC = re.compile(r"[+-]?[0-9]+(\.[0-9]*)?[eE][+-]?[0-9]+")
_DECIMAL = re.compile(r"[0-9]+\.[0-9]+")
_DIGITS = re.compile(r"[0-9]*")
_MAX_ECHOED = 40


@dataclass(frozen=True)
class MeterNumber:
    """A checked meter number: its digits and the utility its length identifies."""

    value: str
    utility: str


class MeterNumberDamaged(ValueError):
    """A meter number in a utility file that cannot be used.

    `problem` is `missing`, `scientific_notation`, `decimal`, `characters`,
    `leading_zeros`, `length` or `check_digit`. The message names the value and
    says how to fix the file.
    """

    def __init__(self, problem: str, message: str) -> None:
        super().__init__(message)
        self.problem = problem


def normalize_meter_number(raw: str) -> str:
    """Return the meter number with ASCII digits and no spaces or hyphens.

    NFKC turns full-width digits into ASCII and U+3000 into a space. Other
    characters stay, so that validation can reject them.
    """
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw))


def _is_digits(text: str) -> bool:
    # Only ASCII digits: str.isdigit() also accepts other scripts' digits and superscripts.
    return _DIGITS.fullmatch(text) is not None


def _check_digit_valid(digits: str, utility: str) -> bool:
    if utility == GAS:
        return mod_11_10.is_valid(digits)
    # NOTE: State Grid does not publish the check-digit algorithm of the 22-digit
    # asset number, so electricity numbers are checked for length and digits only.
    # Water meter addresses have no check digit.
    return True


def parse_meter_number(raw: str) -> MeterNumber:
    """Normalise and check a meter number that a person typed or scanned.

    Raises InvalidMeterNumber with `problem` `characters` when anything other than
    digits remains, `length` when there are not 22, 16 or 14 digits, and
    `check_digit` when a gas meter number's check digit is wrong.
    """
    digits = normalize_meter_number(raw)
    if not _is_digits(digits):
        raise InvalidMeterNumber(problem="characters", length=len(digits), expected=EXPECTED_LENGTHS)
    utility = _UTILITY_BY_LENGTH.get(len(digits))
    if utility is None:
        raise InvalidMeterNumber(problem="length", length=len(digits), expected=EXPECTED_LENGTHS)
    if not _check_digit_valid(digits, utility):
        raise InvalidMeterNumber(problem="check_digit", length=len(digits), expected=EXPECTED_LENGTHS)
    return MeterNumber(value=digits, utility=utility)


def _echo(raw: str) -> str:
    truncated = raw if len(raw) <= _MAX_ECHOED else raw[:_MAX_ECHOED] + "..."
    return repr(truncated)


def meter_number_from_utility_file(raw: str, utility: str) -> str:
    """Return the digits of a meter number from a utility's file for `utility`.

    Numbers in utility files often went through a spreadsheet, which stores a long
    number as a float of 15 significant digits. It shows the number in scientific
    notation (3.3E+21) or with ".0" and drops leading zeros, so each of these
    gets its own `problem` and a message that says to export the column as text.
    A short gas meter number whose check digit fails even with the zeros restored
    gets `length` instead of `leading_zeros`. Raises MeterNumberDamaged for these
    and for the problems of `parse_meter_number`, and ValueError for an unknown `utility`.
    """
    expected = METER_NUMBER_LENGTHS.get(utility)
    if expected is None:
        raise ValueError(f"unknown utility {utility!r}, expected one of {sorted(METER_NUMBER_LENGTHS)}")

    text = unicodedata.normalize("NFKC", raw).strip()
    if not text:
        raise MeterNumberDamaged("missing", "the meter number is missing")
    if _SCIENTIFIC.fullmatch(text):
        raise MeterNumberDamaged(
            "scientific_notation",
            f"meter number {_echo(text)} was converted to scientific notation by a spreadsheet; "
            "digits are lost, export the column as text",
        )
    if _DECIMAL.fullmatch(text):
        raise MeterNumberDamaged(
            "decimal",
            f"meter number {_echo(text)} ends in a decimal part such as '.0' because a spreadsheet "
            "stored it as a number, which drops leading zeros and digits after the 15th; "
            "export the column as text",
        )

    digits = normalize_meter_number(text)
    if not _is_digits(digits):
        raise MeterNumberDamaged(
            "characters", f"meter number {_echo(text)} contains characters other than digits"
        )
    if len(digits) < expected:
        restored = digits.zfill(expected)
        if not _check_digit_valid(restored, utility):
            raise MeterNumberDamaged(
                "length",
                f"{utility} meter number {_echo(text)} has {len(digits)} digits, expected {expected}, "
                "and restoring leading zeros does not give a valid check digit; "
                "check the number in the billing system",
            )
        raise MeterNumberDamaged(
            "leading_zeros",
            f"{utility} meter number {_echo(text)} has {len(digits)} digits, expected {expected}: "
            f"leading zeros were stripped ({expected - len(digits)} missing), probably by a spreadsheet "
            "that read the column as a number; export the column as text",
        )
    if len(digits) != expected:
        other = _UTILITY_BY_LENGTH.get(len(digits))
        hint = f" (that is the length of a {other} meter number)" if other else ""
        raise MeterNumberDamaged(
            "length",
            f"{utility} meter number {_echo(text)} has {len(digits)} digits{hint}, expected {expected}; "
            "check that the file is for the right utility",
        )
    if not _check_digit_valid(digits, utility):
        raise MeterNumberDamaged(
            "check_digit",
            f"{utility} meter number {_echo(text)} has a wrong check digit; "
            "check the number in the billing system",
        )
    return digits


def gas_check_digit(first15: str) -> str:
    """Return the ISO 7064 MOD 11,10 check digit that completes a 16-digit gas meter number.

    Raises ValueError unless `first15` is 15 ASCII digits.
    """
    if len(first15) != METER_NUMBER_LENGTHS[GAS] - 1 or not _is_digits(first15):
        raise ValueError("a gas meter number without its check digit has 15 digits")
    return mod_11_10.calc_check_digit(first15)
