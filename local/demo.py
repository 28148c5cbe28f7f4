"""The demo people, their Cognito users, and the sample meters the start-up prints.

The roster in `demo_roster.csv` is made up: real-looking names, phone numbers
+86 138 0000 00xx, and ID numbers whose check digits and birth dates are valid
but that were made up for the demo. Every demo user has the same password.
"""

from __future__ import annotations

import csv
import io
import threading
from collections import Counter, defaultdict, deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError
from stdnum.iso7064 import mod_11_10

from census.dal import meters as meter_items
from census.dal import publications
from census.domain.areas import any_area_contains, county_of
from census.domain.meters import parse_meter_number
from census.domain.occupancy import classify, load_config
from census.domain.phones import InvalidPhone, normalize_phone
from census.errors import CensusError, InvalidMeterNumber, NoConsumptionData
from census.services import query
from census.storage.partitions import read_meter_history
from local.demo_data import build_demo_uploads
from local.gateway import SignInFailed
from local.s3_events import S3EventRouter

ROSTER_FILE = Path(__file__).resolve().with_name("demo_roster.csv")
ROSTER_KEY = "uploads/roster/demo-roster.csv"

# Cognito's default password policy needs upper and lower case, a digit and a symbol.
DEMO_PASSWORD = "Census-Demo-2020"  # noqa: S105 - a published demo password
ADMIN_ID = "admin"
ADMIN_PHONE = "+8613800000090"
ADMIN_GROUP = "admin"

CODES = ("GREEN", "YELLOW", "RED", "UNKNOWN")
SAMPLES_PER_COUNTY = 2
# Days at the end of each county's data that the start-up keeps back, so that
# new days can be uploaded later and the red dots of changed codes appear.
HELD_BACK_DAYS = 7


@dataclass(frozen=True)
class DemoPerson:
    """One row of the demo roster, with the phone number in E.164 form."""

    person_id: str
    name: str
    phone: str
    id_number: str
    role: str
    supervisor_id: str
    areas: tuple[str, ...]
    active_from: str
    active_to: str


