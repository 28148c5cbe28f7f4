"""The enumerator's list of queried homes: recording, filtering, ordering, annotating.

A person's list is bounded by their quota of distinct homes (200 by default),
so a page is cut from the whole list, read with one Query, filtered and
sorted in memory. The sort order is: entries with the changed mark first,
then the most recently queried, then by meter number.
"""

from __future__ import annotations

import base64
import binascii
import json
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from census.dal import history
from census.dal.history import HistoryEntry
from census.dal.models import series_key
from census.domain.beijing import BEIJING
from census.errors import InvalidBody, NotFound

if TYPE_CHECKING:
    # Only for the type: the query module loads the classifier, which the list routes never need.
    from census.services.query import QueryOutcome

CODES = ("GREEN", "YELLOW", "RED", "UNKNOWN")
FINDINGS = ("occupied", "vacant", "unclear")
# The `finding` filter value that selects entries without a finding.
NO_FINDING = "none"
# Codes that contradict a "vacant" finding: the census rule sends the enumerator back to the door.
CONFLICT_CODES = frozenset({"GREEN", "YELLOW"})

NOTE_MAX_LENGTH = 500
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

# Bidirectional embedding, override and isolate characters: they make a note display other than it reads.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def history_expiry(service_end: date | None, retention_days: int) -> int | None:
    """Return the TTL of list entries: the end of the service window's last Beijing day plus the retention.

    None when the service window has no end: entries are then kept.
    """
    if service_end is None:
        return None
    end_of_window = datetime.combine(service_end + timedelta(days=1), time(0, 0), tzinfo=BEIJING)
    return int((end_of_window + timedelta(days=retention_days)).timestamp())


def record_query(
    *, person_id: str, outcome: QueryOutcome, now: datetime, expires_at: int | None
) -> HistoryEntry:
    """Create or update the person's entry for the home of a successful query.

    Call it after the query has taken its quota and computed its code. The
    code the person has just seen clears any changed mark.
    """
    meter = outcome.meter
    others = [item.meter_number for item in outcome.meters if item.meter_number != meter.meter_number]
    household_meters = [meter.meter_number, *others]
    # NOTE: the meters of one household are taken to lie in the queried meter's county.
    utilities = {meter.utility, *(item.utility for item in outcome.meters)}
    series = sorted(series_key(utility, meter.county) for utility in utilities)
    return history.record_query(
        person_id=person_id,
        meter_number=meter.meter_number,
        utility=meter.utility,
        area_code=meter.area_code,
        household_id=meter.household_id,
        household_meters=household_meters,
        series=series,
        code=outcome.result.code,
        reason=outcome.result.reason,
        tags=list(outcome.result.tags),
        as_of=outcome.result.as_of,
        now=now,
        expires_at=expires_at,
    )


# ---------------------------------------------------------------- notes


def note_problem(note: str) -> str | None:
    """Return what is wrong with a note (`too_long` or `control_character`), or None when it is valid.

    A note is plain text of at most NOTE_MAX_LENGTH characters. Line feeds are
    allowed; other control characters (Unicode category Cc), unpaired
    surrogates, private-use characters and bidirectional controls are not.
    """
    if len(note) > NOTE_MAX_LENGTH:
        return "too_long"
    for character in note:
        if character == "\n":
            continue
        if unicodedata.category(character) in ("Cc", "Cs", "Co") or character in _BIDI_CONTROLS:
            return "control_character"
    return None


def clean_note(note: str) -> str:
    """Return the note in NFC with surrounding whitespace removed; raise InvalidBody when it is invalid."""
    text = unicodedata.normalize("NFC", note).strip()
    problem = note_problem(text)
    if problem is not None:
        raise InvalidBody(field="note", problem=problem)
    return text


# ---------------------------------------------------------------- filters and order


def is_conflict(entry: HistoryEntry) -> bool:
    """Tell whether the person found the home vacant while its code shows use."""
    return entry.finding == "vacant" and entry.code in CONFLICT_CODES


@dataclass(frozen=True)
class ListFilter:
    """Filters of a list; None means "any". Several codes or findings select any of them."""

    codes: frozenset[str] | None = None
    favourite: bool | None = None
    changed: bool | None = None
    findings: frozenset[str] | None = None
    conflict: bool | None = None

    def matches(self, entry: HistoryEntry) -> bool:
        if self.codes is not None and entry.code not in self.codes:
            return False
        if self.favourite is not None and bool(entry.favourite) != self.favourite:
            return False
        if self.changed is not None and bool(entry.changed) != self.changed:
            return False
        if self.findings is not None and (entry.finding or NO_FINDING) not in self.findings:
            return False
        return self.conflict is None or is_conflict(entry) == self.conflict


def _split_values(
    raw: str | None, allowed: Sequence[str], field: str, *, upper: bool
) -> frozenset[str] | None:
    if raw is None or not raw.strip():
        return None
    values = {
        part.strip().upper() if upper else part.strip().lower() for part in raw.split(",") if part.strip()
    }
    unknown = values.difference(allowed)
    if unknown:
        raise InvalidBody(field=field, problem="unknown_value")
    return frozenset(values)


