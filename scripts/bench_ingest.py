"""Benchmark: consumption ingest of one county-day file against pyarrow merely parsing it.

Generates a county-day file of hourly readings (200,000 meters x 24 rows by
default) and registers its meters in an in-process moto. Only their slot map is
written, because the registry ingest is not what is measured. It uploads the
file and its manifest, and then times on one CPU core:

- parse: `pyarrow.csv.read_csv` of the same bytes with default options
  (type inference), single-threaded;
- ingest: `ingest_upload` from the manifest key to the published day: S3 GETs,
  SHA-256 check, parse, validation of every row, the county-day object PUT and
  the Publication item.

Each is the best of --repeat runs; before each ingest run the day's
Publication item is deleted so that the run publishes again. Peak memory is
the process's resident set sampled every 5 ms during an ingest run, minus the
resident set before it (moto's copy of the upload is part of the baseline).

    .venv/bin/python scripts/bench_ingest.py [--meters 200000] [--repeat 3] [--gzip]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

COUNTY = "430102"
DAY = date(2026, 11, 1)
BUCKET_STACK = "census-bench"


def pin_to_one_core() -> int:
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return core


def generate_csv(meters: int) -> tuple[bytes, list[str]]:
    import numpy as np

    from local.demo_data import electricity_meter_number

    numbers = [electricity_meter_number(COUNTY, sequence) for sequence in range(1, meters + 1)]
    stamps = [f"{DAY.isoformat()}T{hour:02d}:00:00+08:00" for hour in range(24)]
    values = np.random.default_rng(20261101).gamma(0.6, 0.5, size=(meters, 24))
    out = io.StringIO()
    out.write("meter_number,timestamp,value\n")
    for number, row in zip(numbers, values.round(3).tolist(), strict=True):
        out.write("".join(f"{number},{stamp},{value}\n" for stamp, value in zip(stamps, row, strict=True)))
    return out.getvalue().encode("ascii"), numbers


def resident_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakSampler:
    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, resident_bytes())
            time.sleep(0.005)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, resident_bytes())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--meters", type=int, default=200_000, help="meters in the county (rows = 24 x meters)"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each measurement; the best is reported"
    )
    parser.add_argument("--gzip", action="store_true", help="upload the file gzip-compressed")
    parser.add_argument(
        "--profile", action="store_true", help="print where the last ingest run spent its time"
    )
    args = parser.parse_args()

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "1",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_METRICS_NAMESPACE": "CensusBench",
        "POWERTOOLS_SERVICE_NAME": "census",
    }.items():
        os.environ[name] = value
    core = pin_to_one_core()

    import gzip
    import hashlib

    import boto3
    import pyarrow as pa
    import pyarrow.csv as pcsv
    from boto3.s3.transfer import TransferConfig
    from moto import mock_aws

    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)

    print(f"generating {args.meters:,} meters x 24 hourly rows ...", flush=True)
    data, numbers = generate_csv(args.meters)
    upload_bytes = gzip.compress(data, compresslevel=6, mtime=0) if args.gzip else data
    print(f"file: {len(data) / 1e6:.1f} MB CSV, {len(upload_bytes) / 1e6:.1f} MB uploaded", flush=True)

    def time_parse() -> tuple[float, int]:
        started = time.perf_counter()
        source = pa.input_stream(pa.BufferReader(upload_bytes), compression="gzip" if args.gzip else None)
        table = pcsv.read_csv(source, read_options=pcsv.ReadOptions(use_threads=False))
        return time.perf_counter() - started, table.num_rows

    with mock_aws():
        from local.resources import create_resources

        session = boto3.session.Session(region_name="us-east-1")
        resources = create_resources(session, stack=BUCKET_STACK)
        os.environ.update(resources.env)
        from census import config
        from census.dal import models, publications
        from census.dal.models import Publication, series_key
        from census.ingest.upload import S3_CLIENT_CONFIG, ingest_upload
        from census.storage.partitions import SlotMap, put_slot_map
        from local.demo_data import build_upload

        config.settings.cache_clear()
        models.configure(config.settings().tables)
        s3 = session.client("s3", config=S3_CLIENT_CONFIG)
        bucket = resources.bucket

        written = put_slot_map(s3, bucket, SlotMap("electricity", COUNTY, tuple(numbers)))
        publications.set_slot_map_pointer(
            "electricity",
            COUNTY,
            object_key=written.key,
            slots=written.slots,
            checksum=written.checksum,
            upload_key="bench",
            previous=None,
            now=datetime.now(UTC),
        )
        name = "hourly.csv.gz" if args.gzip else "hourly.csv"
        upload = build_upload(
            "consumption",
            "electricity",
            COUNTY,
            DAY,
            [(name, upload_bytes, args.meters * 24)],
            reading_type="interval",
            unit="kWh",
            interval_minutes=60,
        )
        transfer = TransferConfig(
            multipart_threshold=16 << 20, multipart_chunksize=16 << 20, use_threads=False
        )
        for file_name, body in upload.files:
            s3.upload_fileobj(io.BytesIO(body), bucket, upload.folder + file_name, Config=transfer)
        assert hashlib.sha256(upload_bytes).hexdigest() in upload.files[-1][1].decode()
        del data

        # Parse and ingest runs alternate, so that both meet the same load of the machine.
        parse_times = []
        ingest_times = []
        peaks = []
        max_process = 0
        for _ in range(args.repeat):
            parse_time, rows = time_parse()
            parse_times.append(parse_time)
            Publication(series_key("electricity", COUNTY), DAY.isoformat()).delete()
            baseline = resident_bytes()
            profiler = cProfile.Profile() if args.profile else None
            with PeakSampler() as sampler:
                started = time.perf_counter()
                if profiler:
                    profiler.enable()
                report = ingest_upload(s3, bucket, upload.manifest_key)
                if profiler:
                    profiler.disable()
                ingest_times.append(time.perf_counter() - started)
            peaks.append(sampler.peak - baseline)
            max_process = max(max_process, sampler.peak)
            if report.outcome != "published" or report.counts["accepted_rows"] != rows:
                raise SystemExit(f"ingest did not publish every row: {report.outcome} {report.counts}")

    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
    parse, ingest = min(parse_times), min(ingest_times)
    print(f"cpu core: {core} (process pinned); pyarrow {pa.__version__}")
    print(f"rows: {rows:,}")
    parse_runs = [round(seconds, 3) for seconds in parse_times]
    ingest_runs = [round(seconds, 3) for seconds in ingest_times]
    print(f"parse only (pyarrow.csv.read_csv, 1 thread): {parse:.3f} s   runs {parse_runs}")
    print(f"full ingest (validate + publish, moto):      {ingest:.3f} s   runs {ingest_runs}")
    print(f"ratio ingest / parse: {ingest / parse:.2f}")
    print(f"peak memory added by ingest: {max(peaks) / 2**20:.0f} MiB (resident, sampled)")
    print(f"peak resident memory of the whole process, moto included: {max_process / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
