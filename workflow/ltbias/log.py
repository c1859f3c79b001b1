"""Logging set-up shared by every rule script and command-line entry point."""

from __future__ import annotations

import itertools
import logging
import os
import sys
from pathlib import Path
from types import TracebackType

__all__ = ["setup"]

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup(log_path: str | os.PathLike | None = None, numbered: bool = False, level: int = logging.INFO) -> None:
    """Log to stderr and, if given, to `log_path`; with `numbered`, also to the first
    `<stem>.attempt<N><suffix>` beside it that does not exist yet (N = 1, 2, ...: Snakemake
    clears a rule's log before a retry, these stay); route uncaught exceptions there too.

    The excepthook makes the traceback of a crashed job land in the rule's log file,
    which is the file Snakemake shows with `--show-failed-logs`.
    """
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_path is not None:
        handlers.append(logging.FileHandler(log_path, mode="a", encoding="utf-8"))
        if numbered:
            path = Path(log_path)
            attempts = (path.with_name(f"{path.stem}.attempt{n}{path.suffix}") for n in itertools.count(1))
            handlers.append(logging.FileHandler(next(p for p in attempts if not p.exists()), encoding="utf-8"))
    logging.basicConfig(level=level, format=_FORMAT, handlers=handlers, force=True)

    def excepthook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        logging.getLogger("ltbias").error("uncaught exception", exc_info=(kind, value, tb))

    sys.excepthook = excepthook
