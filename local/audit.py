"""Deliver the audit queue's messages to the audit writer, as the SQS event source mapping does.

In AWS, Lambda polls the queue and calls the writer with batches. Locally the
gateway calls `drain()` after each request: it receives every visible message,
calls the handler with SQS events of at most the template's batch size, and
deletes the messages the handler did not report as failed
(ReportBatchItemFailures). A failed message stays in the queue and becomes
visible again after the queue's visibility timeout, as in AWS.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from typing import Any

from local.functions import LocalFunction
from local.resources import ACCOUNT_ID

logger = logging.getLogger("local.audit")

_RECEIVE_MAX = 10  # the maximum number of messages of one ReceiveMessage call


def sqs_record(message: dict[str, Any], *, queue_arn: str, region: str) -> dict[str, Any]:
    """Return the record of one received message in the SQS event Lambda builds."""
    body = message["Body"]
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": body,
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "binaryValue": value.get("BinaryValue"),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value.get("DataType", "String"),
            }
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody") or hashlib.md5(body.encode("utf-8")).hexdigest(),  # noqa: S324
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def queue_arn_of(queue_url: str, region: str) -> str:
    return f"arn:aws:sqs:{region}:{ACCOUNT_ID}:{queue_url.rstrip('/').rsplit('/', 1)[-1]}"


class AuditDrain:
    """Move the audit queue's messages into the audit writer function."""

    def __init__(
        self, *, sqs: Any, queue_url: str, function: LocalFunction, region: str, batch_size: int = 100
    ) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._queue_arn = queue_arn_of(queue_url, region)
        self._function = function
        self._region = region
        self._batch_size = batch_size
        self._lock = threading.Lock()
        self._warned_missing = False
        self._closed = False

    def close(self) -> None:
        """Wait for a drain in progress, then deliver nothing more: the queue's server is stopping."""
        with self._lock:
            self._closed = True

    def drain(self) -> int:
        """Deliver every visible message; return how many the handler accepted.

        Does nothing while the writer's module has no handler, so messages wait
        in the queue until a handler exists.
        """
        with self._lock:
            if self._closed:
                return 0
            try:
                ready = self._function.has_handler()
            except Exception:
                logger.exception("audit writer failed to load; messages stay queued")
                return 0
            if not ready:
                if not self._warned_missing:
                    logger.warning("audit writer has no handler yet; messages stay queued")
                    self._warned_missing = True
                return 0
            accepted = 0
            while True:
                messages = self._receive_batch()
                if not messages:
                    return accepted
                accepted += self._deliver(messages)

    def _receive_batch(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while len(messages) < self._batch_size:
            received = self._sqs.receive_message(
                QueueUrl=self._queue_url,
                MaxNumberOfMessages=min(_RECEIVE_MAX, self._batch_size - len(messages)),
                WaitTimeSeconds=0,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not received:
                break
            messages.extend(received)
        return messages

    def _deliver(self, messages: list[dict[str, Any]]) -> int:
        records = [
            sqs_record(message, queue_arn=self._queue_arn, region=self._region) for message in messages
        ]
        event = {"Records": records}
        try:
            result = self._function.invoke(event)
        except Exception:
            # Lambda treats an unhandled error as a failure of the whole batch.
            logger.exception("audit writer failed; batch stays queued messages=%d", len(messages))
            return 0
        # A response that is not a dict, such as None, reports no failed item.
        reported = result.get("batchItemFailures") or [] if isinstance(result, dict) else []
        failed = {item.get("itemIdentifier") for item in reported if isinstance(item, dict)}
        done = [message for message in messages if message["MessageId"] not in failed]
        for start in range(0, len(done), _RECEIVE_MAX):
            chunk = done[start : start + _RECEIVE_MAX]
            self._sqs.delete_message_batch(
                QueueUrl=self._queue_url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                    for index, message in enumerate(chunk)
                ],
            )
        if failed:
            logger.warning("audit writer reported failures failed=%d", len(failed))
        return len(done)
