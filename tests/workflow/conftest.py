"""A finished micro run of the real Snakefile, shared by the workflow tests."""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path

import pytest

from helpers import REPO
from smk import copy_checkout, snakemake


@pytest.fixture(scope="session")
def micro_run(tmp_path_factory) -> Path:
    """A checkout copy that has run the micro config to completion (do not modify it): one
    per `pytest` run, which pytest-xdist's workers share (the first to ask runs it)."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the run's folder, above every worker's own
    checkout, done = shared / "micro" / "ltbias", shared / "micro" / "done"
    with open(shared / "micro.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(checkout.parent, ignore_errors=True)
            copy_checkout(checkout)
            result = snakemake(checkout, "--configfile", "tests/config/micro.yaml")
            assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
            done.touch()
    return checkout


@pytest.fixture
def finished_copy(micro_run: Path, tmp_path: Path) -> Path:
    """A private copy of the finished micro run (outputs, metadata and mtimes kept)."""
    target = tmp_path / "ltbias"
    shutil.copytree(micro_run, target, symlinks=True)
    return target


__all__ = ["REPO"]
