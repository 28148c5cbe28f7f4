"""/v1/admin/...: roster status, usage figures, audit search and spot checks, and who is refused."""

from __future__ import annotations

import urllib.parse
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from census.dal import audit as audit_store
from census.dal.quota import QuotaCounter
from census.domain.audit import QUERY, VERIFY, AuditEvent
from census.services import admin
from tests.helpers import call, claims_for, http_event, load_function
from tests.integration import seed
from tests.integration.test_history_api import add_entry, add_person, meter_number

ADMIN = claims_for("sub-admin", "+8613900000000", groups="[admin]")
DAY = "2026-11-02"
# 10:00 in Beijing on DAY.
MORNING = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


def _event(minute: int, actor: str, outcome: str, *, number: int | None = 1, action: str = QUERY,
           replay: bool = False) -> AuditEvent:  # fmt: skip
    return AuditEvent.create(
        now=MORNING + timedelta(minutes=minute),
        action=action,
        actor=actor,
        outcome=outcome,
        request_id=f"r-{minute}",
        meter_number=meter_number(number) if number is not None else None,
        replay=replay,
    )


@pytest.fixture
def world(aws):
    """Two enumerators' queries on DAY, in two villages, and one verification."""
    claims = {"E001": add_person("E001"), "E002": add_person("E002", areas=("430102001002",))}
    seed.write(
        seed.meter(meter_number(1), 0, area="430102001001"),
        seed.meter(meter_number(2), 1, area="430102001001"),
        seed.meter(meter_number(3), 2, area="430102001002"),
    )
    events = [
        _event(0, "sub:sub-E001", "VERIFIED", number=None, action=VERIFY),
        _event(1, "E001", "GREEN", number=1),
        _event(2, "E001", "GREEN", number=1, replay=True),
        _event(3, "E001", "RED", number=2),
        _event(4, "E001", "QUOTA_EXHAUSTED", number=2),
        _event(5, "E002", "YELLOW", number=3),
        _event(6, "E002", "YELLOW", number=3),
        _event(7, "E002", "METER_NOT_FOUND", number=9),
    ]
    for event in events:
        audit_store.write_event(event, retention_days=400)
    add_entry("E001", 1, "GREEN")
    add_entry("E001", 2, "RED")
    add_entry("E002", 3, "YELLOW")
    QuotaCounter("person#E001", used=2).save()
    return claims


@pytest.fixture
def app(aws):
    return load_function("admin")


def get(app, claims, path, query=None):
    return call(app, http_event("GET", path, claims=claims, query=query))


def post(app, claims, path, body):
    return call(app, http_event("POST", path, claims=claims, body=body))


