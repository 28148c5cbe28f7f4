"""/v1/queries list routes (GET, GET one, PATCH, DELETE) against moto tables built from template.yaml."""

from __future__ import annotations

import zlib
from datetime import UTC, date, datetime, timedelta

import pytest

from census.dal import history as history_store
from census.dal.history import HistoryEntry
from census.dal.models import Binding, Meter, RosterPerson
from census.dal.quota import QuotaCounter
from census.domain.occupancy import Classification
from census.services import history
from census.services.history import NOTE_MAX_LENGTH
from census.services.query import MeterOutcome, QueryOutcome
from tests.helpers import call, claims_for, http_event, load_function

AS_OF = date(2013, 9, 27)


def meter_number(number: int) -> str:
    """A 22-digit electricity meter number."""
    return f"3300000000000000{number:06d}"


def add_person(
    person_id: str,
    *,
    role: str = "enumerator",
    supervisor_id: str | None = None,
    verified: bool = True,
    areas: tuple[str, ...] = ("430102001001",),
) -> dict[str, str]:
    """Write a roster person bound to the identity `sub-<person_id>`; return the claims of that identity."""
    now = datetime.now(UTC)
    phone = f"+86138{zlib.crc32(person_id.encode()) % 10**8:08d}"
    sub = f"sub-{person_id}"
    RosterPerson(
        person_id,
        name=f"测试{person_id}",
        name_key=f"测试{person_id}",
        phone=phone,
        id_hash="0" * 64,
        role=role,
        supervisor_id=supervisor_id,
        area_codes=list(areas),
        active_from="2012-01-01",
        active_to="2030-12-31",
        sub=sub if verified else None,
        bound_at=now if verified else None,
        imported_at=now,
        import_key="uploads/roster/test.csv",
    ).save()
    if verified:
        Binding(sub, person_id=person_id, bound_at=now).save()
    return claims_for(sub, phone)


def outcome_for(
    number: int, code: str = "GREEN", *, as_of: date = AS_OF, county: str = "430102"
) -> QueryOutcome:
    meter = Meter(
        meter_number(number),
        utility="electricity",
        household_id=f"H{number:06d}",
        area_code=f"{county}001001",
        county=county,
        customer_type="residential",
        status="in_service",
        slot=number,
        updated_at=datetime.now(UTC),
        upload_key="uploads/utility/test/manifest.json",
    )
    tags = ("workday_use",) if code == "GREEN" else ()
    result = Classification(code, f"test_{code.lower()}", as_of, tags, {})
    return QueryOutcome(
        meter=meter, result=result, meters=(MeterOutcome(meter.meter_number, "electricity", result),)
    )


def add_entry(
    person_id: str,
    number: int,
    code: str = "GREEN",
    *,
    minutes_ago: int = 0,
    expires_at: int | None = None,
) -> HistoryEntry:
    now = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return history.record_query(
        person_id=person_id, outcome=outcome_for(number, code), now=now, expires_at=expires_at
    )


def mark_changed(person_id: str, number: int, new_code: str) -> None:
    """Do what a refresh does when the home's code became `new_code`."""
    entry = history_store.get_entry(person_id, meter_number(number), datetime.now(UTC))
    assert entry is not None
    assert history_store.apply_refresh(
        entry,
        code=new_code,
        reason=f"test_{new_code.lower()}",
        tags=[],
        as_of=AS_OF + timedelta(days=1),
        changed=new_code != entry.seen_code,
        now=datetime.now(UTC),
    )


@pytest.fixture
def app(aws):
    return load_function("history")


@pytest.fixture
def enumerator(aws):
    return add_person("E001", supervisor_id="S001")


def get(app, claims, path, query=None):
    return call(app, http_event("GET", path, claims=claims, query=query))


def patch(app, claims, number, body):
    path = f"/v1/queries/{meter_number(number)}"
    return call(app, http_event("PATCH", path, claims=claims, body=body))


def listed(body) -> list[str]:
    return [item["meter_number"] for item in body["entries"]]


# ---------------------------------------------------------------- recording a query


def test_record_query_creates_entry(aws):
    entry = add_entry("E001", 1, "RED")
    stored = history_store.get_entry("E001", meter_number(1), datetime.now(UTC))
    assert stored is not None
    assert stored.code == "RED"
    assert stored.seen_code == "RED"
    assert stored.query_count == 1
    assert stored.first_query_at == entry.first_query_at
    assert stored.area_code == "430102001001"
    assert stored.series == ["electricity#430102"]
    assert stored.household_meters == [meter_number(1)]
    assert stored.as_of == AS_OF.isoformat()
    assert stored.favourite is False


