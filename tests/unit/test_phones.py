"""Unit tests of census.domain.phones."""

from __future__ import annotations

import pytest

from census.domain.phones import InvalidPhone, normalize_phone

E164 = "+8613800138000"


def problem_of(raw: str) -> str:
    with pytest.raises(InvalidPhone) as caught:
        normalize_phone(raw)
    return caught.value.problem


@pytest.mark.parametrize(
    "raw",
    [
        "13800138000",
        "138 0013 8000",
        "138-0013-8000",
        "+86 138-0013-8000",
        "+8613800138000",
        "008613800138000",
        "0086 138 0013 8000",
        "8613800138000",
        "86 138 0013 8000",
        "(+86) 138 0013 8000",
        " 13800138000 ",
        "138\u30000013\u30008000",
        "１３８００１３８０００",
        "＋８６　１３８－００１３－８０００",
        "138\u20140013\u20148000",
    ],
)
def test_normalize_accepts_format(raw: str) -> None:
    assert normalize_phone(raw) == E164


@pytest.mark.parametrize("second", "3456789")
def test_normalize_accepts_each_mobile_prefix(second: str) -> None:
    assert normalize_phone(f"1{second}800138000") == f"+861{second}800138000"


def test_normalize_rejects_empty() -> None:
    assert problem_of("") == "empty"


def test_normalize_rejects_only_separators() -> None:
    assert problem_of(" - ") == "empty"


def test_normalize_rejects_letters() -> None:
    assert problem_of("1380013800O") == "characters"


def test_normalize_rejects_plus_inside() -> None:
    assert problem_of("138+0013800") == "characters"


def test_normalize_rejects_scientific_notation() -> None:
    assert problem_of("1.38001E+10") == "characters"


def test_normalize_rejects_other_country_plus() -> None:
    assert problem_of("+1 650 253 0000") == "country_code"


def test_normalize_rejects_other_country_00() -> None:
    assert problem_of("00852 9123 4567") == "country_code"


def test_normalize_rejects_hong_kong_with_plus() -> None:
    assert problem_of("+852 9123 4567") == "country_code"


def test_normalize_rejects_10_digits() -> None:
    assert problem_of("1380013800") == "length"


def test_normalize_rejects_12_digits() -> None:
    assert problem_of("138001380001") == "length"


def test_normalize_rejects_plus86_with_10_digits() -> None:
    assert problem_of("+86 1380013800") == "length"


def test_normalize_rejects_landline_with_area_code() -> None:
    assert problem_of("0731-8888888") == "not_mobile"


def test_normalize_rejects_prefix_12() -> None:
    assert problem_of("12800138000") == "not_mobile"


def test_normalize_rejects_prefix_10() -> None:
    assert problem_of("10800138000") == "not_mobile"


def test_normalize_rejects_prefix_2() -> None:
    assert problem_of("23800138000") == "not_mobile"


def test_invalid_phone_is_value_error() -> None:
    with pytest.raises(ValueError):
        normalize_phone("123")


def test_invalid_phone_message_does_not_echo_number() -> None:
    raw = "12800138000"
    with pytest.raises(InvalidPhone) as caught:
        normalize_phone(raw)
    assert raw not in str(caught.value)
    assert "mobile" in str(caught.value)
