"""Staging of small input files (split lists, class names): copy or download, verify, rename."""

from __future__ import annotations

import logging
import os
import shutil
import urllib.request

from . import files

__all__ = ["ChecksumError", "fetch_file"]

logger = logging.getLogger(__name__)


class ChecksumError(ValueError):
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
            with urllib.request.urlopen(source["url"], timeout=60) as response, open(tmp, "wb") as f:
                shutil.copyfileobj(response, f)
            origin = source["url"]
        else:
            raise ValueError(f"{where}: give a path or a url")
        digest = files.sha256(tmp)
        expected = source.get("sha256")
        if expected and digest != expected:
            raise ChecksumError(f"{where}: {origin} has sha256 {digest}, expected {expected}")
    logger.info("%s: %s -> %s (sha256 %s)", where, origin, out_path, digest)
    return digest
