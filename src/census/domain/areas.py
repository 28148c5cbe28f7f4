"""12-digit statistical division codes (统计用区划代码) and area containment.

A code is province (2 digits), city (2), county (2), township (3) and village or
community (3). A code of a higher level has zeros in every lower level:
430000000000 is a province, 430102000000 a county, 430102001001 a community.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

AREA_CODE_LENGTH = 12

_DIGITS = re.compile(r"[0-9]*")

# Level names with the end of their part in the code, from the top down.
_LEVELS = (("province", 2), ("city", 4), ("county", 6), ("township", 9), ("village", 12))
_COUNTY_END = 6


class InvalidAreaCode(ValueError):
    """An area code that is not a valid 12-digit statistical division code.

    `problem` is `characters`, `length`, `province` (the province part is 00),
    `hierarchy` (a level is non-zero below a level of zeros) or `level` (the code
    is above the level the caller needs). The message names the value.
    """

    def __init__(self, problem: str, message: str) -> None:
        super().__init__(message)
        self.problem = problem


def validate_area_code(raw: str) -> str:
    """Return the area code with ASCII digits and no whitespace, or raise InvalidAreaCode."""
    code = "".join(unicodedata.normalize("NFKC", raw).split())
    if not _DIGITS.fullmatch(code):
        raise InvalidAreaCode("characters", f"area code {code!r} contains characters other than digits")
    if len(code) != AREA_CODE_LENGTH:
        raise InvalidAreaCode(
            "length", f"area code {code!r} has {len(code)} digits, expected {AREA_CODE_LENGTH}"
        )
    if code.startswith("00"):
        raise InvalidAreaCode("province", f"area code {code!r} has province part 00, which does not exist")

    start = 0
    zero_level = None
    for level, end in _LEVELS:
        part = code[start:end]
        if zero_level is None and set(part) == {"0"}:
            zero_level = level
        elif zero_level is not None and set(part) != {"0"}:
            raise InvalidAreaCode(
                "hierarchy",
                f"area code {code!r} has a non-zero {level} part below a {zero_level} part of zeros",
            )
        start = end
    return code


def _level_end(code: str) -> tuple[str, int]:
    # The lowest level with a non-zero part. validate_area_code guarantees that all
    # parts below it are zeros and that the province part is non-zero.
    start = 0
    found = _LEVELS[0]
    for level, end in _LEVELS:
        if set(code[start:end]) != {"0"}:
            found = (level, end)
        start = end
    return found


def area_level(code: str) -> str:
    """Return the level of the area: `province`, `city`, `county`, `township` or `village`."""
    return _level_end(validate_area_code(code))[0]


def area_prefix(code: str) -> str:
    """Return the digits of the code down to its level, such as "430102" for 430102000000."""
    valid = validate_area_code(code)
    return valid[: _level_end(valid)[1]]


def area_contains(assigned: str, target: str) -> bool:
    """Return whether the `target` area lies inside, or is, the `assigned` area.

    An assignment at any level covers every code below it, so a county covers its
    townships and villages but not its city or a sibling county. Both codes are
    validated, and an invalid one raises InvalidAreaCode.
    """
    return validate_area_code(target).startswith(area_prefix(assigned))


def any_area_contains(assigned: Iterable[str], target: str) -> bool:
    """Return whether any of the `assigned` areas contains `target`."""
    return any(area_contains(area, target) for area in assigned)


def county_of(code: str) -> str:
    """Return the 6-digit county code of an area at county level or below.

    Raises InvalidAreaCode with `problem` `level` for a province or city, which
    belongs to no single county.
    """
    valid = validate_area_code(code)
    level, end = _level_end(valid)
    if end < _COUNTY_END:
        raise InvalidAreaCode("level", f"area code {valid!r} is a {level}, not inside a single county")
    return valid[:_COUNTY_END]
