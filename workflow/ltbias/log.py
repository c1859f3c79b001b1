"""Logging set-up shared by every rule script and command-line entry point."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from types import TracebackType

from .errors import JobError, Preempted

__all__ = ["FATAL_SUFFIX", "clear_fatal", "setup"]

FATAL_SUFFIX = ".fatal"  # beside a job's log: the error of a failed attempt that no retry can fix

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup(
    log_path: str | os.PathLike | None = None,
    attempt: int = 1,
    numbered: bool = False,
    level: int = logging.INFO,
) -> None:
    """Log to stderr and, if given, to `log_path`; with `numbered`, also to
    `<stem>.attempt<N><suffix>` beside it, N being Snakemake's attempt (Snakemake clears a
    rule's log before a retry, these stay; a SLURM requeue within one attempt appends).

    Uncaught exceptions land in the log, the file `--show-failed-logs` shows: a `JobError`
    as one line, a planned stop (`Preempted`) as information, anything else with its
    traceback. A `JobError` that a retry cannot fix is also written to `<stem>.fatal`; a
    retry that finds it stops at once with its message. The workflow removes these files
    when it starts (`clear_fatal`), so only a retry within one run finds one.
    """
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    fatal = None
    if log_path is not None:
        path = Path(log_path)
        handlers.append(logging.FileHandler(path, mode="a", encoding="utf-8"))
        if numbered:
            numbered_path = path.with_name(f"{path.stem}.attempt{attempt}{path.suffix}")
            handlers.append(logging.FileHandler(numbered_path, encoding="utf-8"))
        fatal = path.with_suffix(FATAL_SUFFIX)
    logging.basicConfig(level=level, format=_FORMAT, handlers=handlers, force=True)
    logger = logging.getLogger("ltbias")

    def excepthook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if isinstance(value, Preempted):
            logger.info("%s", value)
        elif isinstance(value, JobError):
            logger.error("%s: %s", kind.__name__, value)
            if fatal is not None and not value.retryable:
                fatal.write_text(f"{kind.__name__}: {value}\n", encoding="utf-8")
        else:
            logger.error("uncaught exception", exc_info=(kind, value, tb))

    sys.excepthook = excepthook
    if fatal is not None and fatal.exists():
        raise JobError(f"not retried: an earlier attempt failed with an error that a retry cannot fix ({_read(fatal)})")


def _read(fatal: Path) -> str:
    return fatal.read_text(encoding="utf-8").strip().removeprefix("JobError: ")


def clear_fatal(logs: str | os.PathLike = "logs") -> None:
    """Forget the unfixable errors of earlier runs: each run tries every job at least once."""
    for fatal in Path(logs).rglob(f"*{FATAL_SUFFIX}"):
        fatal.unlink(missing_ok=True)