def test_record_query_again_keeps_first_time_and_counts(aws):
    first = add_entry("E001", 1, "RED", minutes_ago=60)
    history_store.update_annotations(
        "E001", meter_number(1), now=datetime.now(UTC), note="回访", favourite=True
    )
    second = add_entry("E001", 1, "GREEN")
    assert second.first_query_at == first.first_query_at
    assert second.last_query_at > first.last_query_at
    assert second.query_count == 2
    assert second.code == "GREEN"
    assert second.note == "回访"
    assert second.favourite is True


def test_record_query_clears_changed_mark(aws):
    add_entry("E001", 1, "RED")
    mark_changed("E001", 1, "GREEN")
    again = add_entry("E001", 1, "GREEN")
    assert again.changed is False
    assert again.seen_code == "GREEN"
    assert again.changed_at is None


def test_record_query_household_lists_every_meter(aws):
    outcome = outcome_for(1, "GREEN")
    water = MeterOutcome("43010200000001", "water", outcome.result)
    household = QueryOutcome(meter=outcome.meter, result=outcome.result, meters=(*outcome.meters, water))
    entry = history.record_query(person_id="E001", outcome=household, now=datetime.now(UTC), expires_at=None)
    assert entry.household_meters == [meter_number(1), "43010200000001"]
    assert entry.series == ["electricity#430102", "water#430102"]


# ---------------------------------------------------------------- GET /v1/queries


def test_list_empty(app, enumerator):
    status, body = get(app, enumerator, "/v1/queries")
    assert status == 200
    assert body == {"entries": [], "total": 0, "next_cursor": None}


def test_list_shape_of_entry(app, enumerator):
    add_entry("E001", 1, "GREEN")
    status, body = get(app, enumerator, "/v1/queries")
    assert status == 200
    item = body["entries"][0]
    assert item["meter_number"] == meter_number(1)
    assert item["code"] == "GREEN"
    assert item["as_of"] == "2013-09-27"
    assert item["tags"] == ["workday_use"]
    assert item["changed"] is False
    assert item["previous_code"] is None
    assert item["query_count"] == 1
    assert item["conflict"] is False
    assert "household_meters" not in item


def test_list_never_shows_other_person_entries(app, enumerator):
    add_person("E002", supervisor_id="S001")
    add_entry("E001", 1)
    add_entry("E002", 2)
    add_entry("E002", 1)
    status, body = get(app, enumerator, "/v1/queries")
    assert status == 200
    assert listed(body) == [meter_number(1)]
    assert body["total"] == 1


def test_list_changed_first_then_newest(app, enumerator):
    add_entry("E001", 1, "RED", minutes_ago=50)
    add_entry("E001", 2, "RED", minutes_ago=40)
    add_entry("E001", 3, "GREEN", minutes_ago=30)
    add_entry("E001", 4, "YELLOW", minutes_ago=20)
    add_entry("E001", 5, "GREEN", minutes_ago=10)
    mark_changed("E001", 1, "GREEN")
    mark_changed("E001", 3, "RED")
    status, body = get(app, enumerator, "/v1/queries")
    assert status == 200
    assert listed(body) == [meter_number(n) for n in (3, 1, 5, 4, 2)]
    changed = {item["meter_number"]: item for item in body["entries"] if item["changed"]}
    assert changed[meter_number(1)]["previous_code"] == "RED"
    assert changed[meter_number(1)]["code"] == "GREEN"
    assert changed[meter_number(3)]["previous_code"] == "GREEN"


def test_list_pages_follow_cursor(app, enumerator):
    for number in range(1, 12):
        add_entry("E001", number, minutes_ago=number)
    mark_changed("E001", 9, "RED")
    pages = []
    cursor = None
    while True:
        query = {"limit": "4"} | ({"cursor": cursor} if cursor else {})
        status, body = get(app, enumerator, "/v1/queries", query)
        assert status == 200
        assert body["total"] == 11
        pages.append(listed(body))
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert [len(page) for page in pages] == [4, 4, 3]
    flat = [number for page in pages for number in page]
    assert flat == [meter_number(n) for n in (9, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11)]


