"""POST /v1/queries against moto resources built from template.yaml, on seeded partitions."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import numpy as np
import pytest

from census.dal import quota
from census.domain.beijing import beijing_date
from census.services.roster_import import import_roster
from tests.conftest import TEST_ID_HASH_KEY
from tests.helpers import call, claims_for, http_event, load_function, make_id_number, roster_csv
from tests.integration import seed

FIRST_DAY = date(2026, 9, 1)
DAYS = 56
GREEN = seed.electricity_number(1)
RED = seed.electricity_number(2)
UNKNOWN = seed.electricity_number(3)
BUSINESS = seed.electricity_number(4)
REMOVED = seed.electricity_number(5)
OUTSIDE = seed.electricity_number(6)
SECOND_OF_HOME = seed.electricity_number(7)
# A water meter in a county whose water data has never been published.
UNPUBLISHED = "43010200000008"

PEOPLE = [
    {"person_id": "S001", "name": "王建国", "phone": "13800000001", "role": "supervisor",
     "id_number": make_id_number(sequence="011"), "area_codes": "430102000000"},
    {"person_id": "E001", "name": "李小红", "phone": "13800000002", "role": "enumerator",
     "supervisor_id": "S001", "id_number": make_id_number(sequence="022"), "area_codes": "430102001001"},
]  # fmt: skip


@pytest.fixture
def world(aws):
    import_roster(
        roster_csv(PEOPLE), source="r.csv", hash_key=TEST_ID_HASH_KEY.encode(), now=datetime.now(UTC)
    )
    verify = load_function("verify")
    person = PEOPLE[1]
    event = http_event(
        "POST", "/v1/verify", claims=claims_for("sub-e1", "+8613800000002"),
        body={"name": person["name"], "id_number": person["id_number"]},
    )  # fmt: skip
    assert call(verify, event)[0] == 200

    rng = np.random.default_rng(7)
    occupied = np.array([seed.occupied_hours(rng) for _ in range(DAYS)])
    empty = np.zeros((DAYS, 24))
    sparse = np.full((DAYS, 24), np.nan)
    sparse[-3:] = occupied[-3:]
    seed.write(
        seed.meter(GREEN, 0, household="HH-1"),
        seed.meter(RED, 1),
        seed.meter(UNKNOWN, 2),
        seed.meter(BUSINESS, 3, customer_type="business"),
        seed.meter(REMOVED, 4, status="removed"),
        seed.meter(OUTSIDE, 5, area="430102002001"),
        seed.meter(SECOND_OF_HOME, 6, household="HH-1"),
        seed.meter(UNPUBLISHED, 0, utility="water"),
    )
    seed.publish_days(
        "430102", FIRST_DAY, DAYS,
        {0: occupied, 1: empty, 2: sparse, 3: occupied, 4: occupied, 5: occupied, 6: empty},
    )  # fmt: skip
    return load_function("query")


def _query(app, number, *, sub="sub-e1", phone="+8613800000002", headers=None):
    event = http_event("POST", "/v1/queries", claims=claims_for(sub, phone), body={"meter_number": number},
                       headers=headers)  # fmt: skip
    return call(app, event)


def test_query_occupied_home_is_green(world):
    status, body = _query(world, GREEN)
    assert status == 200
    assert body["code"] == "GREEN"
    assert body["as_of"] == "2026-10-26"
    assert body["first_query"] is True
    assert body["quota"] == {"limit": 200, "used": 1, "left": 199}


def test_query_reports_each_meter_of_household(world):
    status, body = _query(world, SECOND_OF_HOME)
    assert status == 200
    codes = {item["meter_number"]: item["code"] for item in body["meters"]}
    assert codes == {SECOND_OF_HOME: "RED", GREEN: "GREEN"}
    assert body["code"] == "GREEN"


def test_query_empty_home_is_red(world):
    status, body = _query(world, RED)
    assert status == 200
    assert body["code"] == "RED"


def test_query_sparse_data_is_unknown_and_free(world):
    status, body = _query(world, UNKNOWN)
    assert status == 200
    assert body["code"] == "UNKNOWN"
    assert body["first_query"] is False
    assert body["quota"]["used"] == 0


def test_query_returns_no_consumption_figures(world):
    status, body = _query(world, GREEN)
    text = str(body)
    assert status == 200
    assert "kwh" not in text.lower()
    expected = {"query_id", "meter_number", "utility", "area_code", "code", "reason", "as_of", "tags"}
    assert set(body) == expected | {"meters", "first_query", "quota"}


def test_query_accepts_spaces_and_full_width(world):
    typed = " ".join(GREEN[i : i + 4] for i in range(0, 22, 4)).translate(
        str.maketrans("0123456789", "０１２３４５６７８９")
    )
    status, body = _query(world, typed)
    assert status == 200
    assert body["meter_number"] == GREEN


@pytest.mark.parametrize(
    ("number", "status", "code"),
    [
        ("12345", 400, "INVALID_METER_NUMBER"),
        ("1234500000000000000099", 404, "METER_NOT_FOUND"),
        (OUTSIDE, 403, "METER_OUTSIDE_AREA"),
        (BUSINESS, 422, "METER_NOT_RESIDENTIAL"),
        (REMOVED, 422, "METER_NOT_IN_SERVICE"),
        (UNPUBLISHED, 422, "NO_CONSUMPTION_DATA"),
    ],
)
def test_query_errors_cost_nothing(world, number, status, code):
    got_status, body = _query(world, number)
    assert got_status == status
    assert body["error"]["code"] == code
    assert quota.person_homes_used("E001") == 0


def test_malformed_number_names_problem(world):
    status, body = _query(world, "12345")
    assert status == 400
    assert body["error"]["details"]["problem"] == "length"
    assert body["error"]["details"]["length"] == 5


def test_gas_check_digit_error(world):
    good = seed.gas_number(42)
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    status, body = _query(world, bad)
    assert status == 400
    assert body["error"]["details"]["problem"] == "check_digit"


def test_query_before_verification_rejected(world):
    status, body = _query(world, GREEN, sub="sub-unknown")
    assert status == 403
    assert body["error"]["code"] == "NOT_VERIFIED"


def test_requery_same_home_is_free(world):
    _query(world, GREEN)
    status, body = _query(world, SECOND_OF_HOME)
    assert status == 200
    assert body["first_query"] is False
    assert body["quota"]["used"] == 1


def test_idempotent_retry_returns_first_answer_uncharged(world):
    headers = {"idempotency-key": "scan-0001"}
    first_status, first = _query(world, GREEN, headers=headers)
    second_status, second = _query(world, GREEN, headers=headers)
    assert first_status == 200
    assert second_status == 200
    assert second == first
    assert quota.meter_queries_on(GREEN, beijing_date(datetime.now(UTC))) == 1
    assert quota.person_homes_used("E001") == 1


def test_idempotent_retry_not_counted_toward_meter_daily(world):
    headers = {"idempotency-key": "scan-0002"}
    for _ in range(3):
        _query(world, RED, headers=headers)
    assert quota.meter_queries_on(RED, beijing_date(datetime.now(UTC))) == 1


def test_idempotency_key_reused_for_other_meter(world):
    headers = {"idempotency-key": "scan-0003"}
    _query(world, GREEN, headers=headers)
    status, body = _query(world, RED, headers=headers)
    assert status == 422
    assert body["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"


def test_idempotency_key_too_long_rejected(world):
    status, body = _query(world, GREEN, headers={"idempotency-key": "k" * 129})
    assert status == 400
    assert body["error"]["details"]["field"] == "Idempotency-Key"


def test_idempotency_key_of_128_accepted(world):
    status, body = _query(world, GREEN, headers={"idempotency-key": "k" * 128})
    assert status == 200
    assert body["code"] == "GREEN"


@pytest.mark.parametrize("key", ["", "   "])
def test_idempotency_key_blank_rejected(world, key):
    status, body = _query(world, GREEN, headers={"idempotency-key": key})
    assert status == 400
    assert body["error"]["details"]["field"] == "Idempotency-Key"
    assert "not blank" in body["error"]["details"]["problem"]


@pytest.mark.parametrize(("start", "end"), [("2026-11-02", ""), ("", "2026-10-31")])
def test_query_outside_service_window_rejected(world, monkeypatch, start, end):
    from census import clock, config

    monkeypatch.setenv("SERVICE_WINDOW_START", start)
    monkeypatch.setenv("SERVICE_WINDOW_END", end)
    config.settings.cache_clear()
    app = load_function("query")
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 1, 3, 0, tzinfo=UTC))
    status, body = _query(app, GREEN)
    assert status == 403
    assert body["error"]["code"] == "OUTSIDE_SERVICE_WINDOW"
    assert quota.person_homes_used("E001") == 0


def test_query_on_last_window_day_in_beijing_passes(world, monkeypatch):
    from census import clock, config

    monkeypatch.setenv("SERVICE_WINDOW_END", "2026-11-01")
    config.settings.cache_clear()
    app = load_function("query")
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 1, 15, 59, 59, tzinfo=UTC))
    assert _query(app, GREEN)[0] == 200
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 1, 16, 0, 0, tzinfo=UTC))
    status, body = _query(app, GREEN)
    assert status == 403
    assert body["error"]["code"] == "OUTSIDE_SERVICE_WINDOW"


def test_household_meter_in_other_area_not_reported(world):
    other_area = seed.electricity_number(9)
    seed.write(seed.meter(other_area, 4, household="HH-1", area="430102002001"))
    status, body = _query(world, GREEN)
    assert status == 200
    numbers = {item["meter_number"] for item in body["meters"]}
    assert other_area not in numbers
    assert numbers == {GREEN, SECOND_OF_HOME}


def test_idempotent_retry_typed_differently_is_same_request(world):
    headers = {"idempotency-key": "scan-0004"}
    first_status, first = _query(world, GREEN, headers=headers)
    spaced = " ".join(GREEN[i : i + 4] for i in range(0, 22, 4))
    second_status, second = _query(world, spaced, headers=headers)
    assert first_status == 200
    assert second_status == 200
    assert second["query_id"] == first["query_id"]


@pytest.mark.parametrize(
    ("body", "headers", "field"),
    [
        ('{"meter_number": ', None, "body"),
        ('{"meter_number": "1"}', {"content-type": "text/plain"}, "Content-Type"),
        ('{"meter_number": ' + "[" * 5000 + "]" * 5000 + "}", None, "body"),
    ],
)
def test_query_bad_body_is_invalid_body_and_audited(world, aws, body, headers, field):
    import boto3

    event = http_event("POST", "/v1/queries", claims=claims_for("sub-e1", "+8613800000002"), body=body,
                       headers=headers)  # fmt: skip
    status, response = call(world, event)
    assert status == 400
    assert response["error"]["code"] == "INVALID_BODY"
    assert response["error"]["details"]["field"] == field
    messages = boto3.client("sqs").receive_message(QueueUrl=aws.audit_queue_url, MaxNumberOfMessages=10)
    events = [json.loads(message["Body"]) for message in messages.get("Messages", [])]
    rejected = [event for event in events if event["outcome"] == "INVALID_BODY"]
    assert len(rejected) == 1
    # The caller is verified, so the event is filed under the person, not the sign-in identity.
    assert rejected[0]["actor"] == "E001"
