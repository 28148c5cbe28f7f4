"""Fixtures shared by every test layer.

`aws` gives integration tests moto resources built from template.yaml, with
the function environment set as Lambda would set it, and the models bound;
`moto_resources` does the same for a fixture of wider scope. `log_lines`
captures the service's log lines.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

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


@contextmanager
def moto_resources(monkeypatch: pytest.MonkeyPatch, stack: str) -> Iterator[LocalResources]:
    """Build template.yaml's resources in moto and set the functions' environment; bind the models."""
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "1",
        "POWERTOOLS_METRICS_NAMESPACE": "CensusOccupancy",
        "POWERTOOLS_SERVICE_NAME": "census",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        session = boto3.session.Session(region_name="us-east-1")
        resources = create_resources(session, stack=stack)
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


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalResources]:
    with moto_resources(monkeypatch, "census-test") as resources:
        yield resources


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Capture every log line of the service exactly as Lambda would write it."""
    from census.observability import logger

    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logger.registered_formatter)
    target = logging.getLogger(logger.name)
    target.addHandler(handler)
    yield buffer
    target.removeHandler(handler)
