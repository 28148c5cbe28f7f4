"""Objects of utility uploads in S3: the manifest, its files and the report beside it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

_MISSING = ("NoSuchKey", "404", "NotFound")
_CHUNK = 8 << 20


@dataclass(frozen=True)
class DownloadedFile:
    """An uploaded file's bytes and their SHA-256, computed while it was downloaded."""

    data: bytes | bytearray
    sha256: str

    @classmethod
    def of(cls, data: bytes) -> DownloadedFile:
        return cls(data, hashlib.sha256(data).hexdigest())


def read_upload_object(s3_client: Any, bucket: str, key: str) -> bytes | None:
    """Return an uploaded object's bytes, or None when there is no such object."""
    try:
        response = s3_client.get_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in _MISSING:
            return None
        raise
    return response["Body"].read()


def read_upload_file(s3_client: Any, bucket: str, key: str) -> DownloadedFile | None:
    """Download an uploaded data file in chunks and hash it on the way; None when there is no such object.

    The chunks go into one buffer of the object's size, so a file of hundreds of MB
    is in memory once, while reading the whole body in one call can briefly need two copies.
    """
    try:
        response = s3_client.get_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in _MISSING:
            return None
        raise
    body = response["Body"]
    buffer = bytearray(int(response["ContentLength"]))
    view = memoryview(buffer)
    digest = hashlib.sha256()
    filled = 0
    while chunk := body.read(_CHUNK):
        view[filled : filled + len(chunk)] = chunk
        digest.update(chunk)
        filled += len(chunk)
    view.release()
    if filled != len(buffer):
        raise OSError(f"object {key} returned {filled} bytes, but its length is {len(buffer)}")
    return DownloadedFile(buffer, digest.hexdigest())


def put_report(s3_client: Any, bucket: str, key: str, report: dict[str, Any]) -> None:
    """Write a report object as indented UTF-8 JSON, replacing any earlier report of the same key."""
    body = json.dumps(report, ensure_ascii=False, indent=2).encode("utf-8")
    s3_client.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json; charset=utf-8")


def read_report(s3_client: Any, bucket: str, key: str) -> dict[str, Any] | None:
    data = read_upload_object(s3_client, bucket, key)
    return None if data is None else json.loads(data)
