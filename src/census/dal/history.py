"""The enumerator's list of queried homes: one HistoryTable item per person and meter.

An entry is hidden once `expires_at` (epoch seconds, the table's TTL attribute)
has passed, because DynamoDB deletes expired items only some time later.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.constants import NONE
from pynamodb.exceptions import DeleteError, DoesNotExist, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from census.dal.models import _MetaDefaults, register

CONDITION_FAILED = "ConditionalCheckFailedException"


class MeterIndex(GlobalSecondaryIndex["HistoryEntry"]):
    """Index of the people who list a meter."""

    class Meta:
        index_name = "by_meter"
        projection = KeysOnlyProjection()

    meter_number = UnicodeAttribute(hash_key=True)
    person_id = UnicodeAttribute(range_key=True)


class HistoryEntry(Model):
    """One home in one person's list, keyed by the meter number the person queried.

    `code` is the home's latest code, from the person's last query or from a
    refresh after new consumption data. `seen_code` is the code the person last
    saw; `changed` is set when a refresh found a code other than `seen_code`
    and cleared when the person sees the entry again.
    """

    class Meta(_MetaDefaults):
        pass

    person_id = UnicodeAttribute(hash_key=True)
    meter_number = UnicodeAttribute(range_key=True)
    utility = UnicodeAttribute()
    area_code = UnicodeAttribute()
    household_id = UnicodeAttribute()
    # Every meter of the home, the queried one first: the code is the home's combined code.
    household_meters = ListAttribute(of=UnicodeAttribute)
    # `<utility>#<county>` of the home's meters: the consumption series whose new days change the code.
    series = ListAttribute(of=UnicodeAttribute)

    code = UnicodeAttribute()
    reason = UnicodeAttribute()
    tags = ListAttribute(of=UnicodeAttribute, default=list)
    as_of = UnicodeAttribute(null=True)
    seen_code = UnicodeAttribute()
    changed = BooleanAttribute(default=False)
    changed_at = UTCDateTimeAttribute(null=True)
    refreshed_at = UTCDateTimeAttribute(null=True)

    first_query_at = UTCDateTimeAttribute()
    last_query_at = UTCDateTimeAttribute()
    # Named query_count because an attribute named `count` hides Model.count().
    query_count = NumberAttribute(default=0)

    favourite = BooleanAttribute(default=False)
    note = UnicodeAttribute(null=True)
    finding = UnicodeAttribute(null=True)
    finding_at = UTCDateTimeAttribute(null=True)

    expires_at = NumberAttribute(null=True)

    by_meter = MeterIndex()


register(HistoryEntry, "history")


def _visible(now: datetime) -> Condition:
    return HistoryEntry.expires_at.does_not_exist() | (HistoryEntry.expires_at > int(now.timestamp()))


def is_visible(entry: HistoryEntry, now: datetime) -> bool:
    return entry.expires_at is None or entry.expires_at > int(now.timestamp())


def list_entries(person_id: str, now: datetime) -> list[HistoryEntry]:
    """Return every unexpired entry of the person, in meter number order."""
    return list(HistoryEntry.query(person_id, filter_condition=_visible(now), consistent_read=True))


def get_entry(person_id: str, meter_number: str, now: datetime) -> HistoryEntry | None:
    try:
        entry = HistoryEntry.get(person_id, meter_number, consistent_read=True)
    except DoesNotExist:
        return None
    return entry if is_visible(entry, now) else None


def get_entries(keys: Iterable[tuple[str, str]], now: datetime) -> dict[tuple[str, str], HistoryEntry]:
    """Return the unexpired entries among (person id, meter number) keys, read in batches of 100."""
    unique = sorted(set(keys))
    if not unique:
        return {}
    entries = HistoryEntry.batch_get(unique, consistent_read=True)
    return {(entry.person_id, entry.meter_number): entry for entry in entries if is_visible(entry, now)}


def record_query(
    *,
    person_id: str,
    meter_number: str,
    utility: str,
    area_code: str,
    household_id: str,
    household_meters: list[str],
    series: list[str],
    code: str,
    reason: str,
    tags: list[str],
    as_of: date | None,
    now: datetime,
    expires_at: int | None,
) -> HistoryEntry:
    """Create or update the entry of a successful query in one write.

    An existing entry keeps its first query time, favourite, note and finding,
    and counts one more query. The person has just seen the code, so it
    becomes `seen_code` and the changed mark clears.
    """
    entry = HistoryEntry(person_id, meter_number)
    actions: list[Any] = [
        HistoryEntry.utility.set(utility),
        HistoryEntry.area_code.set(area_code),
        HistoryEntry.household_id.set(household_id),
        HistoryEntry.household_meters.set(household_meters),
        HistoryEntry.series.set(series),
        HistoryEntry.code.set(code),
        HistoryEntry.reason.set(reason),
        HistoryEntry.tags.set(tags),
        HistoryEntry.seen_code.set(code),
        HistoryEntry.changed.set(False),
        HistoryEntry.changed_at.remove(),
        HistoryEntry.first_query_at.set(HistoryEntry.first_query_at | now),
        HistoryEntry.last_query_at.set(now),
        HistoryEntry.query_count.add(1),
        HistoryEntry.favourite.set(HistoryEntry.favourite | False),
        HistoryEntry.as_of.set(as_of.isoformat()) if as_of else HistoryEntry.as_of.remove(),
        HistoryEntry.expires_at.set(expires_at)
        if expires_at is not None
        else HistoryEntry.expires_at.remove(),
    ]
    entry.update(actions=actions)
    return entry


def mark_seen(person_id: str, meter_number: str, code: str, now: datetime) -> bool:
    """Record that the person has seen `code`, which clears the changed mark.

    Returns False when the entry was deleted, expired, or got another code meanwhile.
    """
    try:
        HistoryEntry(person_id, meter_number).update(
            actions=[
                HistoryEntry.seen_code.set(code),
                HistoryEntry.changed.set(False),
                HistoryEntry.changed_at.remove(),
            ],
            condition=HistoryEntry.person_id.exists() & (HistoryEntry.code == code) & _visible(now),
        )
    except UpdateError as error:
        if error.cause_response_code == CONDITION_FAILED:
            return False
        raise
    return True


def update_annotations(
    person_id: str,
    meter_number: str,
    *,
    now: datetime,
    favourite: bool | None = None,
    note: str | None = None,
    clear_note: bool = False,
    finding: str | None = None,
    clear_finding: bool = False,
) -> HistoryEntry | None:
    """Set the person's favourite mark, note and finding; None when the entry does not exist."""
    actions: list[Any] = []
    if favourite is not None:
        actions.append(HistoryEntry.favourite.set(favourite))
    if clear_note:
        actions.append(HistoryEntry.note.remove())
    elif note is not None:
        actions.append(HistoryEntry.note.set(note))
    if clear_finding:
        actions.extend([HistoryEntry.finding.remove(), HistoryEntry.finding_at.remove()])
    elif finding is not None:
        actions.extend([HistoryEntry.finding.set(finding), HistoryEntry.finding_at.set(now)])
    if not actions:
        return get_entry(person_id, meter_number, now)
    entry = HistoryEntry(person_id, meter_number)
    try:
        entry.update(actions=actions, condition=HistoryEntry.person_id.exists() & _visible(now))
    except UpdateError as error:
        if error.cause_response_code == CONDITION_FAILED:
            return None
        raise
    return entry


