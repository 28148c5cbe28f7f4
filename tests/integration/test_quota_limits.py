"""The query limits at their boundaries, on moto tables built from template.yaml."""

from __future__ import annotations

from datetime import date

import pytest

from census.config import Limits
from census.dal import quota
from census.dal.quota import HOME_PEOPLE, METER_DAILY, PERSON_HOMES, LimitReached

DAY = date(2026, 11, 1)
LIMITS = Limits()


def _first(person: str, home: str, meter: str | None = None, day: date = DAY) -> bool:
    return quota.take_first_query(
        person_id=person, household_id=home, meter_number=meter or f"m-{home}", day=day, limits=LIMITS
    )


def test_person_200th_home_passes_201st_rejected(aws):
    for index in range(199):
        assert _first("E001", f"H{index:03d}") is True
    assert _first("E001", "H199") is True
    assert quota.person_homes_used("E001") == 200
    with pytest.raises(LimitReached) as rejected:
        _first("E001", "H200")
    assert rejected.value.limit_name == PERSON_HOMES
    assert rejected.value.limit == 200
    assert rejected.value.used == 200


def test_rejected_first_query_takes_nothing_else(aws):
    for index in range(200):
        _first("E001", f"H{index:03d}")
    with pytest.raises(LimitReached):
        _first("E001", "H200", meter="M-NEW")
    assert quota.home_people_used("H200") == 0
    assert quota.meter_queries_on("M-NEW", DAY) == 0
    assert quota.holds_home("E001", "H200") is False


def test_requery_own_home_at_200_passes(aws):
    for index in range(200):
        _first("E001", f"H{index:03d}")
    assert _first("E001", "H007") is False
    assert quota.person_homes_used("E001") == 200


def test_home_10th_person_passes_11th_rejected(aws):
    for index in range(9):
        _first(f"E{index:03d}", "H1")
    assert _first("E009", "H1") is True
    assert quota.home_people_used("H1") == 10
    with pytest.raises(LimitReached) as rejected:
        _first("E010", "H1")
    assert rejected.value.limit_name == HOME_PEOPLE
    assert rejected.value.used == 10
    assert quota.person_homes_used("E010") == 0


def test_meter_20th_daily_query_passes_21st_rejected(aws):
    for _ in range(19):
        _first("E001", "H1", meter="M1")
    assert _first("E001", "H1", meter="M1") is False
    assert quota.meter_queries_on("M1", DAY) == 20
    with pytest.raises(LimitReached) as rejected:
        _first("E002", "H1", meter="M1")
    assert rejected.value.limit_name == METER_DAILY
    assert quota.home_people_used("H1") == 1
    assert quota.holds_home("E002", "H1") is False


def test_meter_daily_limit_resets_next_beijing_day(aws):
    for _ in range(20):
        _first("E001", "H1", meter="M1")
    assert _first("E001", "H1", meter="M1", day=date(2026, 11, 2)) is False
    assert quota.meter_queries_on("M1", date(2026, 11, 2)) == 1


def test_meter_day_counter_carries_expiry(aws):
    _first("E001", "H1", meter="M1")
    counter = quota.QuotaCounter.get("meterday#M1#2026-11-01")
    # 2026-11-02 00:00 Beijing is 2026-11-01 16:00 UTC, plus two days of grace.
    assert counter.expires_at == 1_793_548_800 + 2 * 86_400


def test_verification_fifth_failure_counts_sixth_locked(aws):
    for _ in range(5):
        quota.take_verification_attempt("sub-1", DAY, LIMITS)
    with pytest.raises(LimitReached):
        quota.take_verification_attempt("sub-1", DAY, LIMITS)
    quota.take_verification_attempt("sub-1", date(2026, 11, 2), LIMITS)


def test_returned_verification_attempt_frees_unit(aws):
    for _ in range(5):
        quota.take_verification_attempt("sub-1", DAY, LIMITS)
    quota.return_verification_attempt("sub-1", DAY)
    quota.take_verification_attempt("sub-1", DAY, LIMITS)
    assert quota.verification_failures_on("sub-1", DAY) == 5
