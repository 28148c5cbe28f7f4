"""End-to-end tests through the local HTTP API: authorizer, handlers, demo data, audit queue."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import boto3
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from census.domain.beijing import beijing_date
from local import signin
from local.server import LocalService
from tests.e2e.conftest import ApiClient

pytestmark = pytest.mark.e2e

CODES = ("GREEN", "YELLOW", "RED", "UNKNOWN")
UNAUTHORIZED = {"message": "Unauthorized"}


def _moto_signing_key() -> jwt.PyJWK:
    # moto signs Cognito tokens with a fixed key that ships inside the package.
    # With it, a test can make validly signed tokens that are wrong in one other way.
    packed = resources.files("moto.cognitoidp").joinpath("resources/jwks-private.json.gz").read_bytes()
    return jwt.PyJWK(json.loads(gzip.decompress(packed)))


def forge_token(claims: dict[str, Any], *, kid: str = "dummy", moto_key: bool = True) -> str:
    """Sign `claims` with moto's Cognito key, or with a new RSA key under the same key id."""
    if moto_key:
        key: Any = _moto_signing_key().key
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def claims_of(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def expired(claims: dict[str, Any]) -> dict[str, Any]:
    now = int(time.time())
    return {**claims, "iat": now - 7200, "auth_time": now - 7200, "exp": now - 3600}


def _person(local_service: LocalService, person_id: str) -> dict[str, Any]:
    return next(item for item in local_service.demo["people"] if item["person_id"] == person_id)


def _enumerator_first(person_ids: list[str]) -> str:
    return sorted(person_ids, key=lambda person_id: (not person_id.startswith("E"), person_id))[0]


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in text)


# ---------------------------------------------------------------- sign-in


def test_sign_in_endpoint_returns_id_token(api: ApiClient, local_service: LocalService) -> None:
    person = _person(local_service, "E001")

    response = api.call(
        "POST", "/local/sign-in", body={"phone": person["phone"], "password": person["password"]}
    )

    assert response.status == 200
    claims = claims_of(response.body["id_token"])
    assert claims["token_use"] == "id"
    assert claims["phone_number"] == person["phone"]
    assert claims["aud"] == local_service.resources.client_id


def test_sign_in_endpoint_wrong_password_rejected(api: ApiClient, local_service: LocalService) -> None:
    person = _person(local_service, "E001")

    response = api.call("POST", "/local/sign-in", body={"phone": person["phone"], "password": "wrong-Pass-1"})

    assert response.status == 401


