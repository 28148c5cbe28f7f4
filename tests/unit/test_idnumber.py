"""Unit tests of census.domain.idnumber."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

import pytest

from census.domain.idnumber import hash_id_number, normalize_id_number, validate_id_number
from census.errors import InvalidIdNumber

TODAY = date(2026, 11, 1)
KEY = b"unit-test-key"


def check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2 check digit, computed with the weights of GB 11643 (2^(17-i) mod 11)."""
    total = sum(int(digit) * (2 ** (17 - position) % 11) for position, digit in enumerate(first17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def make_id(address: str = "430102", birth: str = "19900101", sequence: str = "123") -> str:
    first17 = address + birth + sequence
    return first17 + check_digit(first17)


def find_id_with_check_x() -> str:
    for sequence in range(1000):
        number = make_id(sequence=f"{sequence:03d}")
        if number.endswith("X"):
            return number
    raise AssertionError("no sequence gives check digit X")


def problem_of(raw: str, today: date = TODAY) -> str:
    with pytest.raises(InvalidIdNumber) as caught:
        validate_id_number(raw, today=today)
    return caught.value.params["problem"]


def test_check_digit_helper_matches_published_example() -> None:
    # Example number from the python-stdnum documentation of stdnum.cn.ric.
    assert check_digit("36042619910101007") == "1"


def test_validate_accepts_generated_number() -> None:
    number = make_id()
    assert validate_id_number(number, today=TODAY) == number


def test_validate_accepts_check_digit_x() -> None:
    number = find_id_with_check_x()
    assert validate_id_number(number, today=TODAY) == number


def test_validate_accepts_lower_case_x() -> None:
    number = find_id_with_check_x()
    assert validate_id_number(number.lower(), today=TODAY) == number


def test_validate_accepts_full_width_digits_and_x() -> None:
    number = find_id_with_check_x()
    full_width = "".join(chr(ord(char) + 0xFEE0) for char in number)
    assert validate_id_number(full_width, today=TODAY) == number


def test_validate_accepts_spaces_and_ideographic_space() -> None:
    number = make_id()
    spaced = f" {number[:6]} {number[6:14]}\u3000{number[14:]}\t"
    assert validate_id_number(spaced, today=TODAY) == number


def test_normalize_removes_zero_width_space() -> None:
    number = make_id()
    assert normalize_id_number(number[:9] + "\u200b" + number[9:]) == number


def test_normalize_upper_cases_only_x() -> None:
    assert normalize_id_number("43010219900101123x") == "43010219900101123X"


def test_validate_rejects_17_characters() -> None:
    assert problem_of(make_id()[:17]) == "length"


def test_validate_rejects_19_characters() -> None:
    assert problem_of(make_id() + "1") == "length"


def test_validate_rejects_15_digit_first_generation_number() -> None:
    assert problem_of("430102900101123") == "length"


def test_validate_rejects_empty() -> None:
    assert problem_of("") == "length"


def test_validate_rejects_letter_inside() -> None:
    number = make_id()
    assert problem_of(number[:5] + "A" + number[6:]) == "characters"


def test_validate_rejects_x_not_last() -> None:
    number = make_id()
    assert problem_of("X" + number[1:]) == "characters"


def test_validate_rejects_letter_other_than_x_last() -> None:
    assert problem_of(make_id()[:17] + "Y") == "characters"


def test_validate_rejects_arabic_indic_digits() -> None:
    # U+0661 is a Unicode digit that NFKC keeps, so it must fail as a character.
    number = make_id()
    assert problem_of("\u0661" + number[1:]) == "characters"


def test_validate_rejects_scientific_notation() -> None:
    assert problem_of("4.30102199001E+17") == "length"


def test_validate_rejects_each_wrong_check_digit() -> None:
    number = make_id()
    for wrong in "0123456789X":
        if wrong == number[-1]:
            continue
        assert problem_of(number[:17] + wrong) == "check_digit", wrong


def test_validate_rejects_swapped_digits() -> None:
    number = make_id(sequence="123")
    swapped = number[:14] + "213" + number[17]
    assert problem_of(swapped) == "check_digit"


def test_validate_accepts_feb_29_in_leap_year() -> None:
    number = make_id(birth="20000229")
    assert validate_id_number(number, today=TODAY) == number


def test_validate_rejects_feb_29_in_non_leap_year() -> None:
    assert problem_of(make_id(birth="19990229")) == "birth_date"


def test_validate_rejects_feb_29_in_century_non_leap_year() -> None:
    assert problem_of(make_id(birth="19000229")) == "birth_date"


def test_validate_rejects_month_13() -> None:
    assert problem_of(make_id(birth="19901301")) == "birth_date"


def test_validate_rejects_day_zero() -> None:
    assert problem_of(make_id(birth="19900100")) == "birth_date"


def test_validate_rejects_april_31() -> None:
    assert problem_of(make_id(birth="19900431")) == "birth_date"


def test_validate_accepts_birth_today() -> None:
    number = make_id(birth="20261101")
    assert validate_id_number(number, today=TODAY) == number


def test_validate_rejects_birth_tomorrow() -> None:
    assert problem_of(make_id(birth="20261102")) == "birth_date"


def test_validate_uses_today_argument() -> None:
    number = make_id(birth="20261102")
    assert validate_id_number(number, today=date(2026, 11, 2)) == number


def test_validate_default_today_rejects_far_future() -> None:
    with pytest.raises(InvalidIdNumber):
        validate_id_number(make_id(birth="29991231"))


def test_validate_checks_length_before_check_digit() -> None:
    assert problem_of("1" * 17) == "length"


def test_invalid_id_number_error_code() -> None:
    with pytest.raises(InvalidIdNumber) as caught:
        validate_id_number("123", today=TODAY)
    assert caught.value.code == "INVALID_ID_NUMBER"
    assert caught.value.details() == {"problem": "length"}


def test_hash_is_hmac_sha256_of_normalised_number() -> None:
    number = make_id()
    expected = hmac.new(KEY, number.encode(), hashlib.sha256).hexdigest()
    assert hash_id_number(number, KEY) == expected


def test_hash_is_64_hex_digits() -> None:
    digest = hash_id_number(make_id(), KEY)
    assert len(digest) == 64
    assert set(digest) <= set("0123456789abcdef")


def test_hash_does_not_contain_number() -> None:
    number = make_id()
    assert number not in hash_id_number(number, KEY)


def test_hash_same_for_spellings() -> None:
    number = find_id_with_check_x()
    full_width = "".join(chr(ord(char) + 0xFEE0) for char in number.lower())
    assert hash_id_number(full_width, KEY) == hash_id_number(number, KEY)
    assert hash_id_number(f" {number[:6]} {number[6:]} ", KEY) == hash_id_number(number, KEY)


def test_hash_differs_by_key() -> None:
    number = make_id()
    assert hash_id_number(number, KEY) != hash_id_number(number, b"other-key")


def test_hash_differs_by_number() -> None:
    assert hash_id_number(make_id(sequence="123"), KEY) != hash_id_number(make_id(sequence="124"), KEY)


def test_hash_rejects_empty_key() -> None:
    with pytest.raises(ValueError, match="key is empty"):
        hash_id_number(make_id(), b"")