def read_demo_roster(path: Path = ROSTER_FILE) -> list[DemoPerson]:
    """Read the demo roster CSV (UTF-8, the roster import's column names)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [
        DemoPerson(
            person_id=row["person_id"],
            name=row["name"],
            phone=normalize_phone(row["phone"]),
            id_number=row["id_number"],
            role=row["role"],
            supervisor_id=row["supervisor_id"],
            areas=tuple(code.strip() for code in row["area_codes"].split(";") if code.strip()),
            active_from=row["active_from"],
            active_to=row["active_to"],
        )
        for row in rows
    ]


def create_demo_users(cognito: Any, user_pool_id: str, people: Iterable[DemoPerson]) -> None:
    """Create a confirmed user with a verified phone number for each person, and the admin user."""
    for phone in [person.phone for person in people] + [ADMIN_PHONE]:
        cognito.admin_create_user(
            UserPoolId=user_pool_id,
            Username=phone,
            UserAttributes=[
                {"Name": "phone_number", "Value": phone},
                {"Name": "phone_number_verified", "Value": "true"},
            ],
            MessageAction="SUPPRESS",
        )
        cognito.admin_set_user_password(
            UserPoolId=user_pool_id, Username=phone, Password=DEMO_PASSWORD, Permanent=True
        )
    cognito.admin_add_user_to_group(UserPoolId=user_pool_id, Username=ADMIN_PHONE, GroupName=ADMIN_GROUP)


class CognitoSignIn:
    """Sign a phone number and password in through the admin password flow; return the ID token."""

    def __init__(self, cognito: Any, *, user_pool_id: str, client_id: str) -> None:
        self._cognito = cognito
        self._user_pool_id = user_pool_id
        self._client_id = client_id

    def __call__(self, phone: str, password: str) -> str:
        try:
            username = normalize_phone(phone)
        except InvalidPhone as exc:
            raise SignInFailed(f"invalid phone number: {exc}") from None
        try:
            result = self._cognito.admin_initiate_auth(
                UserPoolId=self._user_pool_id,
                ClientId=self._client_id,
                AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": username, "PASSWORD": password},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("NotAuthorizedException", "UserNotFoundException"):
                raise SignInFailed("incorrect phone number or password") from None
            raise
        return result["AuthenticationResult"]["IdToken"]


class WholeObjectCache:
    """An S3 client for the sample search: each object is read once, ranged GETs come from memory.

    The query function reads one small range per day of the window. Classifying
    every demo meter that way would make thousands of requests for the same
    few objects, so this client fetches each object whole on its first use.
    Every other method goes to the real client.
    """

    def __init__(self, s3: Any) -> None:
        self._s3 = s3
        self._objects: dict[tuple[str, str], bytes] = {}
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._s3, name)

    def get_object(self, *, Bucket: str, Key: str, Range: str | None = None, **_: Any) -> dict[str, Any]:
        with self._lock:
            data = self._objects.get((Bucket, Key))
        if data is None:
            data = self._s3.get_object(Bucket=Bucket, Key=Key)["Body"].read()
            with self._lock:
                self._objects[(Bucket, Key)] = data
        if Range:
            first, _, last = Range.removeprefix("bytes=").partition("-")
            start = int(first)
            data = data[start : int(last) + 1] if last else data[start:]
        return {"Body": io.BytesIO(data), "ContentLength": len(data)}


def upload_county(folder: str) -> tuple[str, str]:
    """Return the kind ("registry", "consumption") and county of a demo upload folder.

    The folders are `uploads/utility/<kind>/<utility>/<county>/<YYYY-MM-DD>/`.
    """
    parts = folder.split("/")
    return parts[2], parts[4]


class DemoFeed:
    """The demo uploads of the utility: all but the last days at start-up, the rest one day at a time."""

    def __init__(
        self, router: S3EventRouter, data_dir: Path, *, held_back_days: int = HELD_BACK_DAYS
    ) -> None:
        self._router = router
        uploads = build_demo_uploads(data_dir)
        by_county: dict[str, list[Any]] = defaultdict(list)
        for upload in uploads:
            kind, county = upload_county(upload.folder)
            if kind == "consumption":
                by_county[county].append(upload)
        # build_demo_uploads returns each county's days in date order, so the last ones are held back.
        self._held_back: dict[str, deque[Any]] = {}
        for county, county_uploads in by_county.items():
            self._held_back[county] = deque(county_uploads[max(0, len(county_uploads) - held_back_days) :])
        held = {id(upload) for county_uploads in self._held_back.values() for upload in county_uploads}
        self._initial = [upload for upload in uploads if id(upload) not in held]
        self._lock = threading.Lock()

    def held_back(self) -> dict[str, int]:
        """Return how many held-back days each county has left."""
        with self._lock:
            return {county: len(uploads) for county, uploads in self._held_back.items()}

    def upload_initial(self) -> int:
        """Upload everything but the held-back days; return the number of uploads."""
        for upload in self._initial:
            self._put(upload)
        return len(self._initial)

    def upload_next_day(self, county: str) -> str:
        """Upload the county's next held-back day and run the functions it starts; return the day."""
        with self._lock:
            if county not in self._held_back:
                known = ", ".join(sorted(self._held_back))
                raise LookupError(f"county {county} has no demo data; the demo counties are {known}")
            if not self._held_back[county]:
                raise LookupError(f"no held-back day of county {county} is left")
            upload = self._held_back[county].popleft()
            self._put(upload)
        return upload.folder.rstrip("/").rsplit("/", 1)[-1]

    def _put(self, upload: Any) -> None:
        for name, body in upload.files:
            self._router.put(upload.folder + name, body, deliver=False)
        self._router.deliver()


@dataclass(frozen=True)
class SampleMeter:
    meter_number: str
    utility: str
    area_code: str
    county: str
    code: str
    reason: str
    as_of: str | None
    tags: tuple[str, ...]
    # Person ids whose areas contain the meter: sign in as one of them to query it.
    queryable_by: tuple[str, ...]


def _queryable_by(area_code: str, people: Iterable[DemoPerson]) -> tuple[str, ...]:
    return tuple(person.person_id for person in people if any_area_contains(person.areas, area_code))


