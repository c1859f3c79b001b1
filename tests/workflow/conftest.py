"""A finished micro run of the real Snakefile, shared by the workflow tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers import REPO
from smk import copy_checkout, snakemake


@pytest.fixture(scope="session")
def micro_run(tmp_path_factory) -> Path:
    """A checkout copy that has run the micro config to completion (do not modify it)."""
    checkout = copy_checkout(tmp_path_factory.mktemp("micro") / "ltbias")
    result = snakemake(checkout, "--configfile", "tests/config/micro.yaml")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return checkout


@pytest.fixture
def finished_copy(micro_run: Path, tmp_path: Path) -> Path:
    """A private copy of the finished micro run (outputs, metadata and mtimes kept)."""
    target = tmp_path / "ltbias"
    shutil.copytree(micro_run, target, symlinks=True)
    return target


__all__ = ["REPO"]
