"""Missing intermediates: the files that results on disk were built from and that are gone.

Snakemake deletes a job's outputs when the job starts and rebuilds a missing file only
when something that needs it is rebuilt. A job that fails or is killed after a change
upstream of it (new params, code, data, software) therefore leaves the results after it
standing, made by the older configuration, and a plain rerun plans nothing. Requested as
extra targets, these files are rebuilt, and Snakemake reruns everything after them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

__all__ = ["missing_intermediates"]


def missing_intermediates(
    targets: Iterable[str],
    job_of: Callable[[str], tuple[list[str], list[str]] | None],
    exists: Callable[[str], bool] = os.path.exists,
) -> list[str]:
    """Every workflow file that an existing file of `targets` was built from, directly or
    through other existing files, and that is missing; and every missing output of a job
    that made one of those existing files (its log-like outputs that nothing reads).

    `job_of(path)` gives the inputs and outputs of the job that makes `path`, or None when
    no job makes it (code, config files, data named by the config). Below a missing file
    the walk stops: its job will run, and Snakemake plans what that job needs.
    """
    known: dict[str, tuple[list[str], list[str]] | None] = {}

    def job(path: str) -> tuple[list[str], list[str]] | None:
        if path not in known:
            known[path] = job_of(path)
        return known[path]

    missing: set[str] = set()
    seen: set[str] = set()
    stack = [path for path in targets if exists(path)]
    while stack:
        found = job(stack.pop())
        if found is None:
            continue
        inputs, outputs = found
        missing.update(output for output in outputs if not exists(output))
        for source in inputs:
            if source in seen or job(source) is None:
                continue
            seen.add(source)
            if exists(source):
                stack.append(source)
            else:
                missing.add(source)
    return sorted(missing)
