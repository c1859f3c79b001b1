"""What every job does first: log to the rule's log file and note when it started."""

from __future__ import annotations

import os
from dataclasses import dataclass

from .. import log, provenance

__all__ = ["Job", "start"]


@dataclass(frozen=True)
class Job:
    """A started job; `record` is its provenance (config slice, versions, host, times)."""

    started: str

    def record(self, config: dict, **facts: object) -> dict:
        return provenance.record(config, self.started, **facts)


def start(log_path: str | os.PathLike | None, attempt: int = 1, numbered: bool = False) -> Job:
    """Log to stderr and `log_path` and start the job's clock; with `numbered`, also to
    `<log_path stem>.attempt<N><suffix>` for Snakemake's `attempt` N. A retry of a job that
    failed with an error no retry can fix stops here (`log.setup`)."""
    log.setup(log_path, attempt, numbered)
    return Job(provenance.now())
