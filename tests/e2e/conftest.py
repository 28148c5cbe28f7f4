"""Fixtures of the end-to-end tests: the whole local service, started once per session in this process.

The service shares moto's in-process backends with the integration tests'
`mock_aws()`, which resets them when it starts. Run the e2e tests in a
process of their own, or after the integration tests; under pytest-xdist use
`--dist loadfile`.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from local.server import LocalService, start_local_service


@pytest.fixture(scope="session")
def local_service() -> Iterator[LocalService]:
    service = start_local_service(port=0, moto_port=0, quiet=True)
    yield service
    service.stop()


@pytest.fixture(autouse=True)
def _service_environment(local_service: LocalService) -> None:
    # Another test in this process may have pointed the census settings and
    # models at tables of its own.
    local_service.activate()


@dataclass(frozen=True)
class ApiResponse:
    status: int
    body: Any
    headers: dict[str, str]


class ApiClient:
    """A small HTTP client of the local API; every call returns status, JSON body and headers."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> ApiResponse:
        sent = {"Content-Type": "application/json"}
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        sent.update(headers or {})
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(self.base_url + path, data=data, headers=sent, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, raw, received = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, raw, received = error.code, error.read(), error.headers
        parsed = json.loads(raw) if raw else None
        return ApiResponse(status, parsed, {name.lower(): value for name, value in received.items()})


@pytest.fixture(scope="session")
def api(local_service: LocalService) -> ApiClient:
    return ApiClient(local_service.api_url)


@pytest.fixture(scope="session")
def verified_token(local_service: LocalService, api: ApiClient) -> Callable[[str], str]:
    """Return a function that signs a demo person in, verifies them once, and returns their ID token."""
    tokens: dict[str, str] = {}

    def token_of(person_id: str) -> str:
        if person_id not in tokens:
            token = local_service.sign_in(person_id)
            person = next(item for item in local_service.demo["people"] if item["person_id"] == person_id)
            response = api.call("POST", "/v1/verify", token=token, body=person["verify_body"])
            assert response.status == 200, response.body
            tokens[person_id] = token
        return tokens[person_id]

    return token_of