def find_sample_meters(
    registry: Iterable[Any], people: list[DemoPerson], *, s3: Any, bucket: str, window_days: int
) -> dict[str, list[SampleMeter]]:
    """Classify the demo meters as a query would and keep a few of each code in each county.

    Each entry of `registry` needs `meter_number` and `household_id`; the
    registry items are read from the meter table. Meters that a query rejects
    (not residential, not in service, no data) and meters outside every demo
    person's areas are skipped.
    """
    rows = list(registry)
    classifier = _SampleClassifier(
        s3=WholeObjectCache(s3),
        bucket=bucket,
        window_days=window_days,
        config=load_config(),
        household_sizes=Counter(row.household_id for row in rows),
    )
    items = meter_items.get_meters(row.meter_number for row in rows)
    samples: dict[str, list[SampleMeter]] = {code: [] for code in CODES}
    per_county: dict[tuple[str, str], int] = defaultdict(int)
    for row in rows:
        meter = items.get(row.meter_number)
        if meter is None or meter.customer_type != "residential" or meter.status != "in_service":
            continue
        queryable_by = _queryable_by(meter.area_code, people)
        if not queryable_by:
            continue
        try:
            result = classifier.classify(meter)
        except CensusError:
            continue
        county = county_of(meter.area_code)
        if result.code not in samples or per_county[(result.code, county)] >= SAMPLES_PER_COUNTY:
            continue
        per_county[(result.code, county)] += 1
        samples[result.code].append(
            SampleMeter(
                meter_number=meter.meter_number,
                utility=meter.utility,
                area_code=meter.area_code,
                county=county,
                code=result.code,
                reason=str(result.reason),
                as_of=result.as_of.isoformat() if hasattr(result.as_of, "isoformat") else result.as_of,
                tags=tuple(str(tag) for tag in result.tags),
                queryable_by=queryable_by,
            )
        )
    return samples


class _SampleClassifier:
    """The code a query returns for a meter, with each county's publication list read once.

    `query.query_home` reads the county's publication items again for every
    meter, which took about 16 s for the 300 demo meters against moto.
    A meter alone in its household goes through the same steps as
    `query.classify_meter`, with the cached list. A household of several meters
    goes through `query.query_home` itself, which returns the combined code.
    """

    def __init__(
        self, *, s3: Any, bucket: str, window_days: int, config: Any, household_sizes: Counter[str]
    ) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._window_days = window_days
        self._config = config
        self._household_sizes = household_sizes
        self._published: dict[tuple[str, str], list[Any]] = {}

    def classify(self, meter: Any) -> Any:
        if self._household_sizes[meter.household_id] > 1:
            outcome = query.query_home(
                meter, s3=self._s3, bucket=self._bucket, window_days=self._window_days, config=self._config
            )
            return outcome.result
        series = (meter.utility, meter.county)
        if series not in self._published:
            self._published[series] = publications.latest_days(
                meter.utility, meter.county, limit=self._window_days
            )
        published = self._published[series]
        if not published:
            raise NoConsumptionData()
        history = read_meter_history(
            self._s3, self._bucket, published, int(meter.slot), meter.utility, self._window_days
        )
        connected_on = date.fromisoformat(meter.connected_on) if meter.connected_on else None
        return classify(history, status=meter.status, connected_on=connected_on, config=self._config)


def meters_outside_areas(registry: Iterable[Any], people: list[DemoPerson]) -> dict[str, str]:
    """Return, for each person, a residential in-service demo meter outside all of their areas."""
    candidates = [
        row for row in registry if row.customer_type == "residential" and row.status == "in_service"
    ]
    outside: dict[str, str] = {}
    for person in people:
        for row in candidates:
            if not any_area_contains(person.areas, row.area_code):
                outside[person.person_id] = row.meter_number
                break
    return outside


def malformed_meter_numbers() -> dict[str, str]:
    """Return meter numbers that a query rejects with INVALID_METER_NUMBER, keyed by the problem.

    Each example is checked here with `parse_meter_number`, and one that does
    not fail with its problem is left out.
    """
    gas_body = "320100000000001"  # 15 digits of a gas meter number, before its MOD 11,10 check digit
    wrong_digit = str((int(mod_11_10.calc_check_digit(gas_body)) + 1) % 10)
    candidates = {
        "length": "1234567",
        "characters": "14300014301O2000000018",  # a letter O among the digits
        "check_digit": gas_body + wrong_digit,
    }
    examples = {}
    for problem, number in candidates.items():
        try:
            parse_meter_number(number)
        except InvalidMeterNumber as exc:
            if exc.params.get("problem") == problem:
                examples[problem] = number
    return examples


def person_summary(
    person: DemoPerson, *, samples: dict[str, list[SampleMeter]], outside: str | None
) -> dict[str, Any]:
    """Return what the demo summary shows of one person: sign-in, verification and meters to try."""
    own = {
        code: [sample.meter_number for sample in found if person.person_id in sample.queryable_by]
        for code, found in samples.items()
    }
    summary = asdict(person)
    summary["areas"] = list(person.areas)
    summary["password"] = DEMO_PASSWORD
    summary["verify_body"] = {"name": person.name, "id_number": person.id_number}
    summary["sample_meters"] = own
    summary["meter_outside_area"] = outside
    return summary
