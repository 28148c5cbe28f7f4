"""The audit writer: moves audit events from the queue into the audit table."""

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from census import config
from census.dal import audit, models
from census.domain.audit import AuditEvent
from census.observability import logger, metrics, tracer

settings = config.settings()
models.configure(settings.tables)
processor = BatchProcessor(event_type=EventType.SQS)


def _write(record: SQSRecord) -> None:
    event = AuditEvent.from_message(record.body)
    if not audit.write_event(event, retention_days=settings.audit_retention_days):
        logger.info("audit event already written", event_id=event.event_id)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(event=event, record_handler=_write, processor=processor, context=context)
