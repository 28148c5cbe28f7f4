"""Publication items: published consumption days and the slot map pointer of each county.

Series key `<utility>#<county>`; a day's item has sort key `YYYY-MM-DD` and the
county's slot map pointer has sort key `#slotmap`, which sorts before every date.
Both are written with a condition on `version`, so that of two concurrent
writers exactly one wins and the other re-reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from pynamodb.exceptions import DoesNotExist, PutError

from census.dal.models import SLOT_MAP_DAY, Publication, series_key
from census.storage.partitions import RECORD_FORMAT

_CONDITION_FAILED = "ConditionalCheckFailedException"
# Dates sort after this key, and `#slotmap` before it.
_FIRST_DAY_KEY = "0"
_PUBLISH_ATTEMPTS = 5


class PublishOutcome(StrEnum):
    PUBLISHED = "published"
    REPLACED = "replaced"
    UNCHANGED = "unchanged"


class VersionConflict(RuntimeError):
    """Another writer changed the item since it was read."""


@dataclass(frozen=True)
class Published:
    outcome: PublishOutcome
    item: Publication


def latest_days(utility: str, county: str, *, limit: int) -> list[Publication]:
    """Return the county's published days, newest first, at most `limit` of them (one Query)."""
    return list(
        Publication.query(
            series_key(utility, county),
            Publication.day > _FIRST_DAY_KEY,
            scan_index_forward=False,
            limit=limit,
            page_size=limit,
        )
    )


def get_day(utility: str, county: str, day: date) -> Publication | None:
    try:
        return Publication.get(series_key(utility, county), day.isoformat(), consistent_read=True)
    except DoesNotExist:
        return None


def _conditional_save(item: Publication, previous: Publication | None) -> None:
    condition = (
        Publication.series.does_not_exist() if previous is None else Publication.version == previous.version
    )
    try:
        item.save(condition=condition)
    except PutError as error:
        if error.cause_response_code == _CONDITION_FAILED:
            raise VersionConflict(f"{item.series} {item.day} changed while it was written") from error
        raise


def publish_day(
    utility: str,
    county: str,
    day: date,
    *,
    object_key: str,
    slots: int,
    checksum: str,
    upload_key: str,
    now: datetime,
) -> Published:
    """Make a written county-day object visible to queries by writing its Publication item.

    Writes nothing when the day is already published with the same checksum; a
    different checksum replaces the day. Concurrent writers of one day are
    serialised by the version condition: the write retries on a conflict, so the
    last writer wins. Raises VersionConflict after repeated conflicts.
    """
    for _attempt in range(_PUBLISH_ATTEMPTS):
        previous = get_day(utility, county, day)
        if previous is not None and previous.checksum == checksum:
            return Published(PublishOutcome.UNCHANGED, previous)
        item = Publication(
            series_key(utility, county),
            day.isoformat(),
            object_key=object_key,
            slots=slots,
            record_format=RECORD_FORMAT,
            checksum=checksum,
            upload_key=upload_key,
            version=1 if previous is None else int(previous.version) + 1,
            published_at=now,
        )
        try:
            _conditional_save(item, previous)
        except VersionConflict:
            continue
        outcome = PublishOutcome.PUBLISHED if previous is None else PublishOutcome.REPLACED
        return Published(outcome, item)
    raise VersionConflict(f"{series_key(utility, county)} {day} kept changing; giving up")


def get_slot_map_pointer(utility: str, county: str) -> Publication | None:
    """Return the item that names the county's current slot map object, or None before the first."""
    try:
        return Publication.get(series_key(utility, county), SLOT_MAP_DAY, consistent_read=True)
    except DoesNotExist:
        return None


def set_slot_map_pointer(
    utility: str,
    county: str,
    *,
    object_key: str,
    slots: int,
    checksum: str,
    upload_key: str,
    previous: Publication | None,
    now: datetime,
) -> Publication:
    """Point the county at a new slot map object, if the pointer is still the `previous` one read.

    Raises VersionConflict when another registry ingest moved the pointer first;
    the caller must then re-read the slot map and merge again.
    """
    item = Publication(
        series_key(utility, county),
        SLOT_MAP_DAY,
        object_key=object_key,
        slots=slots,
        record_format=RECORD_FORMAT,
        checksum=checksum,
        upload_key=upload_key,
        version=1 if previous is None else int(previous.version) + 1,
        published_at=now,
    )
    _conditional_save(item, previous)
    return item
