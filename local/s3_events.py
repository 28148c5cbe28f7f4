"""S3 event notifications to Lambda, which moto's server does not deliver.

moto does deliver S3 notifications to SQS. `S3EventRouter` subscribes a queue
to the template's S3 triggers and calls each trigger's function in this
process with an `ObjectCreated:Put` event shaped like the one S3 sends.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus, unquote_plus

from local.functions import LocalFunction, S3Trigger

logger = logging.getLogger("local.s3_events")


def object_created_event(
    *,
    bucket: str,
    key: str,
    size: int,
    etag: str,
    region: str,
    configuration_id: str,
    version_id: str | None = None,
    event_name: str = "ObjectCreated:Put",
) -> dict[str, Any]:
    """Return the S3 event of one created object, with the key URL-encoded as S3 sends it."""
    s3_object: dict[str, Any] = {
        # S3 encodes the key like a form value: a space becomes "+", and "/" stays.
        "key": quote_plus(key, safe="/"),
        "size": size,
        "eTag": etag.strip('"'),
        "sequencer": f"{time.time_ns():018X}",
    }
    if version_id and version_id != "null":
        s3_object["versionId"] = version_id
    now = datetime.now(UTC)
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": region,
                "eventTime": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
                "eventName": event_name,
                "userIdentity": {"principalId": "AWS:AIDALOCALUPLOADER"},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {
                    "x-amz-request-id": uuid.uuid4().hex[:16].upper(),
                    "x-amz-id-2": uuid.uuid4().hex,
                },
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": configuration_id,
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "A3LOCALOWNER"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": s3_object,
                },
            }
        ]
    }


@dataclass(frozen=True)
class Notification:
    """One function called for one created object, with its result."""

    function: str
    key: str
    result: Any
    seconds: float


class S3EventRouter:
    """Deliver the template's S3 events to the functions, for every object created in the bucket.

    moto's S3 sends a notification to an SQS queue for each created object that
    matches a trigger's prefix and suffix. That includes objects written by a
    function, so the ingest's published-day signals start the refresh.
    `deliver()` reads that queue and calls each trigger's function with the
    event S3 would send to Lambda, until no notification is left.
    """

    def __init__(
        self,
        *,
        s3: Any,
        sqs: Any,
        bucket: str,
        region: str,
        queue_name: str,
        triggers: list[S3Trigger],
        functions: dict[str, LocalFunction],
    ) -> None:
        self._s3 = s3
        self._sqs = sqs
        self._bucket = bucket
        self._region = region
        self._functions = functions
        self._triggers = {f"{trigger.function}-{trigger.configuration_id}": trigger for trigger in triggers}
        self._queue_url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=self._queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        s3.put_bucket_notification_configuration(
            Bucket=bucket,
            NotificationConfiguration={
                "QueueConfigurations": [
                    {
                        "Id": notification_id,
                        "QueueArn": queue_arn,
                        "Events": ["s3:ObjectCreated:*"],
                        "Filter": {
                            "Key": {
                                "FilterRules": [
                                    {"Name": "prefix", "Value": trigger.prefix},
                                    {"Name": "suffix", "Value": trigger.suffix},
                                ]
                            }
                        },
                    }
                    for notification_id, trigger in self._triggers.items()
                ]
            },
        )
        # The first message is S3's test event, which deliver() skips.
        self.deliver()

    def put(self, key: str, body: bytes, *, deliver: bool = True) -> list[Notification]:
        """Write one object, then deliver the events it starts, and those that their functions start.

        With `deliver` false the events stay queued for a later `deliver()`, which
        saves a queue read per object when a folder is written object by object.
        """
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=body)
        return self.deliver() if deliver else []

    def deliver(self) -> list[Notification]:
        """Call the functions for every queued notification, in the order the objects were created.

        A function's error propagates and its notification stays queued, so it
        is delivered again once the queue's visibility timeout has passed.
        """
        delivered: list[Notification] = []
        while True:
            messages = self._sqs.receive_message(
                QueueUrl=self._queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            ).get("Messages", [])
            if not messages:
                return delivered
            for message in messages:
                for record in json.loads(message["Body"]).get("Records", []):
                    delivered.append(self._invoke(record))
                self._sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"])

    def _invoke(self, record: dict[str, Any]) -> Notification:
        notification_id = record["s3"]["configurationId"]
        trigger = self._triggers[notification_id]
        s3_object = record["s3"]["object"]
        key = unquote_plus(s3_object["key"])
        event = object_created_event(
            bucket=self._bucket,
            key=key,
            size=int(s3_object.get("size", 0)),
            etag=s3_object.get("eTag", ""),
            version_id=s3_object.get("versionId"),
            region=self._region,
            configuration_id=trigger.configuration_id,
            event_name=record.get("eventName", "ObjectCreated:Put"),
        )
        started = time.perf_counter()
        result = self._functions[trigger.function].invoke(event)
        seconds = time.perf_counter() - started
        logger.debug("s3 event delivered function=%s key=%s seconds=%.3f", trigger.function, key, seconds)
        return Notification(trigger.function, key, result, seconds)
