"""Files a run needs from outside the workflow, staged once with a record beside them.

A fetched tag's weights (`resources/weights/<key>.pt`) and a downloaded split list
(`resources/lists/<dataset>/<name>`) get a record `<file>.json`: what the file was staged
from, its sha256, size and modification time. The workflow plans no fetch for a staged
download that exists, whatever its modification time (a copy made with `cp -a` is never
fetched again); at start it refuses a staged file whose record is missing (placed by hand:
never overwritten) or describes another source; and every job that reads it checks it
against the record (the digest is trusted while size and modification time are the
recorded ones, and computed again otherwise).
"""

from __future__ import annotations

import contextlib
import os
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from urllib.parse import urlparse

from . import files
from .errors import FetchError, JobError

__all__ = ["PROBE_SECONDS", "StagedFileError", "check_record", "probe", "record_path", "verify", "write_record"]

PROBE_SECONDS = 5.0  # how long a fetch waits to learn that its host cannot be reached


class StagedFileError(JobError, ValueError):
    """A staged file differs from its record, or from its pinned sha256."""


def record_path(path: str | os.PathLike) -> Path:
    return Path(f"{path}.json")


def write_record(path: str | os.PathLike, source: dict, content: str | os.PathLike) -> str:
    """Record what `path` is staged from (`source`: the settings that decide it), with the
    sha256, size and modification time of `content`, the file that is about to be renamed
    onto `path` (a rename keeps them); returns the sha256."""
    digest = files.sha256(content)
    stat = os.stat(content)
    files.save_json(
        record_path(path), {"source": source, "sha256": digest, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    )
    return digest


def check_record(path: str | os.PathLike, source: dict, where: str, own_file: str) -> None:
    """At start, for a staged file that exists: its record must describe `source`.
    `where` is the config key, `own_file` how to bring a file of one's own instead."""
    record = record_path(path)
    if not record.is_file():
        raise ValueError(
            f"{where}: {path} was not staged by this workflow (there is no {record}); it is never overwritten. "
            f"To use a file of your own, {own_file}; to stage {source}, move {path} away"
        )
    recorded = files.load_json(record).get("source")
    if recorded != source:
        raise ValueError(
            f"{where}: {path} was staged from {recorded}, the config asks for {source}: delete {path} and {record}, "
            "then run `snakemake stage` where there is internet (a plain `snakemake` fetches it too)"
        )


def verify(path: str | os.PathLike, pin: str | None = None, where: str = "") -> None:
    """Check a staged file against its record (if it has one) and `pin` (a sha256, if any);
    `where` (the config key) starts the error."""
    where = f"{where}: " if where else ""
    record_file = record_path(path)
    digest = None
    if record_file.is_file():
        record = files.load_json(record_file)
        stat = os.stat(path)
        unchanged = (stat.st_size, stat.st_mtime_ns) == (record.get("size"), record.get("mtime_ns"))
        digest = record.get("sha256") if unchanged else files.sha256(path)
        if digest != record.get("sha256"):
            raise StagedFileError(
                f"{where}{path} has sha256 {digest}, but {record_file} recorded {record.get('sha256')} when it was "
                "staged: a damaged or partial copy; copy it again, or delete both and stage it again"
            )
    if pin is not None:
        digest = digest or files.sha256(path)
        if digest != pin:
            raise StagedFileError(f"{where}{path} has sha256 {digest}, but its pin is {pin}")


def probe(url: str, where: str) -> None:
    """Fail within `PROBE_SECONDS` when the host of `url` cannot be reached (a machine
    without internet), instead of after minutes of download retries."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return

    def ask() -> None:  # any HTTP answer, an error status too, means the host is there
        request = urllib.request.Request(f"{parsed.scheme}://{parsed.netloc}/", method="HEAD")
        with contextlib.suppress(urllib.error.HTTPError):
            urllib.request.urlopen(request, timeout=PROBE_SECONDS).close()

    pool = ThreadPoolExecutor(max_workers=1)
    try:
        pool.submit(ask).result(timeout=PROBE_SECONDS)
    except (OSError, FutureTimeout) as err:
        reason = "no answer" if isinstance(err, FutureTimeout) else f"{type(err).__name__}: {err}"
        raise FetchError(f"{where}: this machine cannot reach {parsed.hostname} ({reason})") from None
    finally:
        pool.shutdown(wait=False)