def test_list_page_with_filter_and_cursor(app, enumerator):
    for number in range(1, 8):
        add_entry("E001", number, "GREEN" if number % 2 else "RED", minutes_ago=number)
    status, first = get(app, enumerator, "/v1/queries", {"code": "GREEN", "limit": "3"})
    assert status == 200
    assert listed(first) == [meter_number(n) for n in (1, 3, 5)]
    status, second = get(
        app, enumerator, "/v1/queries", {"code": "GREEN", "limit": "3", "cursor": first["next_cursor"]}
    )
    assert listed(second) == [meter_number(7)]
    assert second["next_cursor"] is None


@pytest.fixture
def filtered(app, enumerator):
    add_entry("E001", 1, "GREEN", minutes_ago=6)
    add_entry("E001", 2, "YELLOW", minutes_ago=5)
    add_entry("E001", 3, "RED", minutes_ago=4)
    add_entry("E001", 4, "UNKNOWN", minutes_ago=3)
    add_entry("E001", 5, "RED", minutes_ago=2)
    add_entry("E001", 6, "GREEN", minutes_ago=1)
    mark_changed("E001", 5, "GREEN")
    now = datetime.now(UTC)
    history_store.update_annotations("E001", meter_number(1), now=now, favourite=True, finding="vacant")
    history_store.update_annotations("E001", meter_number(2), now=now, finding="vacant")
    history_store.update_annotations("E001", meter_number(3), now=now, favourite=True, finding="vacant")
    history_store.update_annotations("E001", meter_number(4), now=now, finding="unclear")
    history_store.update_annotations("E001", meter_number(6), now=now, favourite=True, finding="occupied")
    return app, enumerator


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"code": "GREEN"}, [5, 6, 1]),
        ({"code": "RED,UNKNOWN"}, [4, 3]),
        ({"favourite": "true"}, [6, 3, 1]),
        ({"favourite": "false"}, [5, 4, 2]),
        ({"changed": "true"}, [5]),
        ({"changed": "false"}, [6, 4, 3, 2, 1]),
        ({"finding": "vacant"}, [3, 2, 1]),
        ({"finding": "none"}, [5]),
        ({"finding": "occupied,unclear"}, [6, 4]),
        ({"conflict": "true"}, [2, 1]),
        ({"conflict": "false"}, [5, 6, 4, 3]),
        ({"code": "GREEN", "favourite": "true"}, [6, 1]),
        ({"code": "GREEN", "changed": "true"}, [5]),
        ({"finding": "vacant", "favourite": "true"}, [3, 1]),
        ({"conflict": "true", "favourite": "true"}, [1]),
        ({"code": "RED", "finding": "vacant", "favourite": "true"}, [3]),
        ({"code": "YELLOW", "changed": "true"}, []),
    ],
)
def test_list_filters_and_combinations(filtered, query, expected):
    app, claims = filtered
    status, body = get(app, claims, "/v1/queries", query)
    assert status == 200
    assert listed(body) == [meter_number(n) for n in expected]
    assert body["total"] == len(expected)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"code": "BLUE"}, "code"),
        ({"finding": "empty"}, "finding"),
        ({"favourite": "maybe"}, "query.favourite"),
        ({"limit": "0"}, "query.limit"),
        ({"limit": "101"}, "query.limit"),
        ({"cursor": "%%%"}, "cursor"),
    ],
)
def test_list_bad_query_values_rejected(app, enumerator, query, field):
    status, body = get(app, enumerator, "/v1/queries", query)
    assert status == 400
    assert body["error"]["code"] == "INVALID_BODY"
    assert body["error"]["details"]["field"] == field


def test_list_hides_expired_entries(app, enumerator):
    past = int((datetime.now(UTC) - timedelta(seconds=1)).timestamp())
    future = int((datetime.now(UTC) + timedelta(days=1)).timestamp())
    add_entry("E001", 1, expires_at=past)
    add_entry("E001", 2, expires_at=future)
    status, body = get(app, enumerator, "/v1/queries")
    assert status == 200
    assert listed(body) == [meter_number(2)]
    assert HistoryEntry.get("E001", meter_number(1)).expires_at == past


def test_list_unverified_caller_rejected(app, aws):
    claims = add_person("E009", verified=False)
    status, body = get(app, claims, "/v1/queries")
    assert status == 403
    assert body["error"]["code"] == "NOT_VERIFIED"


# ---------------------------------------------------------------- GET /v1/queries/{meter}


