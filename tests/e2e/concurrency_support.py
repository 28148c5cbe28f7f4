"""A county of its own for the concurrency tests, built through the service's upload paths, and query bursts.

`build_world` uploads a registry, 14 days of hourly consumption and a roster
to the local service's bucket, as the utility and the census office would.
It runs the functions that their S3 notifications start and creates the
Cognito users. Then it signs every person in and verifies them through the
HTTP API. Nothing in the county 430199 overlaps the demo data or the demo
people.

`fire_at_once` sends many queries from a thread pool, all released at the
same instant, and returns every response; `call_at_once` does the same for a
function. Every request goes to 127.0.0.1 and has a timeout, and the tests as
a whole run against one `Deadline`.
"""

from __future__ import annotations

import json
import random
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
from boto3.dynamodb.conditions import Key
from stdnum.cn import ric

from census.domain.beijing import beijing_date
from local import demo
from local.demo_data import DemoUpload, build_upload, csv_bytes, electricity_meter_number, put_upload
from local.server import LocalService

COUNTY = "430199"
VILLAGE = "430199001001"
COUNTY_AREA = "430199000000"
UTILITY = "electricity"
METER_COUNT = 240
FIRST_DAY = date(2024, 9, 2)
DAY_COUNT = 14
ENUMERATOR_COUNT = 14
SUPERVISOR_ID = "C199S01"
ROSTER_KEY = "uploads/roster/concurrency-430199.csv"
REGION = "us-east-1"
LOOPBACK_PREFIX = "http://127.0.0.1:"

# The query limits of docs/limits.md, which the local service runs with.
PERSON_HOMES_LIMIT = 200
HOME_PEOPLE_LIMIT = 10
METER_DAILY_LIMIT = 20

CODES = ("GREEN", "YELLOW", "RED", "UNKNOWN")
QUOTA_EXHAUSTED = "QUOTA_EXHAUSTED"
REQUEST_TIMEOUT_SECONDS = 60.0

_SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩"
_ROSTER_HEADER = (
    "person_id",
    "name",
    "phone",
    "id_number",
    "role",
    "supervisor_id",
    "area_codes",
    "active_from",
    "active_to",
)


class Deadline:
    """A fixed point in time after which the test stops sending requests."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        """Return the seconds left; raise TimeoutError when none are."""
        left = self._end - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"the concurrency test ran past its deadline of {self.seconds:.0f} s")
        return left


@dataclass(frozen=True)
class WorldMeter:
    meter_number: str
    household_id: str


@dataclass(frozen=True)
class WorldPerson:
    person_id: str
    name: str
    phone: str
    id_number: str
    role: str


@dataclass(frozen=True)
class World:
    """The test county: its meters in registry order, its people, and each person's verified ID token."""

    meters: tuple[WorldMeter, ...]
    people: tuple[WorldPerson, ...]
    tokens: dict[str, str]
    deadline: Deadline
    setup_seconds: float


@dataclass(frozen=True)
class QueryCall:
    person_id: str
    meter_number: str


@dataclass(frozen=True)
class QueryResult:
    """One response of POST /v1/queries: HTTP status and JSON body."""

    person_id: str
    meter_number: str
    status: int
    body: Any

    @property
    def granted(self) -> bool:
        return self.status == 200

    @property
    def code(self) -> str | None:
        return self.body.get("code") if self.granted else None

    @property
    def error_code(self) -> str | None:
        return None if self.granted else self.body.get("error", {}).get("code")

    @property
    def details(self) -> dict[str, Any]:
        return {} if self.granted else self.body.get("error", {}).get("details") or {}

    @property
    def request_id(self) -> str:
        if self.granted:
            return str(self.body["query_id"])
        return str(self.body["error"]["request_id"])


# ------------------------------------------------------------------ the county's data