def delete_entry(person_id: str, meter_number: str, now: datetime) -> bool:
    """Delete the entry; False when there was no visible entry to delete."""
    try:
        HistoryEntry(person_id, meter_number).delete(
            condition=HistoryEntry.person_id.exists() & _visible(now)
        )
    except DeleteError as error:
        if error.cause_response_code == CONDITION_FAILED:
            return False
        raise
    return True


# ---------------------------------------------------------------- refresh

# Attributes the refresh needs from each entry, so that a scan reads no note or finding.
_REFRESH_ATTRIBUTES = (
    "person_id",
    "meter_number",
    "household_meters",
    "series",
    "code",
    "reason",
    "tags",
    "as_of",
    "seen_code",
    "changed",
    "expires_at",
)


def scan_series_entries(
    series: str, now: datetime, *, segment: int | None = None, total_segments: int | None = None
) -> Iterator[HistoryEntry]:
    """Yield every unexpired entry of any person whose home has a meter in `series`.

    With `segment` and `total_segments`, yield one segment of a parallel scan.
    """
    return HistoryEntry.scan(
        filter_condition=HistoryEntry.series.contains(series) & _visible(now),
        segment=segment,
        total_segments=total_segments,
        attributes_to_get=list(_REFRESH_ATTRIBUTES),
    )


def apply_refresh(
    entry: HistoryEntry,
    *,
    code: str,
    reason: str,
    tags: list[str],
    as_of: date,
    changed: bool,
    now: datetime,
) -> bool:
    """Write a refreshed code onto `entry`, unless the entry moved on since it was read.

    The write is conditional on the entry's code, seen code and as-of day being
    those the refresh read. So a query or view in between is never
    overwritten: the write returns False, and the caller reads the entry again.
    A deleted entry is not created again.
    """
    actions: list[Any] = [
        HistoryEntry.code.set(code),
        HistoryEntry.reason.set(reason),
        HistoryEntry.tags.set(tags),
        HistoryEntry.as_of.set(as_of.isoformat()),
        HistoryEntry.changed.set(changed),
        HistoryEntry.refreshed_at.set(now),
    ]
    if changed and not entry.changed:
        actions.append(HistoryEntry.changed_at.set(now))
    elif not changed:
        actions.append(HistoryEntry.changed_at.remove())
    as_of_unchanged = (
        HistoryEntry.as_of.does_not_exist() if entry.as_of is None else HistoryEntry.as_of == entry.as_of
    )
    condition = (
        HistoryEntry.person_id.exists()
        & (HistoryEntry.code == entry.code)
        & (HistoryEntry.seen_code == entry.seen_code)
        & as_of_unchanged
    )
    try:
        # The refresh does not need the item back, so the write requests no return values.
        HistoryEntry._get_connection().update_item(
            entry.person_id, entry.meter_number, actions=actions, condition=condition, return_values=NONE
        )
    except UpdateError as error:
        if error.cause_response_code == CONDITION_FAILED:
            return False
        raise
    return True
