"""S3 uploads: the utility's registry and consumption uploads, and the census office's rosters.

S3 invokes this function for `s3:ObjectCreated:*` on `uploads/utility/...manifest.json`
and on `uploads/roster/...csv`. Keys arrive URL-encoded. S3 delivers events at
least once, and processing a utility upload twice gives the same published result.
"""

from typing import Any
from urllib.parse import unquote_plus

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext

from census import config
from census.dal import models
from census.ingest.manifest import is_manifest_key
from census.ingest.upload import S3_CLIENT_CONFIG, ingest_upload
from census.observability import logger, metrics, tracer

ROSTER_PREFIX = "uploads/roster/"

settings = config.settings()
models.configure(settings.tables)
s3 = boto3.client("s3", config=S3_CLIENT_CONFIG)


def _ingest_roster(bucket: str, key: str) -> None:
    # Imported here so that utility uploads do not load the roster code.
    from census.services.roster_import import import_roster_object

    report = import_roster_object(s3, bucket, key)
    metrics.add_metric(name="RosterRowsAccepted", unit="Count", value=report.accepted)
    metrics.add_metric(name="RosterRowsRejected", unit="Count", value=len(report.rejected))


def _ingest_utility_upload(bucket: str, key: str) -> None:
    report = ingest_upload(s3, bucket, key)
    metrics.add_metric(name="UploadRowsAccepted", unit="Count", value=report.counts.get("accepted_rows", 0))
    metrics.add_metric(name="UploadRowsRejected", unit="Count", value=report.rejected_total)
    if report.outcome in ("published", "replaced"):
        metrics.add_metric(name="DaysPublished", unit="Count", value=1)


@tracer.capture_method
def ingest_object(bucket: str, key: str) -> str:
    """Route one created object to its ingest; returns what was done with it."""
    if is_manifest_key(key):
        _ingest_utility_upload(bucket, key)
        return "utility_upload"
    if key.startswith(ROSTER_PREFIX) and key.endswith(".csv"):
        _ingest_roster(bucket, key)
        return "roster"
    logger.warning("object ignored", key=key)
    return "ignored"


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    handled: list[dict[str, str]] = []
    for record in event.get("Records", []):
        if not str(record.get("eventName", "")).startswith("ObjectCreated:"):
            continue
        bucket = record["s3"]["bucket"]["name"]
        key = unquote_plus(record["s3"]["object"]["key"])
        logger.append_keys(object_key=key)
        handled.append({"key": key, "action": ingest_object(bucket, key)})
    return {"handled": handled}
