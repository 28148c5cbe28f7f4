"""Hostile callers and edge values against /v1/admin/...: who is refused, what is audited, limits, paging.

Every test here shares one moto world (module scope), because building the
template's resources for each test took about 1.5 s on a 2-core machine, and
this file makes about 180 small calls. Tests keep apart by using Beijing days,
meters and people of their own, and the audit queue is emptied before each test.
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from types import ModuleType, SimpleNamespace
from typing import Any

import boto3
import pytest

from census.dal import audit as audit_store
from census.dal.models import RosterPerson
from census.domain.audit import ADMIN as ADMIN_ACTION
from census.domain.audit import QUERY, VERIFY, AuditEvent, audit_meter_number
from census.services import admin
from tests.conftest import moto_resources
from tests.helpers import call, claims_for, http_event, load_function
from tests.integration import seed
from tests.integration.test_history_api import add_entry, add_person, meter_number

ADMIN_SUB = "sub-admin"
ADMIN_PHONE = "+8613900000000"
ADMIN = claims_for(ADMIN_SUB, ADMIN_PHONE, groups="[admin]")
USAGE = "/v1/admin/usage"
AUDIT = "/v1/admin/audit"
SPOT_CHECK = "/v1/admin/spot-checks"
# A day on which nothing was written, for calls whose figures do not matter.
QUIET_DAY = "2026-06-01"

# Registry areas of the meters numbered 1-8. Meter 9 is never registered.
AREAS = {
    1: "430102001001",
    2: "430102001002",
    3: "430102001001",
    4: "430102001001",
    5: "430103001000",
    6: "440101001001",
    7: "430102001001",
    8: "430102001001",
}
UNREGISTERED = 9
# Meters 1000-1149 stand in for a day with more distinct homes than one BatchGetItem call returns.
MANY_FIRST = 1000
MANY = 150


@pytest.fixture(scope="module")
def world() -> Iterator[SimpleNamespace]:
    """One moto account with the template's resources, the admin function and a small roster."""
    with (
        pytest.MonkeyPatch.context() as monkeypatch,
        moto_resources(monkeypatch, "census-hostile") as resources,
    ):
        people = {
            "E001": add_person("E001"),
            "E002": add_person("E002", areas=("430102001002",)),
            "S001": add_person("S001", role="supervisor"),
        }
        registry = [seed.meter(meter_number(number), number, area=area) for number, area in AREAS.items()]
        registry += [
            seed.meter(meter_number(number), number, area="430102001001")
            for number in range(MANY_FIRST, MANY_FIRST + MANY)
        ]
        seed.write(*registry)
        add_entry("E001", 1, "GREEN")
        yield SimpleNamespace(resources=resources, app=load_function("admin"), people=people)


@pytest.fixture(autouse=True)
def _empty_audit_queue(world: SimpleNamespace) -> None:
    sent_audit(world)


