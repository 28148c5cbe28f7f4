"""One utility upload, from its manifest to the report beside it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.config import Config

from census.ingest import report as outcomes
from census.ingest.consumption import ingest_consumption
from census.ingest.manifest import REGISTRY, ManifestError, parse_manifest, report_key_of
from census.ingest.registry import ingest_registry
from census.ingest.report import Report
from census.observability import logger
from census.storage.uploads import put_report, read_upload_object

# Configuration of the ingest's S3 client. Upload files are checked against the SHA-256 in
# their manifest, and slot maps against the one in their pointer. So botocore's own CRC check
# of each downloaded body, a second pass over files of hundreds of MB, is turned off.
S3_CLIENT_CONFIG = Config(response_checksum_validation="when_required", retries={"mode": "standard"})


def ingest_upload(s3_client: Any, bucket: str, manifest_key: str, *, now: datetime | None = None) -> Report:
    """Ingest the upload whose manifest lies at `manifest_key` and write its report.json.

    Processing an upload again gives the same tables and published objects; only
    the report is written anew. An unexpected error is written into the report as
    outcome `failed` and raised again, so that the S3 event is retried.
    """
    now = now or datetime.now(UTC)
    report = Report(manifest=manifest_key, processed_at=now)
    report_key = report_key_of(manifest_key)
    data = read_upload_object(s3_client, bucket, manifest_key)
    if data is None:
        logger.warning("manifest not found", manifest=manifest_key)
        report.outcome = outcomes.REJECTED
        report.manifest_problems = ["manifest.json was not found; it may have been deleted after upload"]
        put_report(s3_client, bucket, report_key, report.to_dict())
        return report
    try:
        manifest = parse_manifest(manifest_key, data)
    except ManifestError as error:
        logger.warning("manifest rejected", manifest=manifest_key, problems=len(error.problems))
        report.outcome = outcomes.REJECTED
        report.manifest_problems = error.problems
        put_report(s3_client, bucket, report_key, report.to_dict())
        return report

    report.kind, report.utility, report.region = manifest.kind, manifest.utility, manifest.region
    report.date = manifest.day.isoformat()
    logger.info("upload ingest started", manifest=manifest_key, kind=manifest.kind, files=len(manifest.files))
    try:
        if manifest.kind == REGISTRY:
            ingest_registry(s3_client, bucket, manifest, report, now)
        else:
            ingest_consumption(s3_client, bucket, manifest, report, now)
    except Exception:
        report.outcome = outcomes.FAILED
        report.manifest_problems = [
            "the upload could not be processed because of an internal error; it is retried"
        ]
        put_report(s3_client, bucket, report_key, report.to_dict())
        raise
    put_report(s3_client, bucket, report_key, report.to_dict())
    logger.info(
        "upload ingested",
        manifest=manifest_key,
        kind=manifest.kind,
        outcome=report.outcome,
        accepted=report.counts.get("accepted_rows", 0),
        rejected=report.rejected_total,
    )
    return report
