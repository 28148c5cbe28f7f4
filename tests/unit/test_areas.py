"""Unit tests of census.domain.areas."""

from __future__ import annotations

import pytest

from census.domain.areas import (
    InvalidAreaCode,
    any_area_contains,
    area_contains,
    area_level,
    area_prefix,
    county_of,
    validate_area_code,
)

PROVINCE = "430000000000"  # Hunan
CITY = "430100000000"  # Changsha
COUNTY = "430102000000"  # Furong district
TOWNSHIP = "430102001000"
VILLAGE = "430102001001"

SIBLING_PROVINCE = "440000000000"
SIBLING_CITY = "430200000000"
SIBLING_COUNTY = "430103000000"
SIBLING_TOWNSHIP = "430102002000"
SIBLING_VILLAGE = "430102001002"

LEVELS = [
    (PROVINCE, "province", "43"),
    (CITY, "city", "4301"),
    (COUNTY, "county", "430102"),
    (TOWNSHIP, "township", "430102001"),
    (VILLAGE, "village", "430102001001"),
]


def problem_of(raw: str) -> str:
    with pytest.raises(InvalidAreaCode) as caught:
        validate_area_code(raw)
    return caught.value.problem


@pytest.mark.parametrize(("code", "level", "prefix"), LEVELS)
def test_validate_accepts_level(code: str, level: str, prefix: str) -> None:
    assert validate_area_code(code) == code


@pytest.mark.parametrize(("code", "level", "prefix"), LEVELS)
def test_area_level_of_each_level(code: str, level: str, prefix: str) -> None:
    assert area_level(code) == level


@pytest.mark.parametrize(("code", "level", "prefix"), LEVELS)
def test_area_prefix_of_each_level(code: str, level: str, prefix: str) -> None:
    assert area_prefix(code) == prefix


def test_area_prefix_example_county() -> None:
    assert area_prefix("430102000000") == "430102"


def test_validate_strips_spaces() -> None:
    assert validate_area_code(" 430102 001 001\u3000") == VILLAGE


def test_validate_maps_full_width_digits() -> None:
    assert validate_area_code("４３０１０２００１００１") == VILLAGE


def test_validate_accepts_zero_ending_village_part() -> None:
    assert area_level("430102001010") == "village"


def test_validate_accepts_township_part_above_100() -> None:
    assert area_level("430102100000") == "township"


def test_validate_rejects_11_digits() -> None:
    assert problem_of("43010200100") == "length"


def test_validate_rejects_13_digits() -> None:
    assert problem_of("4301020010010") == "length"


def test_validate_rejects_6_digit_county_code() -> None:
    assert problem_of("430102") == "length"


def test_validate_rejects_empty() -> None:
    assert problem_of("") == "length"


def test_validate_rejects_letters() -> None:
    assert problem_of("43010200100A") == "characters"


def test_validate_rejects_hyphen() -> None:
    assert problem_of("430102-001001") == "characters"


def test_validate_rejects_province_00() -> None:
    assert problem_of("000102001001") == "province"


def test_validate_rejects_all_zeros() -> None:
    assert problem_of("000000000000") == "province"


def test_validate_rejects_city_zero_with_county() -> None:
    assert problem_of("430002000000") == "hierarchy"


def test_validate_rejects_county_zero_with_township() -> None:
    assert problem_of("430100001000") == "hierarchy"


def test_validate_rejects_township_zero_with_village() -> None:
    assert problem_of("430102000001") == "hierarchy"


def test_validate_rejects_city_zero_with_village() -> None:
    assert problem_of("430000000001") == "hierarchy"


def test_invalid_area_code_message_names_value() -> None:
    with pytest.raises(InvalidAreaCode) as caught:
        validate_area_code("430102000001")
    assert "430102000001" in str(caught.value)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("assigned", [PROVINCE, CITY, COUNTY, TOWNSHIP, VILLAGE])
def test_contains_itself(assigned: str) -> None:
    assert area_contains(assigned, assigned)


@pytest.mark.parametrize(
    ("assigned", "target"),
    [
        (PROVINCE, CITY),
        (PROVINCE, COUNTY),
        (PROVINCE, TOWNSHIP),
        (PROVINCE, VILLAGE),
        (CITY, COUNTY),
        (CITY, TOWNSHIP),
        (CITY, VILLAGE),
        (COUNTY, TOWNSHIP),
        (COUNTY, VILLAGE),
        (TOWNSHIP, VILLAGE),
    ],
)
def test_contains_lower_level(assigned: str, target: str) -> None:
    assert area_contains(assigned, target)


@pytest.mark.parametrize(
    ("assigned", "target"),
    [
        (VILLAGE, TOWNSHIP),
        (VILLAGE, COUNTY),
        (TOWNSHIP, COUNTY),
        (COUNTY, CITY),
        (CITY, PROVINCE),
        (VILLAGE, PROVINCE),
    ],
)
def test_does_not_contain_higher_level(assigned: str, target: str) -> None:
    assert not area_contains(assigned, target)


@pytest.mark.parametrize(
    ("assigned", "target"),
    [
        (PROVINCE, "440102001001"),
        (CITY, "430201001001"),
        (COUNTY, "430103001001"),
        (TOWNSHIP, "430102002001"),
        (VILLAGE, SIBLING_VILLAGE),
        (SIBLING_PROVINCE, VILLAGE),
        (SIBLING_CITY, VILLAGE),
        (SIBLING_COUNTY, VILLAGE),
        (SIBLING_TOWNSHIP, VILLAGE),
    ],
)
def test_does_not_contain_sibling(assigned: str, target: str) -> None:
    assert not area_contains(assigned, target)


def test_contains_rejects_invalid_target() -> None:
    with pytest.raises(InvalidAreaCode):
        area_contains(COUNTY, "4301")


def test_contains_rejects_invalid_assigned() -> None:
    with pytest.raises(InvalidAreaCode):
        area_contains("4301", VILLAGE)


def test_any_contains_one_of_several() -> None:
    assert any_area_contains([SIBLING_COUNTY, TOWNSHIP], VILLAGE)


def test_any_contains_none_of_several() -> None:
    assert not any_area_contains([SIBLING_COUNTY, SIBLING_TOWNSHIP], VILLAGE)


def test_any_contains_empty_assignment() -> None:
    assert not any_area_contains([], VILLAGE)


def test_any_contains_accepts_generator() -> None:
    assert any_area_contains((code for code in [CITY]), VILLAGE)


@pytest.mark.parametrize("code", [COUNTY, TOWNSHIP, VILLAGE])
def test_county_of_county_and_below(code: str) -> None:
    assert county_of(code) == "430102"


@pytest.mark.parametrize("code", [PROVINCE, CITY])
def test_county_of_rejects_above_county(code: str) -> None:
    with pytest.raises(InvalidAreaCode) as caught:
        county_of(code)
    assert caught.value.problem == "level"


def test_county_of_rejects_invalid_code() -> None:
    with pytest.raises(InvalidAreaCode):
        county_of("43010200")
