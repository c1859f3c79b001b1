"""Staging of small input files (split lists, class names): copy or download, verify, rename."""

from __future__ import annotations

import logging
import os
import shutil
import urllib.error
import urllib.request

from . import files
from .errors import FetchError, JobError

__all__ = ["UNPINNED", "ChecksumError", "fetch_file"]

logger = logging.getLogger(__name__)

UNPINNED = ("none", "null")  # `sha256` words that unpin a file: `--config` passes null as 'null'


class ChecksumError(JobError, ValueError):
    """A fetched file's sha256 differs from the pinned one."""


def fetch_file(source: dict, out_path: str | os.PathLike, where: str) -> str:
    """Copy `source["path"]` or download `source["url"]` to `out_path`, checking `sha256`.

    Returns the file's sha256. Nothing is left at `out_path` when the check fails.
    """
    with files.atomic_path(out_path) as tmp:
        if source.get("path"):
            shutil.copyfile(source["path"], tmp)
            origin = source["path"]
        elif source.get("url"):
            _download(source["url"], tmp, where)
            origin = source["url"]
        else:
            raise ValueError(f"{where}: give a path or a url")
        digest = files.sha256(tmp)
        expected = source.get("sha256")
        if expected and expected not in UNPINNED and digest != expected:
            raise ChecksumError(f"{where}: {origin} has sha256 {digest}, expected {expected}")
    logger.info("%s: %s -> %s (sha256 %s)", where, origin, out_path, digest)
    return digest


def _download(url: str, out_path: os.PathLike, where: str) -> None:
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(out_path, "wb") as f:
            shutil.copyfileobj(response, f)
    except (urllib.error.URLError, TimeoutError, ConnectionError, ValueError) as err:
        reason = getattr(err, "reason", None) or err
        raise FetchError(
            f"{where}: cannot download {url} ({reason}); without internet, give a local `path` instead"
        ) from None