def sent_audit(world: SimpleNamespace) -> list[AuditEvent]:
    """Receive and delete every message on the audit queue."""
    sqs = boto3.client("sqs")
    url = world.resources.audit_queue_url
    events = []
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            return events
        for message in batch:
            events.append(AuditEvent.from_message(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def get(app: ModuleType, claims: dict[str, Any], path: str, query: dict[str, str] | None = None):
    return call(app, http_event("GET", path, claims=claims, query=query))


def post(app: ModuleType, claims: dict[str, Any], body: Any, headers: dict[str, str] | None = None):
    return call(app, http_event("POST", SPOT_CHECK, claims=claims, body=body, headers=headers))


def write(*events: AuditEvent) -> None:
    for event in events:
        assert audit_store.write_event(event, retention_days=400)


def beijing(day: str, hour: int = 10, minute: int = 0, second: int = 0) -> datetime:
    """Return the UTC instant of a Beijing wall-clock time on `day`."""
    local = datetime.fromisoformat(day).replace(hour=hour, minute=minute, second=second)
    return (local - timedelta(hours=8)).replace(tzinfo=UTC)


def event(at: datetime, actor: str, outcome: str, *, number: int | None = None, action: str = QUERY,
          replay: bool = False) -> AuditEvent:  # fmt: skip
    return AuditEvent.create(
        now=at,
        action=action,
        actor=actor,
        outcome=outcome,
        request_id=f"r-{at.isoformat()}",
        meter_number=meter_number(number) if number is not None else None,
        replay=replay,
    )


def groups_claims(groups: Any) -> dict[str, Any]:
    claims: dict[str, Any] = claims_for("sub-other", "+8613900000001")
    if groups is not None:
        claims["cognito:groups"] = groups
    return claims


# ---------------------------------------------------------------- who may call


@pytest.mark.parametrize(
    "groups",
    [
        "[Admin]",
        "[ADMIN]",
        "[administrator]",
        "[notadmin]",
        "[admin-x]",
        "[admins]",
        "[census]",
        '["admin"]',
        "[]",
        "",
        None,
        ["Admin"],
        ["administrator"],
        [],
    ],
)
def test_groups_without_admin_member_refused(world, groups):
    status, body = get(world.app, groups_claims(groups), USAGE, {"from": QUIET_DAY, "to": QUIET_DAY})
    audit = sent_audit(world)
    assert status == 403
    assert body["error"]["code"] == "NOT_ADMIN"
    assert [entry.outcome for entry in audit] == ["NOT_ADMIN"]
    assert audit[0].actor == "sub:sub-other"


@pytest.mark.parametrize(
    "groups",
    ["[admin]", "admin", "[census admin]", "[admin census]", "[ admin ]", ["admin"], ["census", "admin"]],
)
def test_groups_with_admin_member_accepted(world, groups):
    status, _ = get(world.app, groups_claims(groups), USAGE, {"from": QUIET_DAY, "to": QUIET_DAY})
    assert status == 200
    assert [entry.outcome for entry in sent_audit(world)] == ["usage"]


ROUTES = [
    ("GET", "/v1/admin/roster/E001", {}, None),
    ("GET", USAGE, {"from": QUIET_DAY, "to": QUIET_DAY}, None),
    ("GET", AUDIT, {"day": QUIET_DAY}, None),
    ("POST", SPOT_CHECK, None, {"day": QUIET_DAY, "size": 1}),
]


@pytest.mark.parametrize("person_id", ["E001", "S001"])
@pytest.mark.parametrize(("method", "path", "query", "body"), ROUTES)
def test_verified_roster_person_refused(world, person_id, method, path, query, body):
    claims = world.people[person_id]
    status, reply = call(world.app, http_event(method, path, claims=claims, query=query, body=body))
    audit = sent_audit(world)
    assert status == 403
    assert reply["error"]["code"] == "NOT_ADMIN"
    assert [entry.outcome for entry in audit] == ["NOT_ADMIN"]
    assert "name" not in json.dumps(reply)


def test_claims_missing_entirely_refused(world):
    request = http_event("GET", USAGE, claims={}, query={"from": QUIET_DAY, "to": QUIET_DAY})
    request["requestContext"]["authorizer"] = None
    status, body = call(world.app, request)
    assert status == 403
    assert body["error"]["code"] == "NOT_ADMIN"
    assert [entry.outcome for entry in sent_audit(world)] == ["NOT_ADMIN"]


@pytest.mark.parametrize(
    ("method", "path", "query", "body", "headers"),
    [
        ("GET", USAGE, {"from": "2026-13-01", "to": QUIET_DAY}, None, None),
        ("GET", USAGE, {}, None, None),
        ("GET", AUDIT, {"day": QUIET_DAY, "limit": "0"}, None, None),
        ("POST", SPOT_CHECK, None, {"day": QUIET_DAY, "size": 1, "extra": 1}, None),
        ("POST", SPOT_CHECK, None, "day=x", {"content-type": "text/plain"}),
    ],
)
def test_non_admin_with_invalid_request_refused(world, method, path, query, body, headers):
    request = http_event(method, path, claims=world.people["E001"], query=query, body=body, headers=headers)
    status, reply = call(world.app, request)
    assert status == 403
    assert reply["error"]["code"] == "NOT_ADMIN"
    assert [entry.outcome for entry in sent_audit(world)] == ["NOT_ADMIN"]


def test_unexpected_failure_still_audited(world, monkeypatch):
    def fail(day: str) -> list[Any]:
        raise RuntimeError("audit table unavailable")

    monkeypatch.setattr(audit_store, "events_on", fail)
    status, body = get(world.app, ADMIN, USAGE, {"from": QUIET_DAY, "to": QUIET_DAY})
    assert status == 500
    assert body["error"]["code"] == "INTERNAL_ERROR"
    assert [entry.outcome for entry in sent_audit(world)] == ["INTERNAL_ERROR"]


# ---------------------------------------------------------------- one audit event per call


AUDITED_CALLS = [
    ("GET", "/v1/admin/roster/E001", None, None, None, 200, "roster_status"),
    ("GET", "/v1/admin/roster/E404", None, None, None, 404, "NOT_FOUND"),
    ("GET", "/v1/admin/roster/e001", None, None, None, 404, "NOT_FOUND"),
    ("GET", "/v1/admin/roster/E001%20", None, None, None, 404, "NOT_FOUND"),
    ("GET", USAGE, {"from": QUIET_DAY, "to": QUIET_DAY}, None, None, 200, "usage"),
    ("GET", USAGE, {"from": QUIET_DAY}, None, None, 400, "INVALID_BODY"),
    ("GET", USAGE, {"from": "2026-06-02", "to": QUIET_DAY}, None, None, 400, "INVALID_BODY"),
    ("GET", AUDIT, {"day": QUIET_DAY}, None, None, 200, "audit_search"),
    ("GET", AUDIT, {}, None, None, 400, "INVALID_BODY"),
    ("GET", AUDIT, {"day": QUIET_DAY, "meter_number": "12345"}, None, None, 400, "INVALID_METER_NUMBER"),
    ("GET", AUDIT, {"day": QUIET_DAY, "cursor": "x"}, None, None, 400, "INVALID_BODY"),
    ("GET", AUDIT, {"day": QUIET_DAY, "action": "delete"}, None, None, 400, "INVALID_BODY"),
    ("GET", AUDIT, {"day": QUIET_DAY, "outcome": "X" * 41}, None, None, 400, "INVALID_BODY"),
    ("GET", AUDIT, {"day": QUIET_DAY, "actor": "E" * 81}, None, None, 400, "INVALID_BODY"),
    ("POST", SPOT_CHECK, None, {"day": QUIET_DAY, "size": 1}, None, 200, "spot_check"),
    ("POST", SPOT_CHECK, None, None, None, 400, "INVALID_BODY"),
    ("POST", SPOT_CHECK, None, "", None, 400, "INVALID_BODY"),
    ("POST", SPOT_CHECK, None, "null", None, 400, "INVALID_BODY"),
    ("POST", SPOT_CHECK, None, "[]", None, 400, "INVALID_BODY"),
    ("POST", SPOT_CHECK, None, '{"day": ', None, 400, "INVALID_BODY"),
    ("POST", SPOT_CHECK, None, "[" * 5000 + "]" * 5000, None, 400, "INVALID_BODY"),
    ("POST", SPOT_CHECK, None, {"size": 1}, None, 400, "INVALID_BODY"),
    ("POST", SPOT_CHECK, None, {"day": QUIET_DAY}, None, 400, "INVALID_BODY"),
    ("POST", SPOT_CHECK, None, {"day": "2027-02-29", "size": 1}, None, 400, "INVALID_BODY"),
    ("POST", SPOT_CHECK, None, {"day": QUIET_DAY, "size": 1, "area_code": "4"}, None, 400, "INVALID_BODY"),
    ("POST", SPOT_CHECK, None, '{"day": "2026-06-01", "size": 1}', {"content-type": "text/plain"}, 400,
     "INVALID_BODY"),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "query", "body", "headers", "status", "outcome"), AUDITED_CALLS)
def test_admin_call_audited_once_with_outcome(world, method, path, query, body, headers, status, outcome):
    request = http_event(method, path, claims=ADMIN, query=query, body=body, headers=headers)
    got_status, reply = call(world.app, request)
    audit = sent_audit(world)
    assert got_status == status
    assert len(audit) == 1
    assert audit[0].action == ADMIN_ACTION
    assert audit[0].outcome == outcome
    assert audit[0].actor == f"sub:{ADMIN_SUB}"
    assert audit[0].request_id == request["requestContext"]["requestId"]
    assert audit[0].meter_number is None
    assert audit[0].replay is False
    if status >= 400:
        assert reply["error"]["code"] == outcome


def test_admin_logs_and_audit_hold_no_personal_data(world, log_lines, capsys):
    person = RosterPerson.get("E001")
    calls = [
        (ADMIN, "GET", "/v1/admin/roster/E001", None, None),
        (ADMIN, "GET", "/v1/admin/roster/E002", None, None),
        (ADMIN, "GET", AUDIT, {"day": QUIET_DAY, "actor": person.phone}, None),
        (ADMIN, "POST", SPOT_CHECK, None, {"day": QUIET_DAY, "size": 1, "area_code": person.name}),
        (world.people["E001"], "GET", "/v1/admin/roster/E001", None, None),
        (world.people["E002"], "GET", USAGE, {"from": "x", "to": person.phone}, None),
    ]
    replies = []
    for claims, method, path, query, body in calls:
        replies.append(call(world.app, http_event(method, path, claims=claims, query=query, body=body)))

    captured = capsys.readouterr()
    logs = log_lines.getvalue() + captured.out + captured.err
    audit_text = " ".join(entry.to_message() for entry in sent_audit(world))
    assert '"message":"roster status read"' in logs
    assert replies[0][1]["name"] == person.name
    assert "phone" not in replies[0][1]
    assert "id_hash" not in replies[0][1]
    secrets = [person.name, person.phone, person.phone.removeprefix("+86"), ADMIN_PHONE]
    secrets += [RosterPerson.get("E002").name, RosterPerson.get("E002").phone]
    for secret in secrets:
        assert secret not in logs, f"a log line carries {secret!r}"
        assert secret not in audit_text, f"an audit event carries {secret!r}"


def test_unknown_field_name_not_logged(world, log_lines, capsys):
    person = RosterPerson.get("E001")
    status, _ = post(world.app, ADMIN, {"day": QUIET_DAY, "size": 1, person.name: person.phone})
    captured = capsys.readouterr()
    logs = log_lines.getvalue() + captured.out + captured.err
    assert status == 400
    assert person.name not in logs


# ---------------------------------------------------------------- usage


@pytest.mark.parametrize(
    ("first", "last", "days"),
    [
        ("2026-11-02", "2026-11-02", 1),
        ("2026-12-15", "2027-01-14", 31),
        ("2028-02-29", "2028-02-29", 1),
        ("2028-02-01", "2028-03-02", 31),
        ("0001-01-01", "0001-01-31", 31),
        ("9999-12-31", "9999-12-31", 1),
        ("9999-12-01", "9999-12-31", 31),
    ],
)
def test_usage_range_accepted(world, first, last, days):
    status, body = get(world.app, ADMIN, USAGE, {"from": first, "to": last})
    assert status == 200
    assert len(body["days"]) == days
    assert body["days"][0]["day"] == first
    assert body["days"][-1]["day"] == last
    assert body["totals"]["first_day"] == first
    assert body["totals"]["last_day"] == last


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [
        ("2026-12-15", "2027-01-15", "to"),
        ("2028-02-01", "2028-03-03", "to"),
        ("2026-11-02", "2026-11-01", "to"),
        ("9999-12-31", "0001-01-01", "to"),
        ("0001-01-01", "9999-12-31", "to"),
        ("2027-02-29", "2027-03-01", "query.from"),
        ("2026-11-02", "2026-11-31", "query.to"),
        ("2026-11-02", "", "query.to"),
        ("10000-01-01", "10000-01-01", "query.from"),
        ("2026-11-2", "2026-11-02", "query.from"),
        ("２０２６-11-02", "2026-11-02", "query.from"),
    ],
)
def test_usage_range_rejected(world, first, last, field):
    status, body = get(world.app, ADMIN, USAGE, {"from": first, "to": last})
    assert status == 400
    assert body["error"]["code"] == "INVALID_BODY"
    assert body["error"]["details"]["field"] == field
    assert [entry.outcome for entry in sent_audit(world)] == ["INVALID_BODY"]