def world_meters() -> tuple[WorldMeter, ...]:
    """Return the county's meters: one residential electricity meter per household, all in one village."""
    return tuple(
        WorldMeter(electricity_meter_number(COUNTY, sequence), f"HH{COUNTY}C{sequence:05d}")
        for sequence in range(1, METER_COUNT + 1)
    )


def registry_upload(meters: Sequence[WorldMeter]) -> DemoUpload:
    rows = [
        (meter.meter_number, UTILITY, meter.household_id, VILLAGE, "residential", "in_service")
        for meter in meters
    ]
    header = ("meter_number", "utility", "household_id", "area_code", "customer_type", "status")
    data, count = csv_bytes(header, rows)
    return build_upload("registry", UTILITY, COUNTY, FIRST_DAY, [("registry.csv", data, count)])


def hourly_use(meter_number: str, day: date) -> list[float]:
    """Return 24 hourly kWh values of an occupied home: a quiet night, a morning peak and a long evening.

    The values come from a generator seeded by meter and day, so every run
    uploads the same data, and no two days of a meter have the same total.
    """
    rng = random.Random(f"{meter_number}/{day.isoformat()}")
    night = rng.uniform(0.08, 0.15)
    values = []
    for hour in range(24):
        if hour < 6:
            extra = rng.uniform(0.0, 0.02)
        elif hour < 9:
            extra = rng.uniform(0.25, 0.6)
        elif hour < 17:
            extra = rng.uniform(0.0, 0.15)
        elif hour < 23:
            extra = rng.uniform(0.5, 1.3)
        else:
            extra = rng.uniform(0.05, 0.2)
        values.append(round(night + extra, 3))
    return values


def consumption_upload(meters: Sequence[WorldMeter], day: date) -> DemoUpload:
    rows = [
        (meter.meter_number, f"{day.isoformat()}T{hour:02d}:00:00+08:00", f"{value:.3f}")
        for meter in meters
        for hour, value in enumerate(hourly_use(meter.meter_number, day))
    ]
    data, count = csv_bytes(("meter_number", "timestamp", "value"), rows)
    return build_upload(
        "consumption",
        UTILITY,
        COUNTY,
        day,
        [("hourly.csv", data, count, 60)],
        reading_type="interval",
        unit="kWh",
        interval_minutes=60,
    )


# ------------------------------------------------------------------ the county's people


def id_number(birth: date, sequence: int) -> str:
    """Return a valid 18-character ID number with the given birth date and 3-digit sequence."""
    # calc_check_digit reads the first 17 characters; the 18th is a placeholder.
    body = f"430102{birth:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


def world_people() -> tuple[WorldPerson, ...]:
    """Return one supervisor and ENUMERATOR_COUNT enumerators, with phones +86 199 4301 99xx."""
    people = [
        WorldPerson(SUPERVISOR_ID, "韩督导", "+8619943019900", id_number(date(1980, 5, 1), 500), "supervisor")
    ]
    for index in range(1, ENUMERATOR_COUNT + 1):
        people.append(
            WorldPerson(
                f"C199E{index:02d}",
                f"{_SURNAMES[index - 1]}并发",
                f"+86199430199{index:02d}",
                id_number(date(1990, 3, index), 500 + index),
                "enumerator",
            )
        )
    return tuple(people)


def roster_csv(people: Iterable[WorldPerson]) -> bytes:
    rows = [
        (
            person.person_id,
            person.name,
            person.phone,
            person.id_number,
            person.role,
            "" if person.role == "supervisor" else SUPERVISOR_ID,
            COUNTY_AREA,
            "2012-01-01",
            "2030-12-31",
        )
        for person in people
    ]
    data, _ = csv_bytes(_ROSTER_HEADER, rows)
    return data


def create_cognito_users(cognito: Any, user_pool_id: str, people: Iterable[WorldPerson]) -> None:
    """Create a confirmed user with a verified phone number per person, as the demo start-up does."""
    for person in people:
        cognito.admin_create_user(
            UserPoolId=user_pool_id,
            Username=person.phone,
            UserAttributes=[
                {"Name": "phone_number", "Value": person.phone},
                {"Name": "phone_number_verified", "Value": "true"},
            ],
            MessageAction="SUPPRESS",
        )
        cognito.admin_set_user_password(
            UserPoolId=user_pool_id, Username=person.phone, Password=demo.DEMO_PASSWORD, Permanent=True
        )


