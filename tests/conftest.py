"""Fixtures shared by every test layer.

`aws` gives integration tests moto resources built from template.yaml, with
the function environment set as Lambda would set it, and the models bound.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from local.resources import LocalResources, create_resources

TEST_ID_HASH_KEY = "test-only-id-hash-key-0123456789abcdef"

# Powertools reads these when census.observability is first imported, which
# may happen while tests are collected, before any fixture runs.
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "census")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "CensusOccupancy")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "1")


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalResources]:
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "1")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "CensusOccupancy")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "census")
    with mock_aws():
        session = boto3.session.Session(region_name="us-east-1")
        resources = create_resources(session, stack="census-test")
        for name, value in resources.env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("ID_HASH_KEY", TEST_ID_HASH_KEY)

        from census import config
        from census.dal import models

        config.settings.cache_clear()
        config._id_hash_key.cache_clear()
        models.configure(config.settings().tables)
        yield resources
        config.settings.cache_clear()
        config._id_hash_key.cache_clear()
