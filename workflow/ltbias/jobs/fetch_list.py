"""Job `fetch_list`: stage one split list or class-name file (copy or download, verify sha256)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from .. import fetch
from . import context

__all__ = ["Settings", "run", "settings"]


@dataclass(frozen=True)
class Settings:
    source: dict  # {path | url, sha256}
    where: str  # the config key, named in errors


def settings(cfg: dict, wildcards: Mapping[str, str]) -> Settings:
    dataset, name = wildcards["listed"].split("/", 1)
    return Settings(cfg["datasets"][dataset]["lists"][name], f"datasets.{dataset}.lists.{name}")


def run(settings: Settings, *, staged: str | os.PathLike, log: str | os.PathLike | None = None) -> None:
    context.start(log)
    fetch.fetch_file(settings.source, staged, settings.where)