# ------------------------------------------------------------------ the local service


def aws_client(service: LocalService, name: str) -> Any:
    return boto3.client(
        name,
        endpoint_url=service.moto_url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def dynamodb_table(service: LocalService, logical_id: str) -> Any:
    resource = boto3.resource(
        "dynamodb",
        endpoint_url=service.moto_url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    return resource.Table(service.resources.tables[logical_id])


def deliver_s3_events(service: LocalService) -> int:
    """Run the function of every queued S3 notification now; return how many ran.

    The service's poller would deliver them within a second; calling it here
    makes the test world ready at a known point.
    """
    return service.deliver_s3_events()


def read_json(s3: Any, bucket: str, key: str) -> dict[str, Any]:
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def post_json(url: str, body: Any, *, token: str | None = None) -> tuple[int, Any]:
    """POST a JSON body to the local API; return status and parsed body, for error statuses too."""
    if not url.startswith(LOOPBACK_PREFIX):
        raise ValueError(f"rejected a request outside 127.0.0.1: {url}")
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    return status, json.loads(raw) if raw else None


def sign_in_and_verify(api_url: str, person: WorldPerson) -> str:
    """Sign the person in through the local sign-in route, verify them, and return the ID token."""
    status, body = post_json(
        f"{api_url}/local/sign-in", {"phone": person.phone, "password": demo.DEMO_PASSWORD}
    )
    if status != 200:
        raise AssertionError(f"sign-in of {person.person_id} failed: {status} {body}")
    token = str(body["id_token"])
    status, body = post_json(
        f"{api_url}/v1/verify", {"name": person.name, "id_number": person.id_number}, token=token
    )
    if status != 200:
        raise AssertionError(f"verification of {person.person_id} failed: {status} {body}")
    return token


def _require_outcome(report: dict[str, Any], expected: str, key: str) -> None:
    if report.get("outcome") != expected or report.get("rejected_total"):
        raise AssertionError(f"upload {key} ended {report.get('outcome')!r}, expected {expected!r}: {report}")


def build_world(service: LocalService, deadline: Deadline) -> World:
    """Upload the county's registry, consumption and roster, then create, sign in and verify its people."""
    started = time.perf_counter()
    s3 = aws_client(service, "s3")
    bucket = service.resources.bucket
    meters = world_meters()
    people = world_people()

    uploads = [registry_upload(meters)]
    uploads += [consumption_upload(meters, FIRST_DAY + timedelta(days=offset)) for offset in range(DAY_COUNT)]
    for upload in uploads:
        put_upload(s3, bucket, upload)
        deliver_s3_events(service)
        deadline.remaining()
    _require_outcome(read_json(s3, bucket, uploads[0].folder + "report.json"), "applied", uploads[0].folder)
    for upload in uploads[1:]:
        _require_outcome(read_json(s3, bucket, upload.folder + "report.json"), "published", upload.folder)

    s3.put_object(Bucket=bucket, Key=ROSTER_KEY, Body=roster_csv(people))
    deliver_s3_events(service)
    roster_report = read_json(s3, bucket, ROSTER_KEY + ".report.json")
    if roster_report["accepted"] != len(people) or roster_report["rejected"]:
        raise AssertionError(
            f"roster import accepted {roster_report['accepted']} of {len(people)}: {roster_report}"
        )

    create_cognito_users(aws_client(service, "cognito-idp"), service.resources.user_pool_id, people)
    tokens = {person.person_id: sign_in_and_verify(service.api_url, person) for person in people}
    return World(
        meters=meters,
        people=people,
        tokens=tokens,
        deadline=deadline,
        setup_seconds=time.perf_counter() - started,
    )


# ------------------------------------------------------------------ query bursts


def fire_at_once(
    api_url: str, tokens: dict[str, str], calls: Sequence[QueryCall], *, threads: int, deadline: Deadline
) -> list[QueryResult]:
    """Send every call from `threads` threads, the first `threads` of them released at one instant.

    Returns the responses in the order of `calls`. A request that times out raises.
    """
    release = threading.Event()

    def send(call: QueryCall) -> QueryResult:
        release.wait(timeout=REQUEST_TIMEOUT_SECONDS)
        status, body = post_json(
            f"{api_url}/v1/queries", {"meter_number": call.meter_number}, token=tokens[call.person_id]
        )
        return QueryResult(call.person_id, call.meter_number, status, body)

    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="query-burst") as pool:
        futures = [pool.submit(send, call) for call in calls]
        release.set()
        return [future.result(timeout=deadline.remaining()) for future in futures]


def call_at_once(
    function: Callable[..., Any],
    argument_lists: Sequence[tuple[Any, ...]],
    *,
    threads: int,
    deadline: Deadline,
) -> list[Any]:
    """Call `function` once per argument tuple from `threads` threads released at one instant.

    Returns the return values in the order of `argument_lists`.
    """
    release = threading.Event()

    def run(arguments: tuple[Any, ...]) -> Any:
        release.wait(timeout=REQUEST_TIMEOUT_SECONDS)
        return function(*arguments)

    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="quota-burst") as pool:
        futures = [pool.submit(run, arguments) for arguments in argument_lists]
        release.set()
        return [future.result(timeout=deadline.remaining()) for future in futures]