def test_usage_numeric_date_rejected(world):
    status, body = get(world.app, ADMIN, USAGE, {"from": "0", "to": "1970-01-02"})
    assert status == 400
    assert body["error"]["details"]["field"] == "query.from"


def test_usage_figures_of_hand_made_days(world):
    first, second, third = "2027-03-09", "2027-03-10", "2027-03-11"
    write(
        # The last second of the first day and the first second of the second, in Beijing time.
        event(beijing(first, 23, 59, 59), "E001", "GREEN", number=1),
        event(beijing(first, 9), "sub:sub-x", "VERIFIED", action=VERIFY),
        event(beijing(second, 0, 0, 0), "E001", "GREEN", number=1, replay=True),
        event(beijing(second, 8), "E001", "RED", number=2),
        event(beijing(second, 8, 1), "E001", "RED", number=2),
        event(beijing(second, 9), "E002", "GREEN", number=1),
        event(beijing(second, 9, 5), "E002", "QUOTA_EXHAUSTED", number=3),
        event(beijing(second, 9, 6), "sub:sub-x", "NOT_VERIFIED", number=4),
        event(beijing(second, 9, 7), "E003", "INVALID_BODY"),
        event(beijing(second, 9, 8), "E003", "UNKNOWN", number=4, replay=True),
        event(beijing(second, 10), "sub:sub-y", "VERIFIED", action=VERIFY),
        event(beijing(second, 10, 1), "sub:sub-z", "VERIFICATION_MISMATCH", action=VERIFY),
        event(beijing(second, 10, 2), "sub:sub-z", "VERIFICATION_MISMATCH", action=VERIFY),
        event(beijing(second, 11), "sub:sub-admin", "usage", action=ADMIN_ACTION),
        event(beijing(second, 11, 1), "sub:sub-admin", "NOT_ADMIN", action=ADMIN_ACTION),
        # 16:00 UTC is midnight in Beijing, so this event belongs to the third day.
        event(datetime(2027, 3, 10, 16, 0, tzinfo=UTC), "E002", "YELLOW", number=5),
    )
    status, body = get(world.app, ADMIN, USAGE, {"from": first, "to": third})
    assert status == 200
    days = {day["day"]: day for day in body["days"]}
    assert list(days) == [first, second, third]

    assert days[first]["queries"] == 1
    assert days[first]["queries_by_outcome"] == {"GREEN": 1}
    assert days[first]["people"] == 1
    assert days[first]["verifications_by_outcome"] == {"VERIFIED": 1}

    day = days[second]
    assert day["queries"] == 6
    assert day["queries_by_outcome"] == {
        "GREEN": 1,
        "INVALID_BODY": 1,
        "NOT_VERIFIED": 1,
        "QUOTA_EXHAUSTED": 1,
        "RED": 2,
    }
    assert day["retries_replayed"] == 2
    assert day["people"] == 2
    assert day["meters"] == 2
    assert day["verifications_by_outcome"] == {"VERIFICATION_MISMATCH": 2, "VERIFIED": 1}

    assert days[third]["queries"] == 1
    assert days[third]["queries_by_outcome"] == {"YELLOW": 1}
    assert days[third]["meters"] == 1

    totals = body["totals"]
    assert totals["queries"] == 8
    assert totals["queries_by_outcome"] == {
        "GREEN": 2,
        "INVALID_BODY": 1,
        "NOT_VERIFIED": 1,
        "QUOTA_EXHAUSTED": 1,
        "RED": 2,
        "YELLOW": 1,
    }
    assert totals["retries_replayed"] == 2
    assert totals["verifications_by_outcome"] == {"VERIFICATION_MISMATCH": 2, "VERIFIED": 2}
    assert "people" not in totals
    assert "meters" not in totals


