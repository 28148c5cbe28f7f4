"""Import the roster exported from the census enumerator management system.

Good rows are written (keeping existing identity bindings); every rejected
row is reported with its line and reason. People absent from a later file are
left as they are: a file may cover only part of the census office's staff.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from census import config
from census.dal import people
from census.domain.beijing import beijing_date
from census.domain.roster_csv import parse_roster
from census.observability import logger

REPORT_SUFFIX = ".report.json"


@dataclass
class RosterImportReport:
    source: str
    imported_at: str
    accepted: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)


def import_roster(data: bytes, *, source: str, hash_key: bytes, now: datetime) -> RosterImportReport:
    """Validate a roster file and upsert its good rows; `source` names the file in the report."""
    parsed = parse_roster(data, id_hash_key=hash_key, today=beijing_date(now))
    report = RosterImportReport(source=source, imported_at=now.isoformat())
    for row in parsed.rows:
        people.upsert_roster_row(row, import_key=source, now=now)
        report.accepted += 1
    report.rejected = [{"line": reject.line, "reason": reject.reason} for reject in parsed.rejects]
    logger.info("roster imported", source=source, accepted=report.accepted, rejected=len(report.rejected))
    return report


def import_roster_object(s3_client: Any, bucket: str, key: str) -> RosterImportReport:
    """Import a roster uploaded to S3 and write the report beside it as `<key>.report.json`."""
    data = s3_client.get_object(Bucket=bucket, Key=key)["Body"].read()
    report = import_roster(data, source=key, hash_key=config.id_hash_key(), now=datetime.now(UTC))
    s3_client.put_object(
        Bucket=bucket,
        Key=key + REPORT_SUFFIX,
        Body=report.to_json().encode("utf-8"),
        ContentType="application/json",
    )
    return report
