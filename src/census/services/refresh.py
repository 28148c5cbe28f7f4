"""The red dot: recompute the codes of listed homes after a new day of consumption data.

A refresh runs for one published county-day (`<utility>#<county>` and a
day). It finds every unexpired list entry whose home has a meter in that
series and reads the registry items of the homes' meters. It reads each
county-day object of the window once (see `census.storage.batch`) and
classifies each meter as a query would. Then it writes each entry whose code,
reason, tags or as-of day moved. An entry is marked changed when its new code
differs from the code the person last saw, which stays in `seen_code`.

Every write is conditional on the entry still being what the refresh read, so
a query or a view in between wins, and a second run over the same data finds
nothing to write: a retried refresh never marks an entry twice.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from census.dal import history as history_store
from census.dal import meters as meter_store
from census.dal import publications
from census.dal.history import HistoryEntry
from census.dal.models import Meter, series_key
from census.domain.occupancy import (
    CalendarNotCoveredError,
    Classification,
    OccupancyConfig,
    classify,
    combine,
)
from census.observability import logger
from census.services.query import RESIDENTIAL
from census.storage import batch
from census.storage.batch import ReadStats

# Attempts to write one entry when a query or view changes it between read and write.
_WRITE_ATTEMPTS = 3


class Action(StrEnum):
    """The action a refresh takes on one entry."""

    NONE = "none"
    UPDATE = "update"
    MARK = "mark"
    CLEAR = "clear"


@dataclass(frozen=True)
class Decision:
    action: Action
    changed: bool


def decide(entry: HistoryEntry, result: Classification) -> Decision:
    """Decide what the refreshed `result` does to `entry` (pure: no I/O).

    NONE when the entry already carries the result (a retried refresh) or is
    newer than it (a query read fresher data). MARK when the entry gains the
    changed mark, CLEAR when it loses it because the code went back to the one
    the person saw, UPDATE for any other rewrite.
    """
    if entry.as_of and result.as_of < date.fromisoformat(entry.as_of):
        return Decision(Action.NONE, bool(entry.changed))
    changed = result.code != entry.seen_code
    same = (
        entry.code == result.code
        and entry.reason == result.reason
        and list(entry.tags or []) == list(result.tags)
        and entry.as_of == result.as_of.isoformat()
        and bool(entry.changed) == changed
    )
    if same:
        return Decision(Action.NONE, changed)
    if changed and not entry.changed:
        return Decision(Action.MARK, True)
    if not changed and entry.changed:
        return Decision(Action.CLEAR, False)
    return Decision(Action.UPDATE, changed)


@dataclass
class RefreshReport:
    """Counts and timings of one refresh, logged and written as its report object."""

    series: str
    day: str
    started_at: str
    finished_at: str = ""
    # Unexpired list entries whose home has a meter in the series.
    entries: int = 0
    # Distinct listed meters among those entries.
    homes: int = 0
    meters_classified: int = 0
    # Series (utility#county) whose county-day objects were read, and the GETs and bytes.
    series_read: list[str] = field(default_factory=list)
    partitions_read: int = 0
    bytes_read: int = 0
    # Entries newly marked changed, entries whose mark was removed, other rewrites, entries left as they were.
    marked: int = 0
    cleared: int = 0
    updated: int = 0
    unchanged: int = 0
    # Entries left alone: no registry item, no published data, or a classifier error.
    skipped: int = 0
    # Writes lost to a query, view or deletion in between, and then decided again.
    retried: int = 0
    # Wall-clock seconds of the scan, of reading and classifying, and of the writes.
    seconds_scan: float = 0.0
    seconds_classify: float = 0.0
    seconds_write: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RefreshOptions:
    window_days: int
    config: OccupancyConfig
    # GETs of county-day objects in flight at once. Each keeps the span of slots it reads in memory.
    parallel_reads: int = 8
    # Entry writes in flight at once.
    parallel_writes: int = 8
    # Segments of the parallel scan of the history table.
    scan_segments: int = 4


def _scan_entries(series: str, now: datetime, segments: int) -> list[HistoryEntry]:
    if segments <= 1:
        return list(history_store.scan_series_entries(series, now))

    def scan(segment: int) -> list[HistoryEntry]:
        return list(history_store.scan_series_entries(series, now, segment=segment, total_segments=segments))

    with ThreadPoolExecutor(max_workers=segments, thread_name_prefix="history-scan") as pool:
        return [entry for part in pool.map(scan, range(segments)) for entry in part]


def _classify_series(
    utility: str,
    county: str,
    registry: list[Meter],
    *,
    s3: Any,
    bucket: str,
    options: RefreshOptions,
    stats: ReadStats,
) -> dict[str, Classification]:
    """Classify every meter of one series.

    A meter is left out when its county has no published day or the classifier rejects its history.
    """
    published = publications.latest_days(utility, county, limit=options.window_days)
    if not published:
        logger.info("no published data", series=series_key(utility, county), meters=len(registry))
        return {}
    window = batch.read_histories(
        s3,
        bucket,
        published,
        (int(meter.slot) for meter in registry),
        utility,
        options.window_days,
        stats=stats,
        parallel_reads=options.parallel_reads,
    )
    results: dict[str, Classification] = {}
    for meter in registry:
        connected_on = date.fromisoformat(meter.connected_on) if meter.connected_on else None
        try:
            results[meter.meter_number] = classify(
                window.history(int(meter.slot)),
                status=meter.status,
                connected_on=connected_on,
                config=options.config,
            )
        except (ValueError, CalendarNotCoveredError) as error:
            logger.warning("meter not classified", meter_number=meter.meter_number, error=str(error))
    return results


def classify_meters(
    meter_numbers: Iterable[str], *, s3: Any, bucket: str, options: RefreshOptions, stats: ReadStats
) -> tuple[dict[str, Meter], dict[str, Classification], list[str]]:
    """Read the registry items of the meters and classify each, reading each county-day object once.

    Returns the registry items, the results by meter number, and the series read.
    """
    registry = meter_store.get_meters(meter_numbers)
    by_series: dict[tuple[str, str], list[Meter]] = defaultdict(list)
    for meter in registry.values():
        by_series[(meter.utility, meter.county)].append(meter)
    results: dict[str, Classification] = {}
    for (utility, county), group in sorted(by_series.items()):
        results.update(
            _classify_series(utility, county, group, s3=s3, bucket=bucket, options=options, stats=stats)
        )
    return registry, results, [series_key(utility, county) for utility, county in sorted(by_series)]


def home_result(
    household_meters: list[str], registry: dict[str, Meter], results: dict[str, Classification]
) -> Classification | None:
    """Return the home's code as a query computes it: the queried meter (first) and the household's others.

    None when the queried meter has no registry item or no result. Other
    meters count only when residential and classified.
    """
    first = household_meters[0]
    if first not in registry or first not in results:
        return None
    outcomes = [(first, results[first])]
    for number in household_meters[1:]:
        other = registry.get(number)
        if other is None or other.customer_type != RESIDENTIAL or number not in results:
            continue
        outcomes.append((number, results[number]))
    if len(outcomes) == 1:
        return outcomes[0][1]
    return combine(outcomes)


def _apply(entry: HistoryEntry, result: Classification, now: datetime) -> tuple[Action, int]:
    """Write the decision for one entry; re-read and decide again when the entry moved meanwhile."""
    retries = 0
    current: HistoryEntry | None = entry
    for _attempt in range(_WRITE_ATTEMPTS):
        if current is None:
            return Action.NONE, retries
        decision = decide(current, result)
        if decision.action is Action.NONE:
            return Action.NONE, retries
        written = history_store.apply_refresh(
            current,
            code=result.code,
            reason=result.reason,
            tags=list(result.tags),
            as_of=result.as_of,
            changed=decision.changed,
            now=now,
        )
        if written:
            return decision.action, retries
        retries += 1
        current = history_store.get_entry(entry.person_id, entry.meter_number, now)
    logger.warning("entry kept changing", meter_number=entry.meter_number)
    return Action.NONE, retries


def refresh_series(
    *,
    utility: str,
    county: str,
    day: date,
    s3: Any,
    bucket: str,
    options: RefreshOptions,
    now: datetime,
    clock: Callable[[], datetime] | None = None,
) -> RefreshReport:
    """Recompute the code of every listed home with a meter in the series and mark the changed entries.

    `day` is the published day that started the refresh; the codes are always
    computed from the newest published days, whatever `day` is.
    """
    series = series_key(utility, county)
    report = RefreshReport(series=series, day=day.isoformat(), started_at=now.isoformat())
    started = time.perf_counter()
    entries = _scan_entries(series, now, options.scan_segments)
    scanned = time.perf_counter()
    report.entries = len(entries)
    report.homes = len({entry.meter_number for entry in entries})

    needed = {number for entry in entries for number in (entry.household_meters or [entry.meter_number])}
    stats = ReadStats()
    registry, results, series_read = classify_meters(
        needed, s3=s3, bucket=bucket, options=options, stats=stats
    )
    report.meters_classified = len(results)
    report.series_read = series_read
    report.partitions_read = stats.requests
    report.bytes_read = stats.bytes
    classified = time.perf_counter()

    work: list[tuple[HistoryEntry, Classification]] = []
    for entry in entries:
        result = home_result(list(entry.household_meters or [entry.meter_number]), registry, results)
        if result is None:
            report.skipped += 1
        else:
            work.append((entry, result))

    def apply(item: tuple[HistoryEntry, Classification]) -> tuple[Action, int]:
        return _apply(item[0], item[1], now)

    counts: dict[Action, int] = defaultdict(int)
    with ThreadPoolExecutor(
        max_workers=max(1, options.parallel_writes), thread_name_prefix="entry-write"
    ) as pool:
        for action, retries in pool.map(apply, work):
            counts[action] += 1
            report.retried += retries
    report.marked = counts[Action.MARK]
    report.cleared = counts[Action.CLEAR]
    report.updated = counts[Action.UPDATE]
    report.unchanged = counts[Action.NONE]
    finished = time.perf_counter()
    report.seconds_scan = round(scanned - started, 3)
    report.seconds_classify = round(classified - scanned, 3)
    report.seconds_write = round(finished - classified, 3)
    report.finished_at = (clock() if clock else now).isoformat()
    logger.info(
        "refresh finished",
        series=series,
        day=report.day,
        entries=report.entries,
        marked=report.marked,
        cleared=report.cleared,
        updated=report.updated,
        unchanged=report.unchanged,
        skipped=report.skipped,
        partitions_read=report.partitions_read,
    )
    return report
