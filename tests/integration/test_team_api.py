"""/v1/team and /v1/team/{id}/queries: the supervisor's read-only view, and who is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from census.dal import history as history_store
from census.dal.history import HistoryEntry
from census.dal.quota import QuotaCounter
from tests.helpers import call, claims_for, http_event, load_function
from tests.integration.test_history_api import add_entry, add_person, mark_changed, meter_number


@pytest.fixture
def team(aws):
    """S001 supervises E001 and E002; S002 supervises E003."""
    claims = {
        "S001": add_person("S001", role="supervisor", areas=("430102000000",)),
        "S002": add_person("S002", role="supervisor", areas=("430103000000",)),
        "E001": add_person("E001", supervisor_id="S001"),
        "E002": add_person("E002", supervisor_id="S001", areas=("430102001002",)),
        "E003": add_person("E003", supervisor_id="S002", areas=("430103001000",)),
        "admin": claims_for("sub-admin", "+8613900000000", groups="[admin]"),
    }
    now = datetime.now(UTC)
    add_entry("E001", 1, "GREEN", minutes_ago=5)
    add_entry("E001", 2, "YELLOW", minutes_ago=4)
    add_entry("E001", 3, "RED", minutes_ago=3)
    add_entry("E001", 4, "RED", minutes_ago=2)
    mark_changed("E001", 4, "GREEN")
    history_store.update_annotations("E001", meter_number(1), now=now, finding="vacant")
    history_store.update_annotations("E001", meter_number(3), now=now, finding="vacant")
    history_store.update_annotations("E001", meter_number(2), now=now, finding="occupied", favourite=True)
    add_entry("E002", 11, "UNKNOWN")
    add_entry("E003", 21, "GREEN")
    QuotaCounter("person#E001", used=4).save()
    QuotaCounter("person#E002", used=1).save()
    return claims


@pytest.fixture
def app(aws):
    return load_function("history")


def get(app, claims, path, query=None):
    return call(app, http_event("GET", path, claims=claims, query=query))


def test_team_lists_members_with_use(app, team):
    status, body = get(app, team["S001"], "/v1/team")
    assert status == 200
    assert body["supervisor_id"] == "S001"
    members = {member["person_id"]: member for member in body["members"]}
    assert sorted(members) == ["E001", "E002"]
    first = members["E001"]
    assert first["quota_used"] == 4
    assert first["quota_limit"] == 200
    assert first["entries"] == 4
    assert first["entries_by_code"] == {"GREEN": 2, "YELLOW": 1, "RED": 1, "UNKNOWN": 0}
    assert first["changed"] == 1
    assert first["findings"] == {"occupied": 1, "vacant": 2, "unclear": 0}
    assert first["conflicts"] == 1
    assert first["verified"] is True
    assert first["areas"] == ["430102001001"]
    assert members["E002"]["quota_used"] == 1
    assert members["E002"]["conflicts"] == 0


def test_admin_team_without_supervisor_id_rejected(app, team):
    status, body = get(app, team["admin"], "/v1/team")
    assert status == 400
    assert body["error"]["details"]["field"] == "supervisor_id"


def test_team_member_without_quota_item_shows_zero(app, team):
    add_person("E004", supervisor_id="S001")
    _, body = get(app, team["S001"], "/v1/team")
    member = next(item for item in body["members"] if item["person_id"] == "E004")
    assert member["quota_used"] == 0
    assert member["entries"] == 0


def test_team_lists_conflicts(app, team):
    _, body = get(app, team["S001"], "/v1/team")
    assert [(item["person_id"], item["meter_number"]) for item in body["conflicts"]] == [
        ("E001", meter_number(1))
    ]
    assert body["conflicts"][0]["code"] == "GREEN"


def test_team_shows_no_data_of_other_team(app, team):
    _, body = get(app, team["S001"], "/v1/team")
    assert "E003" not in {member["person_id"] for member in body["members"]}
    assert meter_number(21) not in str(body)


def test_team_enumerator_refused(app, team):
    status, body = get(app, team["E001"], "/v1/team")
    assert status == 403
    assert body["error"]["code"] == "NOT_SUPERVISOR"


def test_team_unverified_refused(app, team):
    claims = add_person("S009", role="supervisor", verified=False)
    status, body = get(app, claims, "/v1/team")
    assert status == 403
    assert body["error"]["code"] == "NOT_VERIFIED"


def test_team_supervisor_asking_other_team_not_found(app, team):
    status, body = get(app, team["S001"], "/v1/team", {"supervisor_id": "S002"})
    assert status == 404
    assert body["error"]["code"] == "NOT_FOUND"


def test_team_admin_reads_any_team(app, team):
    status, body = get(app, team["admin"], "/v1/team", {"supervisor_id": "S002"})
    assert status == 200
    assert [member["person_id"] for member in body["members"]] == ["E003"]


def test_team_admin_asking_for_enumerator_team_not_found(app, team):
    status, _ = get(app, team["admin"], "/v1/team", {"supervisor_id": "E001"})
    assert status == 404


# ---------------------------------------------------------------- one member's list


def test_member_list_read_by_supervisor(app, team):
    status, body = get(app, team["S001"], "/v1/team/E001/queries")
    assert status == 200
    assert body["person_id"] == "E001"
    assert body["total"] == 4
    assert body["entries"][0]["meter_number"] == meter_number(4)
    assert body["entries"][0]["changed"] is True


def test_member_list_read_keeps_changed_mark(app, team):
    get(app, team["S001"], "/v1/team/E001/queries")
    get(app, team["S001"], "/v1/team/E001/queries", {"changed": "true"})
    entry = HistoryEntry.get("E001", meter_number(4))
    assert entry.changed is True
    assert entry.seen_code == "RED"


def test_member_list_filters(app, team):
    status, body = get(app, team["S001"], "/v1/team/E001/queries", {"conflict": "true"})
    assert status == 200
    assert [item["meter_number"] for item in body["entries"]] == [meter_number(1)]
    _, body = get(app, team["S001"], "/v1/team/E001/queries", {"code": "RED,YELLOW", "favourite": "true"})
    assert [item["meter_number"] for item in body["entries"]] == [meter_number(2)]


def test_member_list_pages(app, team):
    _, first = get(app, team["S001"], "/v1/team/E001/queries", {"limit": "3"})
    assert len(first["entries"]) == 3
    _, second = get(
        app, team["S001"], "/v1/team/E001/queries", {"limit": "3", "cursor": first["next_cursor"]}
    )
    assert len(second["entries"]) == 1
    assert second["next_cursor"] is None


def test_member_list_other_supervisor_refused(app, team):
    status, body = get(app, team["S002"], "/v1/team/E001/queries")
    assert status == 404
    assert body["error"]["code"] == "NOT_FOUND"
    assert "entries" not in body


def test_member_list_stranger_enumerator_refused(app, team):
    status, body = get(app, team["E002"], "/v1/team/E001/queries")
    assert status == 403
    assert body["error"]["code"] == "NOT_SUPERVISOR"


def test_member_list_own_list_through_team_route_refused(app, team):
    status, body = get(app, team["E001"], "/v1/team/E001/queries")
    assert status == 403
    assert body["error"]["code"] == "NOT_SUPERVISOR"


def test_member_list_unknown_person_same_as_other_team(app, team):
    status, body = get(app, team["S001"], "/v1/team/E999/queries")
    assert status == 404
    assert body["error"]["code"] == "NOT_FOUND"


def test_member_list_unverified_refused(app, team):
    claims = add_person("S009", role="supervisor", verified=False)
    status, body = get(app, claims, "/v1/team/E001/queries")
    assert status == 403
    assert body["error"]["code"] == "NOT_VERIFIED"


def test_member_list_admin_reads_anyone(app, team):
    status, body = get(app, team["admin"], "/v1/team/E003/queries")
    assert status == 200
    assert [item["meter_number"] for item in body["entries"]] == [meter_number(21)]


def test_member_list_admin_unknown_person_not_found(app, team):
    status, _ = get(app, team["admin"], "/v1/team/E999/queries")
    assert status == 404
