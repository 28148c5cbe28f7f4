"""Audit events: who queried or verified what, when, with which outcome.

An event carries ids and codes only: no name, phone or ID number.
"""

from __future__ import annotations

import json
import unicodedata
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from census.domain.beijing import beijing_date

QUERY = "query"
VERIFY = "verify"
# An admin reading roster status, usage, the audit trail or a spot-check sample.
ADMIN = "admin"


@dataclass(frozen=True)
class AuditEvent:
    event_id: str
    at: str
    day: str
    action: str
    # The roster person id once known, else "sub:<Cognito sub>".
    actor: str
    outcome: str
    request_id: str
    meter_number: str | None = None
    # True when the response was replayed for a retry with the same Idempotency-Key.
    replay: bool = False

    @classmethod
    def create(cls, *, now: datetime, action: str, actor: str, outcome: str, request_id: str,
               meter_number: str | None = None, replay: bool = False) -> AuditEvent:  # fmt: skip
        return cls(
            event_id=f"{now.isoformat()}#{uuid.uuid4().hex}",
            at=now.isoformat(),
            day=beijing_date(now).isoformat(),
            action=action,
            actor=actor,
            outcome=outcome,
            request_id=request_id,
            meter_number=meter_number,
            replay=replay,
        )

    def to_message(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_message(cls, body: str) -> AuditEvent:
        fields: dict[str, Any] = json.loads(body)
        return cls(**fields)


def audit_meter_number(raw: str) -> str:
    """Return what the audit keeps of a typed meter number: its letters and digits, bounded in length.

    Full-width digits become ASCII (NFKC), as the meter number parser reads
    them, so that a search by meter number finds queries typed either way.
    """
    normalized = unicodedata.normalize("NFKC", raw)
    return "".join(character for character in normalized if character.isalnum())[:32]
