"""The moto resources are built from template.yaml."""

import boto3

from census.dal.models import Meter


def test_tables_created_from_template(aws):
    names = boto3.client("dynamodb").list_tables()["TableNames"]
    assert "census-test-MeterTable" in names
    assert "census-test-IdempotencyTable" in names


def test_meter_model_bound_to_test_table(aws):
    assert Meter.Meta.table_name == aws.tables["MeterTable"]
    assert Meter.count() == 0


def test_environment_names_every_table(aws):
    assert aws.env["ROSTER_TABLE"] == "census-test-RosterTable"
    assert aws.env["DATA_BUCKET"] == aws.bucket
    assert aws.env["AUDIT_QUEUE_URL"].endswith("census-test-AuditQueue")
