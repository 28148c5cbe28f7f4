"""The report written beside each manifest: what was used, what was rejected and why."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

REPORT_FORMAT = 1
# Rejected rows listed one by one; beyond this the report states only the totals per reason.
MAX_LISTED_REJECTIONS = 1000
MAX_LISTED_NOTICES = 1000

# Outcomes of an upload.
PUBLISHED = "published"
REPLACED = "replaced"
UNCHANGED = "unchanged"
NOTHING_PUBLISHED = "nothing_published"
APPLIED = "applied"
NOTHING_APPLIED = "nothing_applied"
REJECTED = "rejected"
FAILED = "failed"


@dataclass
class FileResult:
    name: str
    status: str = "accepted"
    rows: int = 0
    accepted_rows: int = 0
    rejected_rows: int = 0
    duplicate_rows_dropped: int = 0
    # Set for a rejected file: a stable code for programs, and the message for people.
    code: str | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "name": self.name,
            "status": self.status,
            "rows": self.rows,
            "accepted_rows": self.accepted_rows,
            "rejected_rows": self.rejected_rows,
            "duplicate_rows_dropped": self.duplicate_rows_dropped,
        }
        if self.code:
            result["code"] = self.code
        if self.reason:
            result["reason"] = self.reason
        return result


@dataclass
class Report:
    """Counts and findings of one upload; `to_dict` gives the JSON written to report.json."""

    manifest: str
    processed_at: datetime
    kind: str | None = None
    utility: str | None = None
    region: str | None = None
    date: str | None = None
    outcome: str = FAILED
    manifest_problems: list[str] = field(default_factory=list)
    files: list[FileResult] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    rejected_by_reason: Counter[str] = field(default_factory=Counter)
    notices: list[dict[str, Any]] = field(default_factory=list)
    notices_by_kind: Counter[str] = field(default_factory=Counter)
    publication: dict[str, Any] | None = None
    limits: dict[str, Any] = field(default_factory=dict)

    def reject(self, file: str, line: int | None, code: str, reason: str) -> None:
        """Record one rejected row; `line` is the 1-based line of the file, the header being line 1."""
        self.rejected_by_reason[code] += 1
        if len(self.rejected) < MAX_LISTED_REJECTIONS:
            self.rejected.append({"file": file, "line": line, "code": code, "reason": reason})

    def notice(self, file: str, line: int | None, code: str, message: str) -> None:
        """Record something noteworthy that did not reject a row, such as a register roll-over."""
        self.notices_by_kind[code] += 1
        if len(self.notices) < MAX_LISTED_NOTICES:
            self.notices.append({"file": file, "line": line, "code": code, "message": message})

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected_by_reason.values())

    def settle_files(self, rejected: dict[str, int], dropped: dict[str, int]) -> None:
        """Add rows rejected or dropped after the per-file checks, and count each file's accepted rows."""
        for result in self.files:
            if result.status == REJECTED:
                continue
            result.rejected_rows += rejected.get(result.name, 0)
            result.duplicate_rows_dropped += dropped.get(result.name, 0)
            result.accepted_rows = result.rows - result.rejected_rows - result.duplicate_rows_dropped

    def to_dict(self) -> dict[str, Any]:
        rejected_total = self.rejected_total
        notices_total = sum(self.notices_by_kind.values())
        return {
            "report_format": REPORT_FORMAT,
            "manifest": self.manifest,
            "kind": self.kind,
            "utility": self.utility,
            "region": self.region,
            "date": self.date,
            "processed_at": self.processed_at.isoformat(),
            "outcome": self.outcome,
            "manifest_problems": self.manifest_problems,
            "files": [result.to_dict() for result in self.files],
            "counts": dict(self.counts),
            "rejected_total": rejected_total,
            "rejected_listed": len(self.rejected),
            "rejected_truncated": rejected_total > len(self.rejected),
            "rejected_by_reason": dict(sorted(self.rejected_by_reason.items())),
            "rejected": self.rejected,
            "notices_total": notices_total,
            "notices_listed": len(self.notices),
            "notices_by_kind": dict(sorted(self.notices_by_kind.items())),
            "notices": self.notices,
            "publication": self.publication,
            "limits": self.limits,
        }
