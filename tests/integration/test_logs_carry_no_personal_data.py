"""A full scenario's log lines and audit events carry no name, phone or ID number in clear."""

from __future__ import annotations

import json

import boto3

from tests.helpers import call, claims_for, http_event, load_function
from tests.integration.test_query import GREEN, OUTSIDE, PEOPLE, RED, world  # noqa: F401 - fixture


def _secrets() -> list[str]:
    secrets = []
    for person in PEOPLE:
        phone = person["phone"]
        secrets += [person["name"], person["id_number"], phone, "+86" + phone]
    return secrets


def test_scenario_logs_and_audit_hold_no_personal_data(world, aws, log_lines, capsys):  # noqa: F811
    verify = load_function("verify")
    phone = "+8613800000002"
    bad = http_event("POST", "/v1/verify", claims=claims_for("sub-x", phone),
                     body={"name": "李小明", "id_number": PEOPLE[1]["id_number"]})  # fmt: skip
    assert call(verify, bad)[0] == 403
    assert call(verify, http_event("GET", "/v1/me", claims=claims_for("sub-e1", phone)))[0] == 200
    for number in (GREEN, RED, OUTSIDE, "12345"):
        call(world, http_event("POST", "/v1/queries", claims=claims_for("sub-e1", phone),
                               body={"meter_number": number}))  # fmt: skip

    captured = capsys.readouterr()
    logs = log_lines.getvalue() + captured.out + captured.err
    sqs = boto3.client("sqs")
    audit = sqs.receive_message(QueueUrl=aws.audit_queue_url, MaxNumberOfMessages=10)["Messages"]
    audit_text = " ".join(message["Body"] for message in audit)

    assert '"message":"meter queried"' in logs
    assert len(audit) >= 5
    for secret in _secrets():
        assert secret not in logs, f"a log line carries {secret!r}"
        assert secret not in audit_text, f"an audit event carries {secret!r}"
    outcomes = {json.loads(message["Body"])["outcome"] for message in audit}
    assert {"VERIFICATION_MISMATCH", "GREEN", "RED", "METER_OUTSIDE_AREA", "INVALID_METER_NUMBER"} <= outcomes
