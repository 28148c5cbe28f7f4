"""The audit table. Only the audit writer function has a role that may write it."""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model

from census.dal.models import _MetaDefaults, register
from census.domain.audit import AuditEvent


class AuditRecord(Model):
    class Meta(_MetaDefaults):
        pass

    day = UnicodeAttribute(hash_key=True)
    event_id = UnicodeAttribute(range_key=True)
    at = UnicodeAttribute()
    action = UnicodeAttribute()
    actor = UnicodeAttribute()
    outcome = UnicodeAttribute()
    request_id = UnicodeAttribute()
    meter_number = UnicodeAttribute(null=True)
    replay = BooleanAttribute(default=False)
    expires_at = NumberAttribute()


register(AuditRecord, "audit")


def write_event(event: AuditEvent, *, retention_days: int) -> bool:
    """Write one audit event once; return False when it was already written (a redelivery)."""
    expires = datetime.fromisoformat(event.at) + timedelta(days=retention_days)
    record = AuditRecord(
        event.day,
        event.event_id,
        at=event.at,
        action=event.action,
        actor=event.actor,
        outcome=event.outcome,
        request_id=event.request_id,
        meter_number=event.meter_number,
        replay=event.replay,
        expires_at=int(expires.timestamp()),
    )
    try:
        record.save(condition=AuditRecord.event_id.does_not_exist())
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def events_on(day: str) -> list[AuditRecord]:
    """Return every event of a Beijing day, oldest first."""
    return list(AuditRecord.query(day))


def search_events(
    day: str, *, after: str | None, limit: int, filter_condition: Condition | None
) -> tuple[list[AuditRecord], bool]:
    """Return up to `limit` events of a day after the event id `after` that match, oldest first.

    The second value is True when more matching events may follow. DynamoDB
    applies the filter after reading, so a page can take several reads.
    """
    range_condition = AuditRecord.event_id > after if after else None
    found: list[AuditRecord] = []
    results = AuditRecord.query(
        day, range_key_condition=range_condition, filter_condition=filter_condition, page_size=max(limit, 100)
    )
    for record in results:
        if len(found) == limit:
            return found, True
        found.append(record)
    return found, False
