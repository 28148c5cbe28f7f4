"""The per-meter daily limit counts Beijing days: it rolls over at 16:00 UTC, not at 00:00 UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from census import clock, config
from tests.integration.test_query import GREEN, _query, world  # noqa: F401 - fixture


@pytest.fixture
def small_daily_limit(monkeypatch):
    monkeypatch.setenv("LIMIT_METER_DAILY", "3")
    config.settings.cache_clear()


def _at(monkeypatch, instant: datetime) -> None:
    monkeypatch.setattr(clock, "now", lambda: instant)


def test_daily_limit_resets_at_1600_utc(small_daily_limit, world, monkeypatch):  # noqa: F811
    # The world fixture loaded the query function before the limit changed; reload it.
    from tests.helpers import load_function

    app = load_function("query")
    _at(monkeypatch, datetime(2026, 11, 1, 15, 59, 59, tzinfo=UTC))
    for _ in range(3):
        assert _query(app, GREEN)[0] == 200
    status, body = _query(app, GREEN)
    assert status == 429
    assert body["error"]["details"]["limit_name"] == "meter_daily"
    assert body["error"]["details"]["resets_at"] == "2026-11-02T00:00:00+08:00"

    _at(monkeypatch, datetime(2026, 11, 1, 16, 0, 0, tzinfo=UTC))
    assert _query(app, GREEN)[0] == 200


def test_daily_limit_holds_across_utc_midnight(small_daily_limit, world, monkeypatch):  # noqa: F811
    from tests.helpers import load_function

    app = load_function("query")
    _at(monkeypatch, datetime(2026, 11, 1, 23, 59, 59, tzinfo=UTC))
    for _ in range(3):
        assert _query(app, GREEN)[0] == 200
    _at(monkeypatch, datetime(2026, 11, 2, 0, 0, 0, tzinfo=UTC))
    status, body = _query(app, GREEN)
    assert status == 429
    assert body["error"]["code"] == "QUOTA_EXHAUSTED"
    assert body["error"]["details"]["used"] == 3
    assert body["error"]["details"]["limit"] == 3