def beijing_today() -> date:
    return beijing_date(datetime.now(UTC))


# ------------------------------------------------------------------ reading the tables


def quota_items(service: LocalService) -> dict[str, dict[str, Any]]:
    """Return every item of the QuotaTable by key, read with strongly consistent scans."""
    table = dynamodb_table(service, "QuotaTable")
    items: dict[str, dict[str, Any]] = {}
    arguments: dict[str, Any] = {"ConsistentRead": True}
    while True:
        page = table.scan(**arguments)
        for item in page["Items"]:
            items[str(item["key"])] = item
        if "LastEvaluatedKey" not in page:
            return items
        arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def counter(items: dict[str, dict[str, Any]], key: str) -> int:
    """Return the `used` count of a QuotaTable item, 0 when the item does not exist."""
    item = items.get(key)
    return 0 if item is None else int(item.get("used", 0))


def grant_keys(items: dict[str, dict[str, Any]]) -> list[tuple[str, str]]:
    """Return (person id, household id) of every grant item."""
    grants = []
    for key in items:
        if key.startswith("grant#"):
            _, person_id, household_id = key.split("#", 2)
            grants.append((person_id, household_id))
    return grants


def counters_above_limit(items: dict[str, dict[str, Any]]) -> dict[str, int]:
    """Return the person, home and meter-day counters whose `used` is above their limit."""
    limits = {"person#": PERSON_HOMES_LIMIT, "home#": HOME_PEOPLE_LIMIT, "meterday#": METER_DAILY_LIMIT}
    above = {}
    for key in items:
        for prefix, limit in limits.items():
            if key.startswith(prefix) and counter(items, key) > limit:
                above[key] = counter(items, key)
    return above


def audit_records(service: LocalService, days: Iterable[date]) -> list[dict[str, Any]]:
    """Deliver the queued audit messages, then return every audit record of the given Beijing days."""
    service.drain_audit()
    table = dynamodb_table(service, "AuditTable")
    records: list[dict[str, Any]] = []
    for day in sorted(set(days)):
        arguments: dict[str, Any] = {
            "KeyConditionExpression": Key("day").eq(day.isoformat()),
            "ConsistentRead": True,
        }
        while True:
            page = table.query(**arguments)
            records.extend(page["Items"])
            if "LastEvaluatedKey" not in page:
                break
            arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return records
