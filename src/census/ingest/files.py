"""Checks that an uploaded file is the one its manifest lists, and turns it into UTF-8 CSV bytes."""

from __future__ import annotations

import gzip
import zlib

from census.ingest.manifest import ManifestFile
from census.storage.uploads import DownloadedFile

_GZIP_MAGIC = b"\x1f\x8b"
_UTF8_BOM = b"\xef\xbb\xbf"


class FileRejected(Exception):
    """A whole file that cannot be used. `code` is stable, and the message states what to fix."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def verify_checksum(file: DownloadedFile, entry: ManifestFile) -> None:
    """Raise FileRejected unless the SHA-256 of the bytes as uploaded equals the manifest's."""
    actual = file.sha256
    if actual != entry.sha256:
        raise FileRejected(
            "checksum_mismatch",
            f"file {entry.name!r} has SHA-256 {actual}, but the manifest lists {entry.sha256}; "
            "the file was changed or cut short after the manifest was made. Upload the file and its "
            "manifest again",
        )


def decompress(raw: bytes | bytearray, name: str, declared_gzip: bool | None) -> bytes | bytearray:
    """Return the file's bytes, gunzipped when they start with the gzip magic number."""
    compressed = raw.startswith(_GZIP_MAGIC)
    if declared_gzip and not compressed:
        raise FileRejected(
            "not_gzip", f"the manifest sets gzip to true, but file {name!r} is not gzip-compressed"
        )
    if not compressed:
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as error:
        raise FileRejected("invalid_gzip", f"file {name!r} is not valid gzip: {error}") from error


def to_utf8(data: bytes | bytearray, name: str, encoding: str | None) -> bytes | bytearray:
    """Return the CSV bytes as UTF-8 without a byte order mark.

    `encoding` is the manifest's (`utf-8` or `gbk`) or None to detect it:
    valid UTF-8 is taken as UTF-8, anything else is tried as GBK. Pure ASCII,
    the usual case for consumption files, is returned without decoding.
    """
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    if data.isascii():
        return data
    candidates = [encoding] if encoding else ["utf-8", "gbk"]
    for candidate in candidates:
        try:
            text = data.decode(candidate)
        except UnicodeDecodeError:
            continue
        return data if candidate == "utf-8" else text.encode("utf-8")
    expected = encoding.upper() if encoding else "UTF-8 or GBK"
    raise FileRejected("undecodable", f"file {name!r} is not valid {expected} text; save it as UTF-8")


def read_verified(
    file: DownloadedFile | None, entry: ManifestFile, declared_gzip: bool | None, encoding: str | None
) -> bytes | bytearray:
    """Check a file against its manifest entry and return it as UTF-8 CSV bytes."""
    if file is None:
        raise FileRejected(
            "missing_file",
            f"file {entry.name!r} is listed in the manifest but not in its folder; upload every file "
            "before the manifest",
        )
    verify_checksum(file, entry)
    return to_utf8(decompress(file.data, entry.name, declared_gzip), entry.name, encoding)
