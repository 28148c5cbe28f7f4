"""The red dot end to end: query homes, upload new days of real data, refresh, see the changed marks.

Through the local HTTP API only. An enumerator queries the homes of their
village. The local service then uploads the next held-back days of the real
London data of county 430102 as the utility would. That runs the ingest and,
through its published-day signal, the refresh. Afterwards the supervisor of
the same county queries the same homes, which gives each home's current code
by the query path, independently of the refresh. Exactly the entries whose
current code differs from the code the enumerator saw must carry the mark.

The local service must offer `upload_next_day(county) -> str`: upload the
county's next real day that the start-up held back, run the ingest and every
function its S3 objects start (the refresh among them), and return the day.
"""

from __future__ import annotations

from typing import Any

import pytest

from local.demo_data import demo_registry
from local.server import LocalService
from tests.e2e.conftest import ApiClient

pytestmark = pytest.mark.e2e

COUNTY = "430102"
VILLAGE = "430102001001"
ENUMERATOR = "E001"
SUPERVISOR = "S001"
MAX_NEW_DAYS = 7


def village_meters() -> list[str]:
    return sorted(
        row.meter_number
        for row in demo_registry()
        if row.area_code == VILLAGE
        and row.utility == "electricity"
        and row.customer_type == "residential"
        and row.status == "in_service"
    )


def query_codes(api: ApiClient, token: str, meters: list[str]) -> dict[str, str]:
    codes = {}
    for number in meters:
        response = api.call("POST", "/v1/queries", token=token, body={"meter_number": number})
        if response.status == 200:
            codes[number] = response.body["code"]
        else:
            # A home without data yet (a new connection, say) is not in any list.
            assert response.status == 422, response.body
    return codes


def whole_list(api: ApiClient, token: str) -> dict[str, dict[str, Any]]:
    entries: dict[str, dict[str, Any]] = {}
    cursor = None
    while True:
        path = "/v1/queries?limit=100" + (f"&cursor={cursor}" if cursor else "")
        response = api.call("GET", path, token=token)
        assert response.status == 200, response.body
        for entry in response.body["entries"]:
            entries[entry["meter_number"]] = entry
        cursor = response.body["next_cursor"]
        if cursor is None:
            return entries


def test_red_dot_marks_exactly_changed_homes(
    local_service: LocalService, api: ApiClient, verified_token: Any
) -> None:
    if not hasattr(local_service, "upload_next_day"):
        pytest.skip("the local service has no upload_next_day(county): it cannot upload a new day of data")
    enumerator = verified_token(ENUMERATOR)
    meters = village_meters()
    assert meters

    seen = query_codes(api, enumerator, meters)
    assert len(seen) >= 20
    before = whole_list(api, enumerator)
    assert set(before) == set(seen)
    assert not any(entry["changed"] for entry in before.values())

    # New days until a home's code moves: one day of real data may change none.
    for _ in range(MAX_NEW_DAYS):
        local_service.upload_next_day(COUNTY)
        after = whole_list(api, enumerator)
        if any(entry["changed"] for entry in after.values()):
            break
    else:
        pytest.fail(f"no code changed in {MAX_NEW_DAYS} new days of real data")

    current = query_codes(api, verified_token(SUPERVISOR), sorted(seen))
    assert set(current) == set(seen)
    marked = {number for number, entry in after.items() if entry["changed"]}
    moved = {number for number in seen if current[number] != seen[number]}
    assert marked == moved
    assert marked
    assert moved != set(seen)
    for number, entry in after.items():
        assert entry["code"] == current[number], number
        if entry["changed"]:
            assert entry["previous_code"] == seen[number], number

    viewed = sorted(marked)[0]
    response = api.call("GET", f"/v1/queries/{viewed}", token=enumerator)
    assert response.status == 200
    assert response.body["changed"] is True
    assert response.body["previous_code"] == seen[viewed]
    again = whole_list(api, enumerator)
    assert again[viewed]["changed"] is False
    assert {number for number, entry in again.items() if entry["changed"]} == marked - {viewed}
