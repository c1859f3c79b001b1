"""Staging of small input files (split lists, class names): copy or download, verify, rename."""

from __future__ import annotations

import logging
import os
import shutil
import urllib.error
import urllib.request

from . import files, staging
from .errors import FetchError, JobError

__all__ = ["UNPINNED", "ChecksumError", "fetch_file", "origin", "pin"]

logger = logging.getLogger(__name__)

UNPINNED = ("none", "null")  # `sha256` words that unpin a file: `--config` passes null as 'null'


class ChecksumError(JobError, ValueError):
    """A fetched file's sha256 differs from the pinned one."""


def origin(source: dict) -> dict:
    """What decides a staged list's content: `{"path": ...}` or `{"url": ...}` (its record's
    source; the pin is checked at every read instead)."""
    return {key: source[key] for key in ("path", "url") if source.get(key)}


def pin(source: dict) -> str | None:
    """The sha256 a list source is pinned to, or None."""
    expected = source.get("sha256")
    return None if not expected or expected in UNPINNED else expected


def fetch_file(source: dict, out_path: str | os.PathLike, where: str) -> str:
    """Copy `source["path"]` or download `source["url"]` to `out_path`, checking `sha256`,
    with its record beside it (`staging.write_record`).

    Returns the file's sha256. Nothing is left at `out_path` when the check fails.
    """
    with files.atomic_path(out_path) as tmp:
        if source.get("path"):
            shutil.copyfile(source["path"], tmp)
            given = source["path"]
        elif source.get("url"):
            staging.probe(source["url"], where)
            _download(source["url"], tmp, where)
            given = source["url"]
        else:
            raise ValueError(f"{where}: give a path or a url")
        digest = files.sha256(tmp)
        if pin(source) and digest != pin(source):
            raise ChecksumError(f"{where}: {given} has sha256 {digest}, expected {pin(source)}")
        staging.write_record(out_path, origin(source), tmp)
    logger.info("%s: %s -> %s (sha256 %s)", where, given, out_path, digest)
    return digest


def _download(url: str, out_path: os.PathLike, where: str) -> None:
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(out_path, "wb") as f:
            shutil.copyfileobj(response, f)
    except (urllib.error.URLError, TimeoutError, ConnectionError, ValueError) as err:
        reason = getattr(err, "reason", None) or err
        raise FetchError(
            f"{where}: cannot download {url} ({reason}); without internet, give a local `path` instead, "
            "or stage it where there is internet (`snakemake stage`) and copy it here with its .json record"
        ) from None
