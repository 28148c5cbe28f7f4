"""Create the AWS resources of template.yaml in moto, from the template itself.

Tests and the local service both call `create_resources`, so neither can
drift from the infrastructure: table keys, indexes and TTL attributes, the
bucket, the audit queue and the Cognito user pool come from the template.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

TEMPLATE = Path(__file__).resolve().parent.parent / "template.yaml"
ACCOUNT_ID = "123456789012"


class _TemplateLoader(yaml.SafeLoader):
    """A YAML loader that keeps CloudFormation short-form tags as {"Fn": value} mappings."""


def _construct_tag(loader: yaml.Loader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {tag_suffix: value}


_TemplateLoader.add_multi_constructor("!", _construct_tag)


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_TemplateLoader)  # noqa: S506 - SafeLoader subclass


@dataclass
class LocalResources:
    """Names of the created resources and the environment a function gets."""

    stack: str
    region: str
    env: dict[str, str] = field(default_factory=dict)
    tables: dict[str, str] = field(default_factory=dict)
    bucket: str = ""
    audit_queue_url: str = ""
    user_pool_id: str = ""
    client_id: str = ""


def _resources_of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: body for name, body in template["Resources"].items() if body["Type"] == kind}


def _create_table(dynamodb: Any, name: str, properties: dict[str, Any]) -> None:
    arguments: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "KeySchema": properties["KeySchema"],
        "BillingMode": properties.get("BillingMode", "PAY_PER_REQUEST"),
    }
    if properties.get("GlobalSecondaryIndexes"):
        arguments["GlobalSecondaryIndexes"] = properties["GlobalSecondaryIndexes"]
    dynamodb.create_table(**arguments)
    ttl = properties.get("TimeToLiveSpecification")
    if ttl:
        dynamodb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
        )


def create_resources(
    session: Any, *, stack: str = "census-local", template_path: Path = TEMPLATE
) -> LocalResources:
    """Create the template's tables, bucket, queues and user pool with `session`'s clients."""
    template = load_template(template_path)
    region = session.region_name
    resources = LocalResources(stack=stack, region=region)

    dynamodb = session.client("dynamodb")
    for logical_id, body in _resources_of_type(template, "AWS::DynamoDB::Table").items():
        name = f"{stack}-{logical_id}"
        _create_table(dynamodb, name, body["Properties"])
        resources.tables[logical_id] = name

    s3 = session.client("s3")
    resources.bucket = f"{stack}-data-{ACCOUNT_ID}"
    if region == "us-east-1":
        s3.create_bucket(Bucket=resources.bucket)
    else:
        s3.create_bucket(Bucket=resources.bucket, CreateBucketConfiguration={"LocationConstraint": region})

    sqs = session.client("sqs")
    queues: dict[str, str] = {}
    for logical_id in _resources_of_type(template, "AWS::SQS::Queue"):
        queues[logical_id] = sqs.create_queue(QueueName=f"{stack}-{logical_id}")["QueueUrl"]
    resources.audit_queue_url = queues.get("AuditQueue", "")

    _create_user_pool(session.client("cognito-idp"), template, resources)
    resources.env = _function_environment(template, resources, queues)
    return resources


def _create_user_pool(cognito: Any, template: dict[str, Any], resources: LocalResources) -> None:
    pool = template["Resources"]["UserPool"]["Properties"]
    created = cognito.create_user_pool(
        PoolName=f"{resources.stack}-users",
        UsernameAttributes=pool["UsernameAttributes"],
        AutoVerifiedAttributes=pool["AutoVerifiedAttributes"],
    )
    resources.user_pool_id = created["UserPool"]["Id"]
    client = template["Resources"]["UserPoolClient"]["Properties"]
    # The template's SMS one-time codes need a phone; locally each demo person
    # signs in with a password instead, through the admin password flow.
    flows = [*client["ExplicitAuthFlows"], "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_USER_PASSWORD_AUTH"]
    created_client = cognito.create_user_pool_client(
        UserPoolId=resources.user_pool_id,
        ClientName=client["ClientName"],
        GenerateSecret=False,
        ExplicitAuthFlows=flows,
        ReadAttributes=client["ReadAttributes"],
    )
    resources.client_id = created_client["UserPoolClient"]["ClientId"]
    for body in _resources_of_type(template, "AWS::Cognito::UserPoolGroup").values():
        cognito.create_group(UserPoolId=resources.user_pool_id, GroupName=body["Properties"]["GroupName"])


def _function_environment(
    template: dict[str, Any], resources: LocalResources, queues: dict[str, str]
) -> dict[str, str]:
    """Resolve the Globals environment of the template against the local resource names."""
    parameters = template.get("Parameters", {})
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    env: dict[str, str] = {}
    for name, value in variables.items():
        if isinstance(value, str):
            env[name] = value
        elif "Ref" in value and value["Ref"] in resources.tables:
            env[name] = resources.tables[value["Ref"]]
        elif "Ref" in value and value["Ref"] in queues:
            env[name] = queues[value["Ref"]]
        elif "Ref" in value and value["Ref"] in parameters:
            env[name] = str(parameters[value["Ref"]].get("Default", ""))
        elif "Sub" in value and "-data-" in value["Sub"]:
            env[name] = resources.bucket
        else:
            raise ValueError(
                f"template variable {name} has a value the local service cannot resolve: {value}"
            )
    # Locally the hash key comes straight from the environment, not from SSM.
    env.pop("ID_HASH_KEY_PARAMETER", None)
    return env
