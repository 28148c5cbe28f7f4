"""The audit trail's sending side.

Functions that serve users may only send audit events to the audit queue.
The audit writer alone may write the audit table, and only new items, so no
function a user reaches can alter or delete a record.
"""

from __future__ import annotations

from typing import Any

from census.domain.audit import AuditEvent


class AuditQueue:
    """Sends audit events to the SQS queue that the audit writer drains."""

    def __init__(self, sqs_client: Any, queue_url: str) -> None:
        self._sqs = sqs_client
        self._queue_url = queue_url

    def send(self, event: AuditEvent) -> None:
        self._sqs.send_message(QueueUrl=self._queue_url, MessageBody=event.to_message())
