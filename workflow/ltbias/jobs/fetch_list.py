"""Job `fetch_list`: stage one split list or class-name file (copy or download, verify sha256)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from .. import fetch
from . import context

__all__ = ["Settings", "run"]


@dataclass(frozen=True)
class Settings:
    source: dict  # {path | url, sha256}
    where: str  # the config key, named in errors


def run(settings: Settings, *, staged: str | os.PathLike, log: str | os.PathLike | None = None) -> None:
    context.start(log)
    fetch.fetch_file(settings.source, staged, settings.where)