def test_signin_command_prints_token(
    local_service: LocalService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    demo_file = tmp_path / "demo.json"
    demo_file.write_text(json.dumps(local_service.demo, ensure_ascii=False), encoding="utf-8")

    signin.main(["E002", "--demo-file", str(demo_file)])

    claims = claims_of(capsys.readouterr().out.strip())
    assert claims["phone_number"] == _person(local_service, "E002")["phone"]
    assert claims["token_use"] == "id"


def test_admin_token_carries_admin_group(local_service: LocalService) -> None:
    claims = claims_of(local_service.sign_in("admin"))

    assert claims["cognito:groups"] == ["admin"]


# ---------------------------------------------------------------- verification and profile


def test_verify_minority_name_returns_profile(api: ApiClient, local_service: LocalService) -> None:
    person = _person(local_service, "E002")
    token = local_service.sign_in("E002")

    response = api.call("POST", "/v1/verify", token=token, body=person["verify_body"])

    assert response.status == 200, response.body
    assert response.body["person_id"] == "E002"
    assert response.body["name"] == person["name"]
    assert response.body["role"] == "enumerator"
    assert response.body["areas"] == person["areas"]
    assert response.body["active_from"] == person["active_from"]
    assert response.body["active_to"] == person["active_to"]


def test_verify_wrong_name_mismatch(api: ApiClient, local_service: LocalService) -> None:
    person = _person(local_service, "E003")
    token = local_service.sign_in("E003")
    body = {"name": "李四", "id_number": person["id_number"]}

    response = api.call("POST", "/v1/verify", token=token, body=body)

    assert response.status == 403
    assert response.body["error"]["code"] == "VERIFICATION_MISMATCH"


def test_me_before_verification_not_verified(api: ApiClient, local_service: LocalService) -> None:
    token = local_service.sign_in("S002")

    response = api.call("GET", "/v1/me", token=token)

    assert response.status == 403
    assert response.body["error"]["code"] == "NOT_VERIFIED"


def test_me_returns_profile_and_quota(
    api: ApiClient, local_service: LocalService, verified_token: Callable[[str], str]
) -> None:
    person = _person(local_service, "E001")

    response = api.call("GET", "/v1/me", token=verified_token("E001"))

    assert response.status == 200, response.body
    assert response.body["person_id"] == "E001"
    assert response.body["role"] == "enumerator"
    assert response.body["areas"] == person["areas"]
    assert any("quota" in field for field in response.body), sorted(response.body)


def test_me_of_supervisor_has_supervisor_role(api: ApiClient, verified_token: Callable[[str], str]) -> None:
    response = api.call("GET", "/v1/me", token=verified_token("S001"))

    assert response.status == 200, response.body
    assert response.body["role"] == "supervisor"


# ---------------------------------------------------------------- queries


@pytest.mark.parametrize("code", CODES)
def test_query_sample_meter_returns_its_code(
    code: str, api: ApiClient, local_service: LocalService, verified_token: Callable[[str], str]
) -> None:
    samples = local_service.demo["sample_meters"][code]
    assert samples, f"the demo data has no {code} meter"
    sample = samples[0]
    person_id = _enumerator_first(sample["queryable_by"])

    response = api.call(
        "POST", "/v1/queries", token=verified_token(person_id), body={"meter_number": sample["meter_number"]}
    )

    assert response.status == 200, response.body
    assert response.body["meter_number"] == sample["meter_number"]
    assert response.body["code"] == code
    assert response.body["reason"]
    assert "as_of" in response.body
    assert isinstance(response.body["tags"], list)


def test_query_meter_outside_area_rejected(
    api: ApiClient, local_service: LocalService, verified_token: Callable[[str], str]
) -> None:
    meter_number = _person(local_service, "E001")["meter_outside_area"]
    assert meter_number, "the demo data has no meter outside E001's areas"

    response = api.call(
        "POST", "/v1/queries", token=verified_token("E001"), body={"meter_number": meter_number}
    )

    assert response.status == 403
    assert response.body["error"]["code"] == "METER_OUTSIDE_AREA"
    assert response.body["error"]["request_id"] == response.headers["apigw-requestid"]


@pytest.mark.parametrize("problem", ["length", "check_digit"])
def test_query_malformed_meter_number_rejected(
    problem: str, api: ApiClient, local_service: LocalService, verified_token: Callable[[str], str]
) -> None:
    meter_number = local_service.demo["malformed_meter_numbers"][problem]

    response = api.call(
        "POST", "/v1/queries", token=verified_token("E001"), body={"meter_number": meter_number}
    )

    assert response.status == 400
    assert response.body["error"]["code"] == "INVALID_METER_NUMBER"
    assert response.body["error"]["details"]["problem"] == problem
    assert _has_chinese(response.body["error"]["message"])


def test_query_error_message_english_on_accept_language(
    api: ApiClient, local_service: LocalService, verified_token: Callable[[str], str]
) -> None:
    meter_number = local_service.demo["malformed_meter_numbers"]["length"]

    response = api.call(
        "POST",
        "/v1/queries",
        token=verified_token("E001"),
        body={"meter_number": meter_number},
        headers={"Accept-Language": "en"},
    )

    assert response.status == 400
    assert response.body["error"]["code"] == "INVALID_METER_NUMBER"
    assert not _has_chinese(response.body["error"]["message"])


def test_query_is_audited(
    api: ApiClient, local_service: LocalService, verified_token: Callable[[str], str]
) -> None:
    dynamodb = boto3.client("dynamodb")
    table = local_service.resources.tables["AuditTable"]
    local_service.drain_audit()
    before = dynamodb.scan(TableName=table, Select="COUNT")["Count"]
    meter_number = _person(local_service, "E001")["meter_outside_area"]

    api.call("POST", "/v1/queries", token=verified_token("E001"), body={"meter_number": meter_number})
    local_service.drain_audit()

    after = dynamodb.scan(TableName=table, Select="COUNT")["Count"]
    assert after > before


# ---------------------------------------------------------------- the authorizer


def test_request_without_token_unauthorized(api: ApiClient) -> None:
    response = api.call("GET", "/v1/me")

    assert response.status == 401
    assert response.body == UNAUTHORIZED


def test_token_with_bad_signature_unauthorized(api: ApiClient, local_service: LocalService) -> None:
    claims = claims_of(local_service.sign_in("E001"))
    token = forge_token(claims, moto_key=False)

    response = api.call("GET", "/v1/me", token=token)

    assert response.status == 401
    assert response.body == UNAUTHORIZED


def test_expired_token_unauthorized(api: ApiClient, local_service: LocalService) -> None:
    claims = claims_of(local_service.sign_in("E001"))
    token = forge_token(expired(claims))

    response = api.call("GET", "/v1/me", token=token)

    assert response.status == 401
    assert response.body == UNAUTHORIZED


def test_token_for_other_client_unauthorized(api: ApiClient, local_service: LocalService) -> None:
    claims = claims_of(local_service.sign_in("E001"))
    token = forge_token({**claims, "aud": "another-app-client"})

    response = api.call("GET", "/v1/me", token=token)

    assert response.status == 401
    assert response.body == UNAUTHORIZED


def test_token_from_other_issuer_unauthorized(api: ApiClient, local_service: LocalService) -> None:
    claims = claims_of(local_service.sign_in("E001"))
    token = forge_token({**claims, "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other"})

    response = api.call("GET", "/v1/me", token=token)

    assert response.status == 401
    assert response.body == UNAUTHORIZED


def test_access_token_unauthorized(api: ApiClient, local_service: LocalService) -> None:
    claims = claims_of(local_service.sign_in("E001"))
    token = forge_token({**claims, "token_use": "access"})

    response = api.call("GET", "/v1/me", token=token)

    assert response.status == 401
    assert response.body == UNAUTHORIZED


def test_forged_token_with_valid_key_accepted(api: ApiClient, local_service: LocalService) -> None:
    # The control of the tests above: the same claims, re-signed with the
    # pool's key and left unchanged, pass the authorizer.
    claims = claims_of(local_service.sign_in("S002"))
    token = forge_token(claims)

    response = api.call("GET", "/v1/me", token=token)

    assert response.status != 401


def test_upload_next_day_unknown_county_not_found(api: ApiClient) -> None:
    response = api.call("POST", "/local/upload-next-day", body={"county": "999999"})

    assert response.status == 404
    assert "999999" in response.body["message"]
    assert "the demo counties are 430102" in response.body["message"]


def test_upload_next_day_without_county_rejected(api: ApiClient) -> None:
    response = api.call("POST", "/local/upload-next-day", body={"day": "2013-09-22"})

    assert response.status == 400


def test_unknown_route_not_found(api: ApiClient, local_service: LocalService) -> None:
    response = api.call("GET", "/v1/nothing-here", token=local_service.sign_in("E001"))

    assert response.status == 404
    assert response.body == {"message": "Not Found"}


def test_supervisor_reads_member_list_through_gateway(api: ApiClient, verified_token) -> None:
    response = api.call("GET", "/v1/team/E001/queries", token=verified_token("S001"))

    assert response.status == 200
    assert "entries" in response.body


def test_other_supervisor_refused_member_list(api: ApiClient, verified_token) -> None:
    response = api.call("GET", "/v1/team/E001/queries", token=verified_token("S002"))

    assert response.status == 404
    assert response.body["error"]["code"] == "NOT_FOUND"


def test_enumerator_refused_team_view(api: ApiClient, verified_token) -> None:
    response = api.call("GET", "/v1/team", token=verified_token("E002"))

    assert response.status == 403
    assert response.body["error"]["code"] == "NOT_SUPERVISOR"


# ---------------------------------------------------------------- admin routes


def test_admin_finds_query_in_audit_through_gateway(
    api: ApiClient, local_service: LocalService, verified_token: Callable[[str], str]
) -> None:
    meter_number = _person(local_service, "E001")["meter_outside_area"]
    api.call("POST", "/v1/queries", token=verified_token("E001"), body={"meter_number": meter_number})
    local_service.drain_audit()
    day = beijing_date(datetime.now(UTC)).isoformat()

    response = api.call(
        "GET",
        f"/v1/admin/audit?day={day}&actor=E001&outcome=METER_OUTSIDE_AREA",
        token=local_service.sign_in("admin"),
    )

    assert response.status == 200, response.body
    assert meter_number in [event["meter_number"] for event in response.body["events"]]


def test_admin_usage_through_gateway(api: ApiClient, local_service: LocalService) -> None:
    day = beijing_date(datetime.now(UTC)).isoformat()

    response = api.call("GET", f"/v1/admin/usage?from={day}&to={day}", token=local_service.sign_in("admin"))

    assert response.status == 200, response.body
    assert response.body["days"][0]["day"] == day


def test_enumerator_refused_admin_usage(api: ApiClient, verified_token) -> None:
    response = api.call("GET", "/v1/admin/usage?from=2026-11-01&to=2026-11-01", token=verified_token("E002"))

    assert response.status == 403
    assert response.body["error"]["code"] == "NOT_ADMIN"
