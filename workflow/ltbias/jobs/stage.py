"""Job `stage`: the files a config needs from outside the workflow, checked in one place.

Run where the internet is (`snakemake stage`); its inputs make Snakemake fetch every tag and
stage every list first. It checks each file against its staging record and its pin, then
prints it as `sha256sum` does, so that a copy on another machine can be verified with
`sha256sum -c`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .. import experiment, fetch, files, layout, staging
from ..config import weights_kind
from . import context

__all__ = ["Settings", "run", "settings"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settings:
    pins: dict[str, str | None]  # path -> its pinned sha256 (lists, local weights files)


def settings(cfg: dict, wildcards: Mapping[str, str]) -> Settings:
    pins = {}
    for dataset in cfg["datasets"]:
        for name in experiment.list_origins(cfg, dataset):
            pins[layout.staged_list(dataset, name)] = fetch.pin(cfg["datasets"][dataset]["lists"][name])
    for backbone in experiment.used_backbones(cfg):
        weights = cfg["backbones"][backbone]["weights"]
        if weights_kind(weights) == "file":
            pins[weights["file"]] = weights.get("sha256")
    return Settings(pins)


def run(
    settings: Settings, *, weights: Sequence[str], lists: Sequence[str], log: str | os.PathLike | None = None
) -> None:
    """Check, then print `<sha256>  <absolute path>`, every weight file and staged list."""
    context.start(log)
    for kind, paths in (("weights", weights), ("list", lists)):
        for path in paths:
            staging.verify(path, settings.pins.get(path))
            line = f"{files.sha256(path)}  {os.path.abspath(path)}"
            logger.info("%s %s", kind, line)
            print(line, flush=True)