# ---------------------------------------------------------------- audit search

BUSY_DAY = "2027-04-01"
ACTORS = ("E001", "E002", "E003", "E004", "E005")


@pytest.fixture(scope="module")
def busy_day(world) -> list[AuditEvent]:
    """450 events of one day, three at each instant so that ties are broken by the id's UUID."""
    events = []
    start = beijing(BUSY_DAY, 8)
    for index in range(450):
        at = start + timedelta(seconds=index // 3)
        action = (QUERY, QUERY, VERIFY, ADMIN_ACTION)[index % 4]
        outcome = {QUERY: ("GREEN", "RED", "QUOTA_EXHAUSTED")[index % 3], VERIFY: "VERIFIED"}.get(
            action, "usage"
        )
        number = index % 7 + 1 if action == QUERY else None
        events.append(event(at, ACTORS[index % 5], outcome, number=number, action=action))
    write(*events)
    return events


def page_through(world, query: dict[str, str], limit: int) -> list[list[dict[str, Any]]]:
    pages = []
    cursor = None
    while True:
        params = {"day": BUSY_DAY, **query, "limit": str(limit)} | ({"cursor": cursor} if cursor else {})
        status, body = get(world.app, ADMIN, AUDIT, params)
        assert status == 200, body
        pages.append(body["events"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) <= 500, "the cursor does not advance"


@pytest.mark.parametrize(
    ("query", "limit"),
    [
        ({}, 7),
        ({}, 50),
        ({}, 199),
        ({}, 200),
        ({"actor": "E003"}, 1),
        ({"actor": "E003"}, 45),
        ({"action": "query", "outcome": "GREEN"}, 13),
        ({"action": "verify", "actor": "E002"}, 200),
        ({"meter_number": meter_number(3)}, 11),
        ({"meter_number": "3300 0000 0000 0000 000003"}, 64),
        ({"outcome": "NO_SUCH_OUTCOME"}, 5),
    ],
)
def test_audit_pages_lose_and_repeat_nothing(world, busy_day, query, limit):
    def matches(entry: AuditEvent) -> bool:
        expected_meter = meter_number(3) if "meter_number" in query else None
        return (
            query.get("actor", entry.actor) == entry.actor
            and query.get("action", entry.action) == entry.action
            and query.get("outcome", entry.outcome) == entry.outcome
            and (expected_meter is None or entry.meter_number == expected_meter)
        )

    expected = sorted(entry.event_id for entry in busy_day if matches(entry))
    pages = page_through(world, query, limit)
    seen = [item["event_id"] for page in pages for item in page]
    assert seen == expected
    assert len(set(seen)) == len(seen)
    assert all(len(page) == limit for page in pages[:-1])
    assert len(pages) == max(1, -(-len(expected) // limit))


def test_audit_cursor_resumes_after_each_event(world, busy_day):
    _, first = get(world.app, ADMIN, AUDIT, {"day": BUSY_DAY, "limit": "1"})
    _, again = get(world.app, ADMIN, AUDIT, {"day": BUSY_DAY, "limit": "1", "cursor": first["next_cursor"]})
    _, replayed = get(
        world.app, ADMIN, AUDIT, {"day": BUSY_DAY, "limit": "1", "cursor": first["next_cursor"]}
    )
    ordered = sorted(entry.event_id for entry in busy_day)
    assert first["events"][0]["event_id"] == ordered[0]
    assert again["events"][0]["event_id"] == ordered[1]
    assert replayed == again


def test_audit_unknown_event_cursor_is_position(world, busy_day):
    ordered = sorted(entry.event_id for entry in busy_day)
    between = ordered[99][:-32] + "f" * 32
    cursor = base64.urlsafe_b64encode(between.encode()).decode().rstrip("=")
    status, body = get(world.app, ADMIN, AUDIT, {"day": BUSY_DAY, "limit": "3", "cursor": cursor})
    assert status == 200
    assert body["events"][0]["event_id"] > between
    assert all(item["event_id"] in ordered for item in body["events"])


def encode(text: str | bytes) -> str:
    raw = text.encode() if isinstance(text, str) else text
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    ("cursor", "field"),
    [
        ("", "cursor"),
        ("é", "cursor"),
        ("全角", "cursor"),
        ("%3D%3D", "cursor"),
        ("../../etc", "cursor"),
        (encode("not an event id"), "cursor"),
        (encode("2027-04-01T00:00:00+00:00#" + "0" * 32 + "\n"), "cursor"),
        (encode("2027-04-01T00:00:00+00:00#" + "G" * 32), "cursor"),
        (encode(b"\xff\xfe\x00"), "cursor"),
        (encode("2027-04-01T00:00:00+00:00#" + "0" * 32) + "A" * 40, "cursor"),
        ("A" * 121, "query.cursor"),
        ("A" * 100_000, "query.cursor"),
    ],
)
def test_audit_forged_cursor_rejected(world, busy_day, cursor, field):
    status, body = get(world.app, ADMIN, AUDIT, {"day": BUSY_DAY, "cursor": cursor})
    assert status == 400
    assert body["error"]["code"] == "INVALID_BODY"
    assert body["error"]["details"]["field"] == field
    assert [entry.outcome for entry in sent_audit(world)] == ["INVALID_BODY"]


def test_audit_cursor_of_other_day_rejected(world, busy_day):
    _, page = get(world.app, ADMIN, AUDIT, {"day": BUSY_DAY, "limit": "2"})
    status, body = get(world.app, ADMIN, AUDIT, {"day": "2027-03-31", "cursor": page["next_cursor"]})
    assert status == 400
    assert body["error"]["details"]["field"] == "cursor"


@pytest.mark.parametrize("name", ["actor", "outcome"])
def test_audit_empty_filter_matches_nothing(world, busy_day, name):
    status, body = get(world.app, ADMIN, AUDIT, {"day": BUSY_DAY, name: ""})
    assert status in (200, 400)
    assert body.get("events", []) == []


@pytest.mark.parametrize(
    ("limit", "status"),
    [("0", 400), ("-1", 400), ("201", 400), ("1e2", 400), ("abc", 400), ("", 400), ("1", 200), ("200", 200)],
)
def test_audit_limit_edges(world, busy_day, limit, status):
    got_status, body = get(world.app, ADMIN, AUDIT, {"day": BUSY_DAY, "limit": limit})
    assert got_status == status
    if status == 200:
        assert len(body["events"]) == int(limit)
    else:
        assert body["error"]["details"]["field"] == "query.limit"


def test_audit_meter_filter_finds_full_width_typed_query(world):
    day = "2027-04-05"
    # The meter number typed in full-width digits.
    typed = meter_number(50).translate({ord(digit): ord(digit) + 0xFEE0 for digit in "0123456789"})
    write(
        AuditEvent.create(now=beijing(day), action=QUERY, actor="E001", outcome="METER_NOT_FOUND",
                          request_id="r-1", meter_number=audit_meter_number(typed)),
    )  # fmt: skip
    _, body = get(world.app, ADMIN, AUDIT, {"day": day, "meter_number": meter_number(50)})
    assert [item["outcome"] for item in body["events"]] == ["METER_NOT_FOUND"]


# ---------------------------------------------------------------- spot checks

SPOT_DAY = "2027-05-10"
SPOT_PAIRS = [
    ("E001", meter_number(1)),
    ("E001", meter_number(2)),
    ("E002", meter_number(1)),
    ("E002", meter_number(5)),
    ("E003", meter_number(6)),
]


@pytest.fixture(scope="module")
def spot_day(world) -> dict[str, datetime]:
    """A day of queries: repeats, errors first, a replay, an unregistered meter, other actions."""
    names = ["e1m1", "e1m1_again", "e1m1_replay", "e1m2_error", "e1m2", "e2m1", "e2m5", "e3m6", "e3m7_error",
             "e4m9", "verify", "admin"]  # fmt: skip
    # One event a minute from 09:00 Beijing time, in the order of `names`.
    times = {name: beijing(SPOT_DAY, 9, minute) for minute, name in enumerate(names)}
    write(
        event(times["e1m1"], "E001", "GREEN", number=1),
        event(times["e1m1_again"], "E001", "RED", number=1),
        event(times["e1m1_replay"], "E001", "GREEN", number=1, replay=True),
        event(times["e1m2_error"], "E001", "QUOTA_EXHAUSTED", number=2),
        event(times["e1m2"], "E001", "YELLOW", number=2),
        event(times["e2m1"], "E002", "GREEN", number=1),
        event(times["e2m5"], "E002", "RED", number=5),
        event(times["e3m6"], "E003", "UNKNOWN", number=6),
        event(times["e3m7_error"], "E003", "METER_NOT_FOUND", number=7),
        event(times["e4m9"], "E004", "GREEN", number=UNREGISTERED),
        event(times["verify"], "sub:sub-x", "VERIFIED", number=8, action=VERIFY),
        event(times["admin"], "sub:sub-admin", "GREEN", number=8, action=ADMIN_ACTION),
    )
    return times


def spot(world, **fields: Any) -> tuple[int, dict[str, Any]]:
    return post(world.app, ADMIN, {"day": SPOT_DAY, **fields})


def pairs_of(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(item["person_id"], item["meter_number"]) for item in body["items"]]


def test_spot_check_population_successful_pairs(world, spot_day):
    status, body = spot(world, size=200, seed=1)
    assert status == 200
    assert body["population"] == len(SPOT_PAIRS)
    assert pairs_of(body) == SPOT_PAIRS
    items = {(item["person_id"], item["meter_number"]): item for item in body["items"]}
    first_query = items[("E001", meter_number(1))]
    assert first_query["code_given"] == "GREEN"
    assert datetime.fromisoformat(first_query["queried_at"]) == spot_day["e1m1"]
    assert first_query["code_now"] == "GREEN"
    after_error = items[("E001", meter_number(2))]
    assert after_error["code_given"] == "YELLOW"
    assert datetime.fromisoformat(after_error["queried_at"]) == spot_day["e1m2"]
    assert after_error["code_now"] is None
    assert after_error["finding"] is None
    assert items[("E002", meter_number(5))]["area_code"] == AREAS[5]


@pytest.mark.parametrize("seed_value", [0, 1, 7, 2**31 - 1])
@pytest.mark.parametrize("size", [1, 2, 4])
def test_spot_check_sample_follows_seed(world, spot_day, seed_value, size):
    status, body = spot(world, size=size, seed=seed_value)
    _, again = spot(world, size=size, seed=seed_value)
    expected = sorted(random.Random(seed_value).sample(sorted(SPOT_PAIRS), size))
    assert status == 200
    assert body["seed"] == seed_value
    assert pairs_of(body) == expected
    assert again["items"] == body["items"]


@pytest.mark.parametrize(
    ("area_code", "population"),
    [
        ("43", 4),
        ("4301", 4),
        ("430102", 3),
        ("4301020010", 3),
        ("430102001001", 2),
        ("430102001002", 1),
        ("430103", 1),
        ("44", 1),
        ("45", 0),
        ("430102001000", 0),
        ("01", 0),
        ("  430103  ", 1),
    ],
)
def test_spot_check_area_code_is_prefix(world, spot_day, area_code, population):
    status, body = spot(world, size=200, area_code=area_code, seed=3)
    assert status == 200
    assert body["population"] == population
    assert len(body["items"]) == population
    assert all(item["area_code"].startswith(area_code.strip()) for item in body["items"])


@pytest.mark.parametrize(
    "area_code", ["4", "4301020010011", "43a", "", "   ", "43-01", "43 01", 43, ["43"], True]
)
def test_spot_check_bad_area_code_rejected(world, spot_day, area_code):
    status, body = spot(world, size=1, area_code=area_code)
    assert status == 400
    assert body["error"]["code"] == "INVALID_BODY"
    assert body["error"]["details"]["field"] == "area_code"
    assert [entry.outcome for entry in sent_audit(world)] == ["INVALID_BODY"]


@pytest.mark.parametrize("area_code", ["４３", "4３", "٤٣", "४३०१"])
def test_spot_check_non_ascii_digit_area_code_rejected(world, spot_day, area_code):
    status, body = spot(world, size=1, area_code=area_code)
    assert status == 400
    assert body["error"]["details"]["field"] == "area_code"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"size": 0}, "size"),
        ({"size": -1}, "size"),
        ({"size": admin.SPOT_CHECK_MAX + 1}, "size"),
        ({"size": 10**40}, "size"),
        ({"size": 1.5}, "size"),
        ({"size": None}, "size"),
        ({"size": "many"}, "size"),
        ({"size": 1, "seed": -1}, "seed"),
        ({"size": 1, "seed": admin.SEED_MAX + 1}, "seed"),
        ({"size": 1, "seed": 0.5}, "seed"),
        ({"size": 1, "seed": "x"}, "seed"),
        ({"size": 1, "extra": None}, "extra"),
        ({"size": 1, "Size": 2}, "Size"),
        ({"size": 1, "day": "2027/05/10"}, "day"),
        ({"size": 1, "day": None}, "day"),
    ],
)
def test_spot_check_bad_value_rejected(world, spot_day, fields, field):
    status, body = spot(world, **fields)
    assert status == 400
    assert body["error"]["code"] == "INVALID_BODY"
    assert body["error"]["details"]["field"] == field
    assert [entry.outcome for entry in sent_audit(world)] == ["INVALID_BODY"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"size": True}, "size"), ({"size": 1, "seed": True}, "seed"), ({"size": 1, "day": 0}, "day")],
)
def test_spot_check_wrong_json_type_rejected(world, spot_day, fields, field):
    status, body = spot(world, **fields)
    assert status == 400
    assert body["error"]["details"]["field"] == field


