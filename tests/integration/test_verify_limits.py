"""Verification under its guessing limit, the service window, and its audit trail."""

from __future__ import annotations

import json

import boto3
import pytest

from census import config
from census.dal import audit
from tests.helpers import call, claims_for, http_event, lambda_context, load_function
from tests.integration.test_verify import ENUMERATOR_ID, roster  # noqa: F401 - fixture

PHONE = "+8613800000002"


@pytest.fixture
def verify_app(aws, roster):  # noqa: F811 - the roster fixture above
    return load_function("verify")


def _verify(app, name, id_number, sub="sub-1"):
    event = http_event(
        "POST", "/v1/verify", claims=claims_for(sub, PHONE), body={"name": name, "id_number": id_number}
    )
    return call(app, event)


def _drain_audit_queue(aws) -> list[dict]:
    sqs = boto3.client("sqs")
    messages = []
    while True:
        batch = sqs.receive_message(QueueUrl=aws.audit_queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            return messages
        messages.extend(batch)
        for message in batch:
            sqs.delete_message(QueueUrl=aws.audit_queue_url, ReceiptHandle=message["ReceiptHandle"])


def test_fifth_mismatch_allowed_sixth_attempt_locked(verify_app):
    for attempt in range(5):
        status, body = _verify(verify_app, "李小明", ENUMERATOR_ID)
        assert status == 403
        assert body["error"]["details"]["attempts_left"] == 4 - attempt
    status, body = _verify(verify_app, "李小红", ENUMERATOR_ID)
    assert status == 429
    assert body["error"]["code"] == "VERIFICATION_LOCKED"
    assert body["error"]["details"]["unlocks_at"].endswith("T00:00:00+08:00")


def test_lock_is_per_identity(verify_app):
    for _ in range(5):
        _verify(verify_app, "李小明", ENUMERATOR_ID, sub="sub-1")
    status, body = _verify(verify_app, "李小红", ENUMERATOR_ID, sub="sub-2")
    assert status == 200
    assert body["person_id"] == "E001"


def test_malformed_id_numbers_do_not_count_as_failures(verify_app):
    for _ in range(6):
        status, _ = _verify(verify_app, "李小红", "12345")
        assert status == 400
    status, body = _verify(verify_app, "李小红", ENUMERATOR_ID)
    assert status == 200
    assert body["person_id"] == "E001"


def test_four_mismatches_then_success_passes(verify_app):
    for _ in range(4):
        _verify(verify_app, "李小明", ENUMERATOR_ID)
    status, _ = _verify(verify_app, "李小红", ENUMERATOR_ID)
    assert status == 200


def test_verification_outside_service_window_rejected(aws, roster, monkeypatch):  # noqa: F811
    monkeypatch.setenv("SERVICE_WINDOW_START", "2020-11-01")
    monkeypatch.setenv("SERVICE_WINDOW_END", "2020-12-10")
    config.settings.cache_clear()
    app = load_function("verify")
    status, body = _verify(app, "李小红", ENUMERATOR_ID)
    assert status == 403
    assert body["error"]["code"] == "OUTSIDE_SERVICE_WINDOW"
    assert body["error"]["details"] == {"window_start": "2020-11-01", "window_end": "2020-12-10"}


def test_every_verification_is_audited_without_personal_data(verify_app, aws):
    _verify(verify_app, "李小明", ENUMERATOR_ID)
    _verify(verify_app, "李小红", ENUMERATOR_ID)
    messages = _drain_audit_queue(aws)
    outcomes = [json.loads(message["Body"])["outcome"] for message in messages]
    assert outcomes == ["VERIFICATION_MISMATCH", "VERIFIED"]
    raw = " ".join(message["Body"] for message in messages)
    for secret in ("李小红", "李小明", ENUMERATOR_ID, PHONE, "13800000002"):
        assert secret not in raw


def test_malformed_verification_is_audited(verify_app, aws):
    event = http_event("POST", "/v1/verify", claims=claims_for("sub-1", PHONE), body={"name": "李小红"})
    status, _ = call(verify_app, event)
    assert status == 400
    outcomes = [json.loads(message["Body"])["outcome"] for message in _drain_audit_queue(aws)]
    assert outcomes == ["INVALID_BODY"]


def test_audit_writer_stores_each_event_once(verify_app, aws):
    _verify(verify_app, "李小红", ENUMERATOR_ID)
    messages = _drain_audit_queue(aws)
    records = [
        {"messageId": f"m{index}", "receiptHandle": "r", "body": message["Body"], "attributes": {},
         "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
         "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q", "awsRegion": "us-east-1"}
        for index, message in enumerate(messages + messages)
    ]  # fmt: skip
    writer = load_function("audit")
    result = writer.lambda_handler({"Records": records}, lambda_context("audit"))
    assert result == {"batchItemFailures": []}
    day = json.loads(messages[0]["Body"])["day"]
    stored = audit.events_on(day)
    assert len(stored) == 1
    assert stored[0].actor == "E001"
    assert stored[0].outcome == "VERIFIED"
    assert stored[0].expires_at > 0