def test_get_one_clears_changed_mark(app, enumerator):
    add_entry("E001", 1, "RED")
    mark_changed("E001", 1, "GREEN")
    status, body = get(app, enumerator, f"/v1/queries/{meter_number(1)}")
    assert status == 200
    assert body["changed"] is True
    assert body["previous_code"] == "RED"
    assert body["code"] == "GREEN"
    stored = HistoryEntry.get("E001", meter_number(1))
    assert stored.changed is False
    assert stored.seen_code == "GREEN"
    status, again = get(app, enumerator, f"/v1/queries/{meter_number(1)}")
    assert again["changed"] is False
    assert again["previous_code"] is None


def test_get_one_accepts_spaced_meter_number(app, enumerator):
    add_entry("E001", 1)
    spaced = " ".join([meter_number(1)[:11], meter_number(1)[11:]])
    status, body = get(app, enumerator, f"/v1/queries/{spaced}")
    assert status == 200
    assert body["meter_number"] == meter_number(1)


def test_get_one_of_other_person_not_found(app, enumerator):
    add_entry("E002", 1)
    status, body = get(app, enumerator, f"/v1/queries/{meter_number(1)}")
    assert status == 404
    assert body["error"]["code"] == "NOT_FOUND"


def test_get_one_malformed_meter_number(app, enumerator):
    status, body = get(app, enumerator, "/v1/queries/12345")
    assert status == 400
    assert body["error"]["code"] == "INVALID_METER_NUMBER"


def test_get_one_expired_not_found(app, enumerator):
    add_entry("E001", 1, expires_at=int(datetime.now(UTC).timestamp()) - 5)
    status, _ = get(app, enumerator, f"/v1/queries/{meter_number(1)}")
    assert status == 404


# ---------------------------------------------------------------- PATCH


def test_patch_favourite_on_and_off(app, enumerator):
    add_entry("E001", 1)
    status, body = patch(app, enumerator, 1, {"favourite": True})
    assert status == 200
    assert body["favourite"] is True
    _, listed_body = get(app, enumerator, "/v1/queries", {"favourite": "true"})
    assert listed(listed_body) == [meter_number(1)]
    status, body = patch(app, enumerator, 1, {"favourite": False})
    assert status == 200
    assert body["favourite"] is False
    assert HistoryEntry.get("E001", meter_number(1)).favourite is False


def test_patch_note_round_trip(app, enumerator):
    add_entry("E001", 1)
    note = "白天无人\n晚上八点后再来 <b>不是标记</b>"
    status, body = patch(app, enumerator, 1, {"note": note})
    assert status == 200
    assert body["note"] == note
    _, one = get(app, enumerator, f"/v1/queries/{meter_number(1)}")
    assert one["note"] == note


def test_patch_note_at_limit_accepted(app, enumerator):
    add_entry("E001", 1)
    status, body = patch(app, enumerator, 1, {"note": "户" * NOTE_MAX_LENGTH})
    assert status == 200
    assert len(body["note"]) == NOTE_MAX_LENGTH


@pytest.mark.parametrize("clearing", ["", "   ", None])
def test_patch_note_cleared(app, enumerator, clearing):
    add_entry("E001", 1)
    patch(app, enumerator, 1, {"note": "回访"})
    status, body = patch(app, enumerator, 1, {"note": clearing})
    assert status == 200
    assert body["note"] is None
    assert HistoryEntry.get("E001", meter_number(1)).note is None


@pytest.mark.parametrize(
    ("note", "problem"),
    [
        ("户" * (NOTE_MAX_LENGTH + 1), "too_long"),
        ("回访\x00", "control_character"),
        ("red\x1b[31m", "control_character"),
        ("a\u202eb", "control_character"),
    ],
)
def test_patch_bad_note_rejected_and_not_stored(app, enumerator, note, problem):
    add_entry("E001", 1)
    patch(app, enumerator, 1, {"note": "原来的备注"})
    status, body = patch(app, enumerator, 1, {"note": note, "favourite": True})
    assert status == 400
    assert body["error"]["code"] == "INVALID_BODY"
    assert body["error"]["details"] == {"field": "note", "problem": problem}
    stored = HistoryEntry.get("E001", meter_number(1))
    assert stored.note == "原来的备注"
    assert stored.favourite is False


def test_patch_note_not_text_rejected(app, enumerator):
    add_entry("E001", 1)
    status, body = patch(app, enumerator, 1, {"note": 42})
    assert status == 400
    assert body["error"]["details"]["field"] == "note"


