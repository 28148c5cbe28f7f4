"""Benchmark POST /v1/queries against a local moto server, side by side with its raw AWS calls.

    python scripts/bench_query.py [--meters 1000 20000] [--days 56] [--repeat 30]

For each county size it seeds a registry and `--days` published days, then
measures, in one run against the same moto server on 127.0.0.1:

- the warm handler: the median time of `lambda_handler` for a repeated query
  (the person already holds the home, so each run takes only the meter's
  daily unit);
- the raw calls: the same AWS operations, recorded from one handler run and
  replayed one after another with plain botocore clients, median of the sum;
- the S3 bytes one query reads, and the number of AWS calls;
- the cold import of functions/query/app.py in a fresh interpreter.

moto's latency is not AWS latency; only the ratio of numbers from the same
run means anything.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import botocore.client
import numpy as np
from botocore.exceptions import ClientError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from local.moto_server import MotoServer, aws_environment  # noqa: E402
from local.resources import create_resources  # noqa: E402

FIRST_DAY = date(2013, 6, 1)
PERSON_ID = "E001"
SUB = "bench-sub"
PHONE = "+8613800000001"
AREA = "430102001001"


class CallRecorder:
    """Records every botocore API call made while it is active: service, operation, parameters, seconds."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any], float]] = []
        self.active = False
        self._original = botocore.client.BaseClient._make_api_call

    def install(self) -> None:
        recorder = self

        def make_api_call(client: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
            started = time.perf_counter()
            try:
                return recorder._original(client, operation_name, api_params)
            finally:
                if recorder.active:
                    service = client.meta.service_model.service_name
                    recorder.calls.append(
                        (service, operation_name, dict(api_params), time.perf_counter() - started)
                    )

        botocore.client.BaseClient._make_api_call = make_api_call  # type: ignore[method-assign]


def _seed(meters: int, days: int, bucket: str) -> str:
    from census.dal import meters as meter_dal
    from census.dal import people, publications
    from census.dal.models import Meter
    from census.domain.roster_csv import RosterRow
    from census.storage import partitions

    now = datetime.now(UTC)
    people.upsert_roster_row(
        RosterRow(
            person_id=PERSON_ID, name="王秀英", name_key="王秀英", phone=PHONE, id_hash="0" * 64,
            role="enumerator", supervisor_id="S001", area_codes=(AREA,),
            active_from=date(2012, 1, 1), active_to=date(2030, 12, 31),
        ),
        import_key="bench", now=now,
    )  # fmt: skip
    people.bind_identity(sub=SUB, person_id=PERSON_ID, now=now)

    queried = f"1430001430102{meters // 2:08d}0"
    meter_dal.write_meters(
        [
            Meter(queried, utility="electricity", household_id="HH-bench", area_code=AREA, county="430102",
                  customer_type="residential", status="in_service", slot=meters // 2, updated_at=now,
                  upload_key="bench")
        ]
    )  # fmt: skip
    s3 = boto3.client("s3")
    rng = np.random.default_rng(1)
    for offset in range(days):
        records = partitions.new_county_day(meters)
        hours = rng.gamma(2.0, 0.1, (meters, 24)).astype("float32")
        hours[:, 18:22] += 0.8
        records["hours"] = hours
        records["total"] = hours.sum(axis=1)
        day = FIRST_DAY + timedelta(days=offset)
        written = partitions.put_county_day(
            s3, bucket, "electricity", "430102", day, partitions.encode_county_day(records)
        )
        publications.publish_day(
            "electricity", "430102", day, object_key=written.key, slots=written.slots,
            checksum=written.checksum, upload_key="bench", now=now,
        )  # fmt: skip
    return queried


def _load_query_function() -> Any:
    spec = importlib.util.spec_from_file_location(
        f"bench_query_{uuid.uuid4().hex}", ROOT / "functions/query/app.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _event(meter_number: str) -> dict[str, Any]:
    claims = {"sub": SUB, "phone_number": PHONE, "phone_number_verified": "true"}
    return {
        "version": "2.0",
        "routeKey": "POST /v1/queries",
        "rawPath": "/v1/queries",
        "rawQueryString": "",
        "headers": {"content-type": "application/json"},
        "requestContext": {
            "authorizer": {"jwt": {"claims": claims, "scopes": None}},
            "http": {
                "method": "POST",
                "path": "/v1/queries",
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
            },
            "requestId": uuid.uuid4().hex,
            "routeKey": "POST /v1/queries",
            "stage": "$default",
        },
        "body": f'{{"meter_number": "{meter_number}"}}',
        "isBase64Encoded": False,
    }


def _context() -> SimpleNamespace:
    return SimpleNamespace(
        function_name="query", memory_limit_in_mb=512, aws_request_id=uuid.uuid4().hex,
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:query",
        get_remaining_time_in_millis=lambda: 10_000,
    )  # fmt: skip


def _replay(
    calls: list[tuple[str, str, dict[str, Any], float]], clients: dict[str, Any]
) -> tuple[float, int]:
    """Make the recorded calls again, one after another; return the seconds and the S3 bytes read."""
    started = time.perf_counter()
    read = 0
    for service, operation, params, _ in calls:
        try:
            response = clients[service]._make_api_call(operation, params)
        except ClientError:
            continue
        if operation == "GetObject":
            read += len(response["Body"].read())
    return time.perf_counter() - started, read


def _cold_import_seconds(environment: dict[str, str], repeat: int = 5) -> float:
    code = (
        "import time, importlib.util; t = time.perf_counter(); "
        f"spec = importlib.util.spec_from_file_location('app', {str(ROOT / 'functions/query/app.py')!r}); "
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module); "
        "print(time.perf_counter() - t)"
    )
    seconds = []
    for _ in range(repeat):
        output = subprocess.run(  # noqa: S603 - our own interpreter and code
            [sys.executable, "-c", code],
            env=environment,
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        seconds.append(float(output.stdout.strip().splitlines()[-1]))
    return statistics.median(seconds)


def measure(meters: int, days: int, repeat: int) -> dict[str, Any]:
    server = MotoServer(port=0)
    server.start()
    try:
        os.environ.update(aws_environment(server.url))
        session = boto3.session.Session()
        resources = create_resources(session, stack=f"bench{meters}")
        os.environ.update(resources.env)
        os.environ["ID_HASH_KEY"] = "bench-only-key-0123456789abcdef0123"
        os.environ["POWERTOOLS_TRACE_DISABLED"] = "1"
        os.environ["LIMIT_METER_DAILY"] = str(repeat * 4 + 10)

        from census import config
        from census.dal import models

        config.settings.cache_clear()
        models.configure(config.settings().tables)
        meter_number = _seed(meters, days, resources.bucket)
        app = _load_query_function()

        recorder = CallRecorder()
        recorder.install()
        first = app.lambda_handler(_event(meter_number), _context())
        assert first["statusCode"] == 200, first
        for _ in range(3):
            app.lambda_handler(_event(meter_number), _context())

        handler_seconds = []
        for _ in range(repeat):
            recorder.calls = []
            recorder.active = True
            started = time.perf_counter()
            response = app.lambda_handler(_event(meter_number), _context())
            handler_seconds.append(time.perf_counter() - started)
            recorder.active = False
            assert response["statusCode"] == 200, response
        calls = list(recorder.calls)

        clients = {service: session.client(service) for service in {call[0] for call in calls}}
        raw = [_replay(calls, clients) for _ in range(repeat)]
        raw_seconds = [seconds for seconds, _ in raw]
        s3_bytes = raw[0][1]
        cold = _cold_import_seconds(dict(os.environ))
        return {
            "meters": meters,
            "days": days,
            "aws_calls": len(calls),
            "s3_gets": sum(1 for call in calls if call[1] == "GetObject"),
            "s3_bytes": s3_bytes,
            "handler_ms": statistics.median(handler_seconds) * 1000,
            "raw_ms": statistics.median(raw_seconds) * 1000,
            "cold_import_s": cold,
        }
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meters", type=int, nargs="+", default=[1000, 20000], help="meters in the county")
    parser.add_argument("--days", type=int, default=56, help="published days")
    parser.add_argument("--repeat", type=int, default=30, help="timed runs of each measure")
    arguments = parser.parse_args()
    columns = ["meters", "days", "AWS calls", "S3 GETs", "S3 bytes", "warm handler ms", "raw calls ms"]
    columns.append("ratio")
    print("| " + " | ".join([*columns, "cold import s"]) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for meters in arguments.meters:
        result = measure(meters, arguments.days, arguments.repeat)
        ratio = result["handler_ms"] / result["raw_ms"]
        cells = [
            f"{meters:,}",
            str(result["days"]),
            str(result["aws_calls"]),
            str(result["s3_gets"]),
            f"{result['s3_bytes']:,}",
            f"{result['handler_ms']:.1f}",
            f"{result['raw_ms']:.1f}",
            f"{ratio:.2f}",
            f"{result['cold_import_s']:.2f}",
        ]
        print("| " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
