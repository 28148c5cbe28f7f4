"""The red dot refresh, started by the S3 event of a published-day signal object.

The ingest writes `state/published-days/<utility>/<county>/<YYYY-MM-DD>.json`
after it publishes a county-day. This function then recomputes the codes of
the listed homes of that county and marks the entries whose code changed. It
writes its report to `state/refresh-reports/<utility>/<county>/<YYYY-MM-DD>.json`.
A retried event runs the same refresh again, which marks nothing twice.
"""

from datetime import UTC, datetime
from typing import Any

import boto3
from aws_lambda_powertools.utilities.data_classes import S3Event, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config

from census import config
from census.dal import models
from census.domain.occupancy import load_config
from census.observability import logger, metrics, tracer
from census.services import refresh
from census.storage import batch

# census.services.refresh imports census.dal.history, which registers HistoryEntry with configure().
settings = config.settings()
models.configure(settings.tables)
options = refresh.RefreshOptions(window_days=settings.window_days, config=load_config())
# Each parallel GET of a county-day span needs a connection of its own.
s3 = boto3.client(
    "s3", config=Config(max_pool_connections=options.parallel_reads * 2, retries={"mode": "standard"})
)


def _now() -> datetime:
    return datetime.now(UTC)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=S3Event)
def lambda_handler(event: S3Event, context: LambdaContext) -> dict[str, Any]:
    reports: list[dict[str, Any]] = []
    for record in event.records:
        key = record.s3.get_object.key
        signal = batch.parse_published_day_key(key)
        if signal is None:
            logger.warning("not a published-day signal", key=key)
            continue
        logger.info("refresh started", utility=signal.utility, county=signal.county, day=signal.day)

        report = refresh.refresh_series(
            utility=signal.utility,
            county=signal.county,
            day=signal.day,
            s3=s3,
            bucket=settings.bucket,
            options=options,
            now=_now(),
            clock=_now,
        )

        batch.write_refresh_report(
            s3,
            settings.bucket,
            utility=signal.utility,
            county=signal.county,
            day=signal.day,
            report=report.as_dict(),
        )
        metrics.add_metric(name="RefreshEntriesMarked", unit="Count", value=report.marked)
        metrics.add_metric(name="RefreshPartitionsRead", unit="Count", value=report.partitions_read)
        reports.append(report.as_dict())
    return {"reports": reports}