def test_patch_finding_round_trip_and_clear(app, enumerator):
    add_entry("E001", 1, "RED")
    status, body = patch(app, enumerator, 1, {"finding": "vacant"})
    assert status == 200
    assert body["finding"] == "vacant"
    assert body["finding_at"] is not None
    assert body["conflict"] is False
    status, body = patch(app, enumerator, 1, {"finding": None})
    assert status == 200
    assert body["finding"] is None
    assert body["finding_at"] is None


def test_patch_vacant_on_green_is_conflict(app, enumerator):
    add_entry("E001", 1, "GREEN")
    add_entry("E001", 2, "YELLOW")
    add_entry("E001", 3, "RED")
    for number in (1, 2, 3):
        patch(app, enumerator, number, {"finding": "vacant"})
    status, body = patch(app, enumerator, 1, {"favourite": True})
    assert status == 200
    assert body["conflict"] is True
    _, conflicts = get(app, enumerator, "/v1/queries", {"conflict": "true"})
    assert sorted(listed(conflicts)) == [meter_number(1), meter_number(2)]


def test_patch_unknown_finding_rejected(app, enumerator):
    add_entry("E001", 1)
    status, body = patch(app, enumerator, 1, {"finding": "empty"})
    assert status == 400
    assert body["error"]["details"]["field"] == "finding"


def test_patch_unknown_field_rejected(app, enumerator):
    add_entry("E001", 1)
    status, body = patch(app, enumerator, 1, {"code": "RED"})
    assert status == 400
    assert body["error"]["code"] == "INVALID_BODY"
    assert HistoryEntry.get("E001", meter_number(1)).code == "GREEN"


def test_patch_favourite_not_boolean_rejected(app, enumerator):
    add_entry("E001", 1)
    status, _ = patch(app, enumerator, 1, {"favourite": "yes"})
    assert status == 400


def test_patch_missing_entry_not_found(app, enumerator):
    status, body = patch(app, enumerator, 1, {"favourite": True})
    assert status == 404
    assert body["error"]["code"] == "NOT_FOUND"
    assert history_store.get_entry("E001", meter_number(1), datetime.now(UTC)) is None


def test_patch_other_person_entry_not_found(app, enumerator):
    add_entry("E002", 1)
    status, _ = patch(app, enumerator, 1, {"favourite": True})
    assert status == 404
    assert HistoryEntry.get("E002", meter_number(1)).favourite is False


# ---------------------------------------------------------------- DELETE


def test_delete_removes_entry_and_keeps_quota(app, enumerator):
    add_entry("E001", 1)
    add_entry("E001", 2)
    QuotaCounter("person#E001", used=2).save()
    status, _ = call(app, http_event("DELETE", f"/v1/queries/{meter_number(1)}", claims=enumerator))
    assert status == 204
    _, body = get(app, enumerator, "/v1/queries")
    assert listed(body) == [meter_number(2)]
    assert QuotaCounter.get("person#E001").used == 2
    status, _ = get(app, enumerator, f"/v1/queries/{meter_number(1)}")
    assert status == 404


def test_delete_twice_not_found(app, enumerator):
    add_entry("E001", 1)
    call(app, http_event("DELETE", f"/v1/queries/{meter_number(1)}", claims=enumerator))
    status, body = call(app, http_event("DELETE", f"/v1/queries/{meter_number(1)}", claims=enumerator))
    assert status == 404
    assert body["error"]["code"] == "NOT_FOUND"


def test_delete_other_person_entry_not_found(app, enumerator):
    add_entry("E002", 1)
    status, _ = call(app, http_event("DELETE", f"/v1/queries/{meter_number(1)}", claims=enumerator))
    assert status == 404
    assert history_store.get_entry("E002", meter_number(1), datetime.now(UTC)) is not None


def test_delete_then_query_again_brings_entry_back(app, enumerator):
    add_entry("E001", 1, "RED", minutes_ago=30)
    patch(app, enumerator, 1, {"favourite": True, "note": "旧备注"})
    call(app, http_event("DELETE", f"/v1/queries/{meter_number(1)}", claims=enumerator))
    add_entry("E001", 1, "GREEN")
    status, body = get(app, enumerator, "/v1/queries")
    assert status == 200
    assert listed(body) == [meter_number(1)]
    item = body["entries"][0]
    assert item["code"] == "GREEN"
    assert item["query_count"] == 1
    assert item["favourite"] is False
    assert item["note"] is None
