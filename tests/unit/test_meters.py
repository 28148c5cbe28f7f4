"""Unit tests of census.domain.meters."""

from __future__ import annotations

import pytest

from census.domain.meters import (
    MeterNumber,
    MeterNumberDamaged,
    gas_check_digit,
    meter_number_from_utility_file,
    normalize_meter_number,
    parse_meter_number,
)
from census.errors import InvalidMeterNumber

ELECTRICITY_NUMBER = "3330001000100123456789"
WATER_NUMBER = "00000012345678"


def mod_11_10(digits: str) -> str:
    """ISO 7064 MOD 11,10 check digit, written out from the standard's recursive definition."""
    product = 10
    for digit in digits:
        total = (product + int(digit)) % 10 or 10
        product = (2 * total) % 11
    return str((11 - product) % 10)


def make_gas(first15: str = "123456789012345") -> str:
    return first15 + mod_11_10(first15)


def wrong_check_digit(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def meter_error(raw: str) -> InvalidMeterNumber:
    with pytest.raises(InvalidMeterNumber) as caught:
        parse_meter_number(raw)
    return caught.value


def damage_of(raw: str, utility: str) -> MeterNumberDamaged:
    with pytest.raises(MeterNumberDamaged) as caught:
        meter_number_from_utility_file(raw, utility)
    return caught.value


def test_mod_11_10_helper_matches_iso_example() -> None:
    # Example of ISO 7064 as quoted in the python-stdnum documentation: 79462 gives 3.
    assert mod_11_10("79462") == "3"


def test_gas_check_digit_matches_independent_helper() -> None:
    for first15 in ("123456789012345", "000000000000000", "999999999999999", "100000000000001"):
        assert gas_check_digit(first15) == mod_11_10(first15), first15


def test_gas_check_digit_rejects_14_digits() -> None:
    with pytest.raises(ValueError, match="15 digits"):
        gas_check_digit("12345678901234")


def test_gas_check_digit_rejects_letters() -> None:
    with pytest.raises(ValueError, match="15 digits"):
        gas_check_digit("12345678901234A")


def test_normalize_removes_spaces_and_hyphens() -> None:
    assert normalize_meter_number(" 3330 0010-0010\u30000123456789 ") == ELECTRICITY_NUMBER


def test_normalize_maps_full_width_digits() -> None:
    assert normalize_meter_number("３３３０００１０００１００１２３４５６７８９") == ELECTRICITY_NUMBER


def test_normalize_maps_full_width_hyphen() -> None:
    assert normalize_meter_number("3330001000－100123456789") == ELECTRICITY_NUMBER


def test_normalize_keeps_letters() -> None:
    assert normalize_meter_number("33A") == "33A"


def test_parse_electricity_22_digits() -> None:
    assert parse_meter_number(ELECTRICITY_NUMBER) == MeterNumber(ELECTRICITY_NUMBER, "electricity")


def test_parse_gas_16_digits() -> None:
    number = make_gas()
    assert parse_meter_number(number) == MeterNumber(number, "gas")


def test_parse_gas_with_leading_zeros() -> None:
    number = make_gas("000000000012345")
    assert parse_meter_number(number) == MeterNumber(number, "gas")


def test_parse_water_14_digits() -> None:
    assert parse_meter_number(WATER_NUMBER) == MeterNumber(WATER_NUMBER, "water")


def test_parse_full_width_with_spaces() -> None:
    typed = "３３３０　００１０ ００１０ ０１２３ ４５６７ ８９"
    assert parse_meter_number(typed).value == ELECTRICITY_NUMBER


def test_meter_number_is_frozen() -> None:
    meter = parse_meter_number(WATER_NUMBER)
    with pytest.raises(AttributeError):
        meter.value = "1"  # type: ignore[misc]


@pytest.mark.parametrize("length", [0, 1, 13, 15, 17, 21, 23, 30])
def test_parse_rejects_length(length: int) -> None:
    error = meter_error("1" * length)
    assert error.params["problem"] == "length"
    assert error.params["length"] == length
    assert error.params["expected"] == "22, 16 or 14 digits"


def test_parse_rejects_letter() -> None:
    error = meter_error(ELECTRICITY_NUMBER[:-1] + "A")
    assert error.params["problem"] == "characters"
    assert error.params["length"] == 22


def test_parse_rejects_scientific_notation() -> None:
    assert meter_error("3.33E+21").params["problem"] == "characters"


def test_parse_rejects_arabic_indic_digit() -> None:
    assert meter_error("\u0663" + WATER_NUMBER[1:]).params["problem"] == "characters"


def test_parse_rejects_gas_wrong_check_digit() -> None:
    error = meter_error(wrong_check_digit(make_gas()))
    assert error.params["problem"] == "check_digit"
    assert error.params["length"] == 16


def test_parse_rejects_every_wrong_gas_check_digit() -> None:
    number = make_gas()
    for digit in "0123456789":
        if digit == number[-1]:
            continue
        assert meter_error(number[:-1] + digit).params["problem"] == "check_digit", digit


def test_parse_rejects_gas_single_digit_typo() -> None:
    number = make_gas()
    typo = number[:3] + str((int(number[3]) + 5) % 10) + number[4:]
    assert meter_error(typo).params["problem"] == "check_digit"


def test_parse_error_code_and_details() -> None:
    error = meter_error("123")
    assert error.code == "INVALID_METER_NUMBER"
    assert error.details() == {"problem": "length", "length": 3, "expected": "22, 16 or 14 digits"}


def test_file_accepts_electricity() -> None:
    assert meter_number_from_utility_file(ELECTRICITY_NUMBER, "electricity") == ELECTRICITY_NUMBER


def test_file_accepts_gas() -> None:
    number = make_gas()
    assert meter_number_from_utility_file(number, "gas") == number


def test_file_accepts_water_with_spaces() -> None:
    assert meter_number_from_utility_file(" 0000 0012 3456 78 ", "water") == WATER_NUMBER


def test_file_rejects_unknown_utility() -> None:
    with pytest.raises(ValueError, match="unknown utility") as caught:
        meter_number_from_utility_file(WATER_NUMBER, "heat")
    assert not isinstance(caught.value, MeterNumberDamaged)


def test_file_rejects_missing() -> None:
    assert damage_of("  ", "water").problem == "missing"


@pytest.mark.parametrize("raw", ["3.3E+21", "3.33000100010012E+21", "3.3e21", "3E+21", "3.3E21"])
def test_file_rejects_scientific_notation(raw: str) -> None:
    error = damage_of(raw, "electricity")
    assert error.problem == "scientific_notation"
    assert "scientific notation" in str(error)
    assert "export the column as text" in str(error)
    assert raw in str(error)


def test_file_rejects_trailing_point_zero() -> None:
    error = damage_of(WATER_NUMBER.lstrip("0") + ".0", "water")
    assert error.problem == "decimal"
    assert "'.0'" in str(error)
    assert "export the column as text" in str(error)


def test_file_rejects_full_length_point_zero() -> None:
    assert damage_of(ELECTRICITY_NUMBER + ".0", "electricity").problem == "decimal"


def test_file_rejects_letters() -> None:
    error = damage_of("ABC123", "water")
    assert error.problem == "characters"
    assert "'ABC123'" in str(error)


def test_file_rejects_water_leading_zeros_stripped() -> None:
    error = damage_of(WATER_NUMBER.lstrip("0"), "water")
    assert error.problem == "leading_zeros"
    assert "leading zeros were stripped" in str(error)
    assert "6 missing" in str(error)
    assert "8 digits, expected 14" in str(error)


def test_file_rejects_electricity_one_digit_short() -> None:
    error = damage_of(ELECTRICITY_NUMBER[1:], "electricity")
    assert error.problem == "leading_zeros"
    assert "1 missing" in str(error)


def test_file_rejects_gas_leading_zeros_stripped() -> None:
    number = make_gas("000000000012345")
    error = damage_of(number.lstrip("0"), "gas")
    assert error.problem == "leading_zeros"
    assert "leading zeros were stripped" in str(error)


def test_file_rejects_short_gas_that_is_not_stripped_zeros() -> None:
    number = make_gas("000000000012345")
    short = wrong_check_digit(number.lstrip("0"))
    error = damage_of(short, "gas")
    assert error.problem == "length"
    assert "check digit" in str(error)


def test_file_rejects_electricity_number_in_water_file() -> None:
    error = damage_of(ELECTRICITY_NUMBER, "water")
    assert error.problem == "length"
    assert "electricity meter number" in str(error)
    assert "expected 14" in str(error)


def test_file_rejects_gas_number_in_water_file() -> None:
    error = damage_of(make_gas(), "water")
    assert error.problem == "length"
    assert "gas meter number" in str(error)


def test_file_rejects_too_long_without_utility_hint() -> None:
    error = damage_of("1" * 23, "electricity")
    assert error.problem == "length"
    assert "23 digits, expected 22" in str(error)


def test_file_rejects_gas_wrong_check_digit() -> None:
    error = damage_of(wrong_check_digit(make_gas()), "gas")
    assert error.problem == "check_digit"
    assert "check digit" in str(error)


def test_file_message_truncates_long_value() -> None:
    error = damage_of("A" * 500, "water")
    assert len(str(error)) < 200


def test_meter_number_damaged_is_value_error() -> None:
    with pytest.raises(ValueError):
        meter_number_from_utility_file("3.3E+21", "electricity")
