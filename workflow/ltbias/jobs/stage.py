"""Job `stage`: the files a config needs from outside the workflow, checked in one place.

Run where the internet is (`snakemake stage`); its inputs make Snakemake fetch every tag and
stage every list first. It prints each file as `sha256sum` does, so that a copy on another
machine can be verified with `sha256sum -c`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

from .. import files
from . import context

__all__ = ["run"]

logger = logging.getLogger(__name__)


def run(*, weights: Sequence[str], lists: Sequence[str], log: str | os.PathLike | None = None) -> None:
    """Print `<sha256>  <absolute path>` for every weight file and staged list."""
    context.start(log)
    for kind, paths in (("weights", weights), ("list", lists)):
        for path in paths:
            line = f"{files.sha256(path)}  {os.path.abspath(path)}"
            logger.info("%s %s", kind, line)
            print(line, flush=True)