def audit_messages(aws) -> list[str]:
    sqs = boto3.client("sqs")
    bodies = []
    while True:
        batch = sqs.receive_message(QueueUrl=aws.audit_queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            return bodies
        bodies.extend(AuditEvent.from_message(message["Body"]).outcome for message in batch)


# ---------------------------------------------------------------- who may call


@pytest.mark.parametrize(
    ("method", "path", "query", "body"),
    [
        ("GET", "/v1/admin/roster/E001", None, None),
        ("GET", "/v1/admin/usage", {"from": DAY, "to": DAY}, None),
        ("GET", "/v1/admin/audit", {"day": DAY}, None),
        ("POST", "/v1/admin/spot-checks", None, {"day": DAY, "size": 1}),
    ],
)
def test_non_admin_refused_on_every_route(app, world, method, path, query, body):
    status, reply = call(app, http_event(method, path, claims=world["E001"], query=query, body=body))
    assert status == 403
    assert reply["error"]["code"] == "NOT_ADMIN"


def test_refusal_is_audited(aws, app, world):
    get(app, world["E001"], "/v1/admin/audit", {"day": DAY})
    assert audit_messages(aws) == ["NOT_ADMIN"]


def test_admin_call_is_audited(aws, app, world):
    get(app, ADMIN, "/v1/admin/audit", {"day": DAY})
    assert audit_messages(aws) == ["audit_search"]


def test_admin_call_with_invalid_query_is_audited(aws, app, world):
    get(app, ADMIN, "/v1/admin/usage", {"from": "2026-13-01", "to": DAY})
    assert audit_messages(aws) == ["INVALID_BODY"]


def test_admin_call_rejected_by_handler_audited_with_error(aws, app, world):
    get(app, ADMIN, "/v1/admin/usage", {"from": "2026-10-02", "to": DAY})
    assert audit_messages(aws) == ["INVALID_BODY"]


# ---------------------------------------------------------------- roster status


def test_roster_status_of_verified_person(app, world):
    status, body = get(app, ADMIN, "/v1/admin/roster/E001")
    assert status == 200
    assert body["person_id"] == "E001"
    assert body["verified"] is True
    assert body["verified_at"] is not None
    assert body["quota_used"] == 2
    assert body["quota_limit"] == 200
    assert body["entries"] == 2
    assert body["areas"] == ["430102001001"]
    assert "phone" not in body


def test_roster_status_of_unverified_person(app, world):
    add_person("E009", verified=False)
    _, body = get(app, ADMIN, "/v1/admin/roster/E009")
    assert body["verified"] is False
    assert body["verified_at"] is None
    assert body["quota_used"] == 0


def test_roster_status_of_unknown_person_not_found(app, world):
    status, body = get(app, ADMIN, "/v1/admin/roster/E404")
    assert status == 404
    assert body["error"]["code"] == "NOT_FOUND"


# ---------------------------------------------------------------- usage


def test_usage_counts_one_day(app, world):
    status, body = get(app, ADMIN, "/v1/admin/usage", {"from": DAY, "to": DAY})
    assert status == 200
    day = body["days"][0]
    assert day["day"] == DAY
    assert day["queries"] == 6
    assert day["queries_by_outcome"] == {
        "GREEN": 1,
        "METER_NOT_FOUND": 1,
        "QUOTA_EXHAUSTED": 1,
        "RED": 1,
        "YELLOW": 2,
    }
    assert day["retries_replayed"] == 1
    assert day["people"] == 2
    assert day["meters"] == 3
    assert day["verifications_by_outcome"] == {"VERIFIED": 1}


def test_usage_days_without_events_are_zero(app, world):
    _, body = get(app, ADMIN, "/v1/admin/usage", {"from": "2026-11-01", "to": "2026-11-03"})
    assert [day["day"] for day in body["days"]] == ["2026-11-01", DAY, "2026-11-03"]
    assert [day["queries"] for day in body["days"]] == [0, 6, 0]
    totals = body["totals"]
    assert totals["first_day"] == "2026-11-01"
    assert totals["last_day"] == "2026-11-03"
    assert totals["queries"] == 6
    assert totals["queries_by_outcome"]["YELLOW"] == 2
    assert "people" not in totals


def test_usage_of_31_days_accepted(app, world):
    status, body = get(app, ADMIN, "/v1/admin/usage", {"from": "2026-10-03", "to": DAY})
    assert status == 200
    assert len(body["days"]) == 31


def test_usage_of_32_days_rejected(app, world):
    status, body = get(app, ADMIN, "/v1/admin/usage", {"from": "2026-10-02", "to": DAY})
    assert status == 400
    assert body["error"]["details"]["field"] == "to"
    assert "at most 31 days" in body["error"]["details"]["problem"]


def test_usage_backwards_range_rejected(app, world):
    status, body = get(app, ADMIN, "/v1/admin/usage", {"from": DAY, "to": "2026-11-01"})
    assert status == 400
    assert "before" in body["error"]["details"]["problem"]


def test_usage_invalid_date_rejected(app, world):
    status, body = get(app, ADMIN, "/v1/admin/usage", {"from": "2026-13-01", "to": DAY})
    assert status == 400
    assert body["error"]["code"] == "INVALID_BODY"
    assert body["error"]["details"] == {"field": "query.from", "problem": "expected a date as YYYY-MM-DD"}


# ---------------------------------------------------------------- audit search


def test_audit_lists_day_oldest_first(app, world):
    status, body = get(app, ADMIN, "/v1/admin/audit", {"day": DAY})
    assert status == 200
    assert [event["outcome"] for event in body["events"]][:3] == ["VERIFIED", "GREEN", "GREEN"]
    assert len(body["events"]) == 8
    assert body["next_cursor"] is None


@pytest.mark.parametrize(
    ("query", "outcomes"),
    [
        ({"actor": "E002"}, ["YELLOW", "YELLOW", "METER_NOT_FOUND"]),
        ({"meter_number": meter_number(2)}, ["RED", "QUOTA_EXHAUSTED"]),
        ({"action": "verify"}, ["VERIFIED"]),
        ({"outcome": "GREEN", "actor": "E001"}, ["GREEN", "GREEN"]),
    ],
)
def test_audit_filters(app, world, query, outcomes):
    _, body = get(app, ADMIN, "/v1/admin/audit", {"day": DAY, **query})
    assert [event["outcome"] for event in body["events"]] == outcomes


def test_audit_pages_follow_cursor(app, world):
    seen = []
    cursor = None
    for _ in range(5):
        query = {"day": DAY, "limit": "3"} | ({"cursor": cursor} if cursor else {})
        _, body = get(app, ADMIN, "/v1/admin/audit", query)
        seen.extend(event["event_id"] for event in body["events"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 8
    assert seen == sorted(seen)


def test_audit_filtered_page_follows_cursor(app, world):
    _, first = get(app, ADMIN, "/v1/admin/audit", {"day": DAY, "actor": "E002", "limit": "2"})
    cursor = first["next_cursor"]
    _, second = get(app, ADMIN, "/v1/admin/audit", {"day": DAY, "actor": "E002", "cursor": cursor})
    assert [event["outcome"] for event in first["events"]] == ["YELLOW", "YELLOW"]
    assert [event["outcome"] for event in second["events"]] == ["METER_NOT_FOUND"]
    assert second["next_cursor"] is None


@pytest.mark.parametrize("cursor", ["x' OR 1=1", "2026-11-02T02:01:00+00:00#" + "0" * 32, "%%%"])
def test_audit_forged_cursor_rejected(app, world, cursor):
    status, body = get(app, ADMIN, "/v1/admin/audit", {"day": DAY, "cursor": cursor})
    assert status == 400
    assert body["error"]["details"]["field"] == "cursor"


def test_audit_cursor_safe_in_url(app, world):
    _, body = get(app, ADMIN, "/v1/admin/audit", {"day": DAY, "limit": "2"})
    assert body["next_cursor"]
    assert body["next_cursor"] == urllib.parse.quote(body["next_cursor"], safe="")


def test_audit_limit_above_200_rejected(app, world):
    status, body = get(app, ADMIN, "/v1/admin/audit", {"day": DAY, "limit": str(admin.AUDIT_PAGE_MAX + 1)})
    assert status == 400
    assert body["error"]["details"]["problem"] == "at most 200"


def test_audit_unknown_action_rejected(app, world):
    status, body = get(app, ADMIN, "/v1/admin/audit", {"day": DAY, "action": "delete"})
    assert status == 400
    assert "query|verify|admin" in body["error"]["details"]["problem"]


# ---------------------------------------------------------------- spot checks


def test_spot_check_draws_from_successful_queries(app, world):
    status, body = post(app, ADMIN, "/v1/admin/spot-checks", {"day": DAY, "size": 10, "seed": 7})
    assert status == 200
    assert body["population"] == 3
    assert body["seed"] == 7
    pairs = [(item["person_id"], item["meter_number"]) for item in body["items"]]
    assert pairs == [("E001", meter_number(1)), ("E001", meter_number(2)), ("E002", meter_number(3))]
    first = body["items"][0]
    assert first["code_given"] == "GREEN"
    assert first["code_now"] == "GREEN"
    assert first["area_code"] == "430102001001"


def test_spot_check_same_seed_same_sample(app, world):
    request = {"day": DAY, "size": 2, "seed": 12345}
    _, first = post(app, ADMIN, "/v1/admin/spot-checks", request)
    _, again = post(app, ADMIN, "/v1/admin/spot-checks", request)
    assert len(first["items"]) == 2
    assert again["items"] == first["items"]


def test_spot_check_without_seed_returns_one(app, world):
    _, body = post(app, ADMIN, "/v1/admin/spot-checks", {"day": DAY, "size": 1})
    assert 0 <= body["seed"] <= admin.SEED_MAX
    assert len(body["items"]) == 1


def test_spot_check_area_prefix(app, world):
    _, body = post(app, ADMIN, "/v1/admin/spot-checks", {"day": DAY, "size": 10, "area_code": "430102001002"})
    assert body["population"] == 1
    assert body["items"][0]["meter_number"] == meter_number(3)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"day": DAY, "size": 0}, "size"),
        ({"day": DAY, "size": admin.SPOT_CHECK_MAX + 1}, "size"),
        ({"day": DAY, "size": 1, "area_code": "43a1"}, "area_code"),
        ({"day": DAY, "size": 1, "seed": -1}, "seed"),
        ({"day": DAY, "size": 1, "extra": True}, "extra"),
    ],
)
def test_spot_check_invalid_request_rejected(app, world, body, field):
    status, reply = post(app, ADMIN, "/v1/admin/spot-checks", body)
    assert status == 400
    assert reply["error"]["details"]["field"] == field


def test_spot_check_of_200_accepted(app, world):
    status, body = post(app, ADMIN, "/v1/admin/spot-checks", {"day": DAY, "size": admin.SPOT_CHECK_MAX})
    assert status == 200
    assert len(body["items"]) == 3