def parse_filter(
    *,
    code: str | None = None,
    favourite: bool | None = None,
    changed: bool | None = None,
    finding: str | None = None,
    conflict: bool | None = None,
) -> ListFilter:
    """Build a filter from query string values; `code` and `finding` take comma-separated lists.

    Raises InvalidBody naming the field when a code or finding is unknown.
    """
    return ListFilter(
        codes=_split_values(code, CODES, "code", upper=True),
        favourite=favourite,
        changed=changed,
        findings=_split_values(finding, (*FINDINGS, NO_FINDING), "finding", upper=False),
        conflict=conflict,
    )


SortKey = tuple[int, int, str]


def sort_key(entry: HistoryEntry) -> SortKey:
    """Return the key that orders the list: changed first, then newest query, then meter number."""
    last_query = int(entry.last_query_at.timestamp() * 1_000_000)
    return (0 if entry.changed else 1, -last_query, entry.meter_number)


def encode_cursor(key: SortKey) -> str:
    """Return an opaque cursor that marks the position after the entry with this sort key."""
    document = json.dumps([key[0], key[1], key[2]], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(document).decode().rstrip("=")


def decode_cursor(cursor: str) -> SortKey:
    """Return the sort key inside a cursor; raise InvalidBody(field="cursor") when it is not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeEncodeError):
        raise InvalidBody(field="cursor", problem="invalid") from None
    if (
        not isinstance(value, list)
        or len(value) != 3
        or value[0] not in (0, 1)
        or not isinstance(value[1], int)
        or not isinstance(value[2], str)
    ):
        raise InvalidBody(field="cursor", problem="invalid")
    return (value[0], value[1], value[2])


@dataclass(frozen=True)
class Page:
    entries: list[HistoryEntry]
    next_cursor: str | None
    # Entries matching the filter, on every page together.
    total: int


def paginate(
    entries: Iterable[HistoryEntry], *, list_filter: ListFilter, limit: int, cursor: str | None
) -> Page:
    """Filter, sort and cut one page after `cursor`.

    The cursor contains the sort key of the last entry returned, so a page never
    repeats or skips an entry that stays in the list, even when entries are
    queried, marked or deleted between pages.
    """
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidBody(field="limit", problem="out_of_range")
    after = decode_cursor(cursor) if cursor else None
    matching = sorted((entry for entry in entries if list_filter.matches(entry)), key=sort_key)
    remaining = [entry for entry in matching if after is None or sort_key(entry) > after]
    page = remaining[:limit]
    next_cursor = encode_cursor(sort_key(page[-1])) if len(remaining) > limit else None
    return Page(entries=page, next_cursor=next_cursor, total=len(matching))


# ---------------------------------------------------------------- use cases


def list_page(
    person_id: str, *, list_filter: ListFilter, limit: int, cursor: str | None, now: datetime
) -> Page:
    """Return one page of the person's own unexpired entries."""
    return paginate(history.list_entries(person_id, now), list_filter=list_filter, limit=limit, cursor=cursor)


def view_entry(person_id: str, meter_number: str, now: datetime) -> HistoryEntry:
    """Clear the changed mark of the person's entry and return the entry as it was before.

    The returned entry still carries the mark and the previous code, so that
    the app can show what changed this once. Raises NotFound when there is no entry.
    """
    for _attempt in range(3):
        entry = history.get_entry(person_id, meter_number, now)
        if entry is None:
            raise NotFound()
        if not entry.changed and entry.seen_code == entry.code:
            return entry
        if history.mark_seen(person_id, meter_number, entry.code, now):
            return entry
    # A refresh rewrote the code three times in a row while this view ran.
    return entry


@dataclass(frozen=True)
class Annotation:
    """A PATCH of an entry; a field left unset stays as it is.

    `note` "" or `clear_note` removes the note; `clear_finding` removes the finding.
    """

    favourite: bool | None = None
    note: str | None = None
    clear_note: bool = False
    finding: str | None = None
    clear_finding: bool = False


def annotate(person_id: str, meter_number: str, annotation: Annotation, now: datetime) -> HistoryEntry:
    """Set favourite, note and finding of the person's entry; raise NotFound or InvalidBody."""
    note = None
    clear_note = annotation.clear_note
    if annotation.note is not None and not clear_note:
        note = clean_note(annotation.note)
        clear_note = note == ""
    if annotation.finding is not None and annotation.finding not in FINDINGS:
        raise InvalidBody(field="finding", problem="unknown_value")
    entry = history.update_annotations(
        person_id,
        meter_number,
        now=now,
        favourite=annotation.favourite,
        note=note if note else None,
        clear_note=clear_note,
        finding=annotation.finding,
        clear_finding=annotation.clear_finding,
    )
    if entry is None:
        raise NotFound()
    return entry


def remove(person_id: str, meter_number: str, now: datetime) -> None:
    """Delete the person's entry; the quota the query took is not given back. Raises NotFound."""
    if not history.delete_entry(person_id, meter_number, now):
        raise NotFound()