@pytest.mark.parametrize(
    "body", ['{"day": "2027-05-10", "size": 1.5}', "[]", '{"day": "2027-05-10", "size": NaN}']
)
def test_spot_check_problem_in_words(world, body):
    status, reply = post(world.app, ADMIN, body)
    problem = reply["error"]["details"]["problem"]
    assert status == 400
    assert " " in problem, f"problem {problem!r} is an error type, not words"


def test_spot_check_without_content_type_accepted(world, spot_day):
    request = http_event("POST", SPOT_CHECK, claims=ADMIN, body={"day": SPOT_DAY, "size": 1, "seed": 5})
    del request["headers"]["content-type"]
    status, body = call(world.app, request)
    assert status == 200
    assert body["population"] == len(SPOT_PAIRS)


def test_spot_check_ignores_replay_only_pair(world):
    day = "2027-05-11"
    # The retry is replayed after midnight, and the query it repeats was made the day before.
    write(
        event(beijing("2027-05-10", 23, 59, 50), "E001", "GREEN", number=3),
        event(beijing(day, 0, 0, 5), "E001", "GREEN", number=3, replay=True),
    )
    _, usage = get(world.app, ADMIN, USAGE, {"from": day, "to": day})
    status, body = post(world.app, ADMIN, {"day": day, "size": 10, "seed": 1})
    assert usage["days"][0]["queries"] == 0
    assert status == 200
    assert body["population"] == 0


def test_spot_check_population_above_one_batch_get(world):
    day = "2027-05-12"
    start = beijing(day, 8)
    write(*[
        event(start + timedelta(seconds=offset), "E002", "GREEN", number=MANY_FIRST + offset)
        for offset in range(MANY)
    ])  # fmt: skip
    status, body = post(world.app, ADMIN, {"day": day, "size": 200, "seed": 11})
    assert status == 200
    assert body["population"] == MANY
    assert len(body["items"]) == MANY
    assert len(set(pairs_of(body))) == MANY


def test_spot_check_of_empty_day(world):
    status, body = post(world.app, ADMIN, {"day": QUIET_DAY, "size": 200, "seed": 0})
    assert status == 200
    assert body["population"] == 0
    assert body["items"] == []
    assert body["day"] == QUIET_DAY
    assert date.fromisoformat(body["day"]) == date(2026, 6, 1)
