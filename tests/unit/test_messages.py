"""Unit tests of census.messages."""

from __future__ import annotations

import re
import string
from datetime import date, datetime

import pytest

from census import errors
from census.messages import message, pick_language, templates, text_keys

LANGUAGES = ["zh-CN", "en"]
HAN = re.compile(r"[\u4e00-\u9fff]")


def all_error_classes() -> list[type[errors.CensusError]]:
    found: list[type[errors.CensusError]] = [errors.CensusError]
    index = 0
    while index < len(found):
        found.extend(found[index].__subclasses__())
        index += 1
    return found


ERROR_CODES = sorted({cls.code for cls in all_error_classes()})


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_error_codes_found() -> None:
    assert "INTERNAL_ERROR" in ERROR_CODES
    assert "VERIFICATION_MISMATCH" in ERROR_CODES
    assert len(ERROR_CODES) >= 20


@pytest.mark.parametrize("code", ERROR_CODES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_error_code_has_text(code: str, language: str) -> None:
    assert templates(code, language)


@pytest.mark.parametrize("key", text_keys())
@pytest.mark.parametrize("language", LANGUAGES)
def test_last_template_needs_no_parameters(key: str, language: str) -> None:
    assert fields(templates(key, language)[-1]) == set()


@pytest.mark.parametrize("key", text_keys())
def test_every_text_key_belongs_to_error_code(key: str) -> None:
    assert key.split(".")[0] in ERROR_CODES


@pytest.mark.parametrize("key", text_keys())
def test_chinese_text_is_chinese(key: str) -> None:
    for template in templates(key, "zh-CN"):
        assert HAN.search(template), template


@pytest.mark.parametrize("key", text_keys())
def test_english_text_has_no_chinese(key: str) -> None:
    for template in templates(key, "en"):
        assert not HAN.search(template), template


@pytest.mark.parametrize("code", ERROR_CODES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_message_without_parameters_has_no_placeholders(code: str, language: str) -> None:
    text = message(code, language)
    assert "{" not in text
    assert "}" not in text


@pytest.mark.parametrize("cls", all_error_classes(), ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("language", LANGUAGES)
def test_message_with_public_parameters_fills_all(cls: type[errors.CensusError], language: str) -> None:
    params = {name: "7" for name in cls.public}
    text = message(cls.code, language, **params)
    assert "{" not in text
    assert text


def test_verification_mismatch_names_local_census_office_zh() -> None:
    assert "当地普查机构" in message("VERIFICATION_MISMATCH", "zh-CN")


def test_verification_mismatch_names_local_census_office_en() -> None:
    assert "local census office" in message("VERIFICATION_MISMATCH", "en")


def test_verification_mismatch_attempts_left() -> None:
    assert "2次" in message("VERIFICATION_MISMATCH", "zh-CN", attempts_left=2)
    assert "Attempts left today: 2" in message("VERIFICATION_MISMATCH", "en", attempts_left=2)


def test_verification_locked_unlock_time() -> None:
    unlocks_at = datetime(2026, 11, 2, 0, 0)
    assert "2026-11-02 00:00" in message("VERIFICATION_LOCKED", "zh-CN", unlocks_at=unlocks_at)
    assert "2026-11-02 00:00" in message("VERIFICATION_LOCKED", "en", unlocks_at=unlocks_at)


def test_verification_locked_without_time() -> None:
    assert "明天" in message("VERIFICATION_LOCKED", "zh-CN")


def test_meter_outside_area_uses_assigned_areas_term() -> None:
    assert "管辖区域" in message("METER_OUTSIDE_AREA", "zh-CN")


def test_no_consumption_data_names_colour_codes() -> None:
    text = message("NO_CONSUMPTION_DATA", "zh-CN")
    assert "绿码" in text
    assert "黄码" in text
    assert "红码" in text


def test_not_supervisor_names_supervisor() -> None:
    assert "普查指导员" in message("NOT_SUPERVISOR", "zh-CN")


def test_not_verified_names_management_system() -> None:
    assert "普查员管理系统" in message("NOT_VERIFIED", "zh-CN")


def test_quota_person_homes_limit_and_list() -> None:
    text = message("QUOTA_EXHAUSTED", "zh-CN", limit_name="person_homes", limit=200, used=200)
    assert "200户" in text
    assert "我的查询" in text


def test_quota_home_people_limit() -> None:
    assert "10名" in message("QUOTA_EXHAUSTED", "zh-CN", limit_name="home_people", limit=10)
    assert "10 people" in message("QUOTA_EXHAUSTED", "en", limit_name="home_people", limit=10)


def test_quota_meter_daily_reset_time() -> None:
    resets_at = datetime(2026, 11, 2, 0, 0)
    text = message("QUOTA_EXHAUSTED", "en", limit_name="meter_daily", limit=20, resets_at=resets_at)
    assert "20 times" in text
    assert "2026-11-02 00:00" in text


def test_quota_meter_daily_without_reset_time() -> None:
    text = message("QUOTA_EXHAUSTED", "zh-CN", limit_name="meter_daily", limit=20)
    assert "20次" in text
    assert "明天" in text


def test_quota_unknown_limit_name_gets_generic_text() -> None:
    assert message("QUOTA_EXHAUSTED", "en", limit_name="other") == message("QUOTA_EXHAUSTED", "en")


@pytest.mark.parametrize("problem", ["length", "characters", "check_digit"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_invalid_meter_number_problem_has_own_text(problem: str, language: str) -> None:
    specific = message("INVALID_METER_NUMBER", language, problem=problem)
    assert specific != message("INVALID_METER_NUMBER", language)


def test_invalid_meter_number_length_states_digits() -> None:
    params = {"problem": "length", "length": 12, "expected": "22, 16 or 14 digits"}
    assert "12位" in message("INVALID_METER_NUMBER", "zh-CN", **params)
    assert "12 digits, expected 22, 16 or 14 digits" in message("INVALID_METER_NUMBER", "en", **params)


@pytest.mark.parametrize("problem", ["length", "characters", "check_digit", "birth_date"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_invalid_id_number_problem_has_own_text(problem: str, language: str) -> None:
    specific = message("INVALID_ID_NUMBER", language, problem=problem)
    assert specific != message("INVALID_ID_NUMBER", language)


@pytest.mark.parametrize("status", ["removed", "terminated"])
def test_meter_not_in_service_status_has_own_text(status: str) -> None:
    assert message("METER_NOT_IN_SERVICE", "zh-CN", status=status) != message("METER_NOT_IN_SERVICE", "zh-CN")


def test_person_inactive_dates() -> None:
    text = message("PERSON_INACTIVE", "zh-CN", active_from=date(2026, 10, 27), active_to=date(2026, 11, 15))
    assert "2026-10-27" in text
    assert "2026-11-15" in text


def test_outside_service_window_dates() -> None:
    text = message("OUTSIDE_SERVICE_WINDOW", "en", window_start="2026-10-27", window_end="2026-11-15")
    assert "2026-10-27 to 2026-11-15" in text


def test_invalid_body_field() -> None:
    assert "meter_number" in message("INVALID_BODY", "en", field="meter_number")


def test_parameter_with_braces_is_not_formatted_again() -> None:
    assert "{x}" in message("INVALID_BODY", "en", field="{x}")


def test_unknown_code_gets_internal_error_text() -> None:
    assert message("NO_SUCH_CODE", "en") == message("INTERNAL_ERROR", "en")


def test_unknown_language_gets_chinese() -> None:
    assert message("NOT_FOUND", "fr") == message("NOT_FOUND", "zh-CN")


def test_english_and_chinese_differ() -> None:
    assert message("NOT_FOUND", "en") != message("NOT_FOUND", "zh-CN")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "zh-CN"),
        ("", "zh-CN"),
        ("en", "en"),
        ("EN-gb", "en"),
        ("en-US,en;q=0.9", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        ("zh-Hans-CN", "zh-CN"),
        ("en;q=0.5,zh;q=0.8", "zh-CN"),
        ("zh;q=0.5,en;q=0.8", "en"),
        ("fr-FR,en;q=0.5", "en"),
        ("fr-FR", "zh-CN"),
        ("*", "zh-CN"),
        ("en;q=0", "zh-CN"),
        ("zh;q=0.5, en;q=0.5", "zh-CN"),
        ("en;q=0.5, zh;q=0.5", "en"),
        ("en;q=abc", "zh-CN"),
        ("en-US;q=0.9, zh", "zh-CN"),
        ("english", "zh-CN"),
    ],
)
def test_pick_language(header: str | None, expected: str) -> None:
    assert pick_language(header) == expected
