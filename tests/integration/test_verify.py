"""POST /v1/verify and GET /v1/me against moto tables built from template.yaml."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from census.dal import people
from census.services.roster_import import import_roster
from tests.conftest import TEST_ID_HASH_KEY
from tests.helpers import call, claims_for, http_event, load_function, make_id_number, roster_csv

SUPERVISOR_ID = make_id_number(birth="19800315", sequence="011")
ENUMERATOR_ID = make_id_number(birth="19920229", sequence="022")
MINORITY_ID = make_id_number(birth="19880808", sequence="033")
EXPIRED_ID = make_id_number(birth="19700101", sequence="044")

ROSTER = [
    {"person_id": "S001", "name": "王建国", "phone": "13800000001", "id_number": SUPERVISOR_ID,
     "role": "supervisor", "area_codes": "430102000000"},
    {"person_id": "E001", "name": "李小红", "phone": "13800000002", "id_number": ENUMERATOR_ID,
     "role": "enumerator", "supervisor_id": "S001", "area_codes": "430102001001"},
    {"person_id": "E002", "name": "阿依古丽·买买提", "phone": "13800000003", "id_number": MINORITY_ID,
     "role": "enumerator", "supervisor_id": "S001", "area_codes": "430102001002;430102002001"},
    {"person_id": "E003", "name": "张三", "phone": "13800000004", "id_number": EXPIRED_ID,
     "role": "enumerator", "supervisor_id": "S001", "area_codes": "430102001001",
     "active_from": "2012-01-01", "active_to": "2013-01-01"},
]  # fmt: skip


@pytest.fixture
def roster(aws):
    report = import_roster(
        roster_csv(ROSTER), source="roster.csv", hash_key=TEST_ID_HASH_KEY.encode(), now=datetime.now(UTC)
    )
    assert report.rejected == []
    return report


@pytest.fixture
def verify_app(aws, roster):
    return load_function("verify")


def _verify(app, phone, name, id_number, *, sub="sub-1", verified=True, language=None):
    headers = {"accept-language": language} if language else None
    event = http_event(
        "POST", "/v1/verify", claims=claims_for(sub, phone, verified=verified),
        body={"name": name, "id_number": id_number}, headers=headers,
    )  # fmt: skip
    return call(app, event)


def test_verify_binds_matching_enumerator(verify_app):
    status, body = _verify(verify_app, "+8613800000002", "李小红", ENUMERATOR_ID)
    assert status == 200
    assert body["person_id"] == "E001"
    assert body["areas"] == ["430102001001"]
    assert people.get_binding("sub-1").person_id == "E001"


def test_verify_accepts_full_width_and_spaced_input(verify_app):
    full_width_id = ENUMERATOR_ID.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    status, body = _verify(verify_app, "+8613800000002", " 李 小红 ", full_width_id)
    assert status == 200
    assert body["person_id"] == "E001"


def test_verify_matches_minority_name_with_other_dot(verify_app):
    status, body = _verify(verify_app, "+8613800000003", "阿依古丽•买买提", MINORITY_ID)
    assert status == 200
    assert body["person_id"] == "E002"


def test_verify_wrong_name_is_mismatch(verify_app):
    status, body = _verify(verify_app, "+8613800000002", "李小明", ENUMERATOR_ID)
    assert status == 403
    assert body["error"]["code"] == "VERIFICATION_MISMATCH"
    assert "普查" in body["error"]["message"]
    assert people.get_binding("sub-1") is None


def test_verify_wrong_id_number_is_mismatch(verify_app):
    other = make_id_number(birth="19920229", sequence="023")
    status, body = _verify(verify_app, "+8613800000002", "李小红", other)
    assert status == 403
    assert body["error"]["code"] == "VERIFICATION_MISMATCH"


def test_verify_phone_not_on_roster_is_mismatch(verify_app):
    status, body = _verify(verify_app, "+8613900000009", "李小红", ENUMERATOR_ID)
    assert status == 403
    assert body["error"]["code"] == "VERIFICATION_MISMATCH"


def test_verify_mismatch_in_english(verify_app):
    status, body = _verify(verify_app, "+8613800000002", "李小明", ENUMERATOR_ID, language="en-US,en;q=0.9")
    assert status == 403
    assert "census office" in body["error"]["message"].lower()
    assert body["error"]["request_id"].startswith("req-")


def test_verify_malformed_id_number_names_problem(verify_app):
    status, body = _verify(verify_app, "+8613800000002", "李小红", ENUMERATOR_ID[:-1] + "0")
    assert status == 400
    assert body["error"]["code"] == "INVALID_ID_NUMBER"
    assert body["error"]["details"]["problem"] == "check_digit"


def test_verify_unverified_phone_rejected(verify_app):
    status, body = _verify(verify_app, "+8613800000002", "李小红", ENUMERATOR_ID, verified=False)
    assert status == 403
    assert body["error"]["code"] == "PHONE_NOT_VERIFIED"


def test_verify_person_outside_active_dates(verify_app):
    status, body = _verify(verify_app, "+8613800000004", "张三", EXPIRED_ID)
    assert status == 403
    assert body["error"]["code"] == "PERSON_INACTIVE"
    assert body["error"]["details"]["active_to"] == "2013-01-01"


def test_verify_twice_same_identity_is_idempotent(verify_app):
    first, _ = _verify(verify_app, "+8613800000002", "李小红", ENUMERATOR_ID)
    second, body = _verify(verify_app, "+8613800000002", "李小红", ENUMERATOR_ID)
    assert first == 200
    assert second == 200
    assert body["person_id"] == "E001"


def test_verify_second_identity_for_bound_person_rejected(verify_app):
    _verify(verify_app, "+8613800000002", "李小红", ENUMERATOR_ID, sub="sub-1")
    status, body = _verify(verify_app, "+8613800000002", "李小红", ENUMERATOR_ID, sub="sub-2")
    assert status == 409
    assert body["error"]["code"] == "ALREADY_BOUND"


def test_verify_invalid_body_names_field(verify_app):
    event = http_event("POST", "/v1/verify", claims=claims_for("sub-1", "+8613800000002"), body={"name": "x"})
    status, body = call(verify_app, event)
    assert status == 400
    assert body["error"]["code"] == "INVALID_BODY"
    assert body["error"]["details"]["field"] == "id_number"


def test_verify_body_not_json(verify_app):
    event = http_event("POST", "/v1/verify", claims=claims_for("sub-1", "+8613800000002"), body="{not json")
    status, body = call(verify_app, event)
    assert status == 400
    assert body["error"]["code"] == "INVALID_BODY"


def test_me_before_verification_is_not_verified(verify_app):
    status, body = call(verify_app, http_event("GET", "/v1/me", claims=claims_for("sub-9", "+8613800000002")))
    assert status == 403
    assert body["error"]["code"] == "NOT_VERIFIED"


def test_me_after_verification_shows_profile(verify_app):
    _verify(verify_app, "+8613800000003", "阿依古丽·买买提", MINORITY_ID)
    status, body = call(verify_app, http_event("GET", "/v1/me", claims=claims_for("sub-1", "+8613800000003")))
    assert status == 200
    assert body["name"] == "阿依古丽·买买提"
    assert body["role"] == "enumerator"
    assert body["areas"] == ["430102001002", "430102002001"]
    assert body["supervisor_id"] == "S001"


def test_me_after_roster_phone_change_is_not_verified(verify_app, aws):
    _verify(verify_app, "+8613800000002", "李小红", ENUMERATOR_ID)
    changed = [dict(ROSTER[0]), dict(ROSTER[1], phone="13800000099")]
    import_roster(
        roster_csv(changed), source="r2.csv", hash_key=TEST_ID_HASH_KEY.encode(), now=datetime.now(UTC)
    )
    status, body = call(verify_app, http_event("GET", "/v1/me", claims=claims_for("sub-1", "+8613800000002")))
    assert status == 403
    assert body["error"]["code"] == "NOT_VERIFIED"


def test_roster_stores_no_clear_id_number(verify_app):
    person = people.get_person("E001")
    stored = str(person.attribute_values)
    assert ENUMERATOR_ID not in stored
    assert len(person.id_hash) == 64


def test_unexpected_failure_gets_internal_error_body(verify_app, monkeypatch):
    def broken(caller):
        raise RuntimeError("table unreachable")

    monkeypatch.setattr(verify_app.identity, "resolve_person", broken)
    status, body = call(verify_app, http_event("GET", "/v1/me", claims=claims_for("sub-1", "+8613800000002")))
    assert status == 500
    assert body["error"]["code"] == "INTERNAL_ERROR"
    assert body["error"]["request_id"].startswith("req-")
    assert "table unreachable" not in body["error"]["message"]
