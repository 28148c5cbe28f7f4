"""The one logger, tracer and metrics objects every function shares.

Service name and metrics namespace come from POWERTOOLS_SERVICE_NAME and
POWERTOOLS_METRICS_NAMESPACE, set in template.yaml's Globals. The defaults
apply where this module is imported before those are set, as in the local
service and the admin CLI. Without a namespace, powertools fails when it
flushes metrics.
"""

import os

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME") or "census"
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "CensusOccupancy"

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
