"""Shared fixtures: paths, a tiny toy world, and a tiny classifier."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from helpers import REPO, TOY_MODEL, rule_jobs
from ltbias import backbones, models, toyworld
from ltbias.config import Backbone

if os.environ.get("PYTEST_XDIST_WORKER"):
    torch.set_num_threads(1)  # one pytest-xdist worker per core: more threads only contend


@pytest.fixture
def small_world() -> toyworld.ToyWorld:
    colors = dict(list(toyworld.DEFAULT_COLORS.items())[:3])
    return toyworld.ToyWorld(colors=colors, patterns=("plain", "striped", "dotted"))


@pytest.fixture
def toy_weights(tmp_path: Path) -> Path:
    """A randomly initialised toy open_clip checkpoint written by the test."""
    torch.manual_seed(0)
    path = tmp_path / "toy_weights.pt"
    torch.save(backbones.random_clip(TOY_MODEL).state_dict(), path)
    return path


@pytest.fixture
def toy_preprocess() -> dict:
    return backbones.preprocess_config(Backbone("toy", TOY_MODEL, {"toy": {}}))


@pytest.fixture
def toy_classifier(
    toy_weights: Path, toy_preprocess: dict, small_world: toyworld.ToyWorld
) -> models.LongTailClassifier:
    clip = backbones.load_clip(TOY_MODEL, toy_weights, toy_preprocess)
    return models.build_classifier(clip, TOY_MODEL, small_world.class_names, "a photo of a {}.", 25.0)


@pytest.fixture(scope="session")
def job_imports() -> dict[str, list[str]]:
    """Job -> the package files (relative to workflow/ltbias) that a fresh interpreter reads
    when the job script loads that job (see tests/imports_probe.py)."""
    package = REPO / "workflow" / "ltbias"
    script = REPO / "workflow" / "scripts" / "job.py"
    jobs = sorted(set(rule_jobs().values()))
    command = [sys.executable, str(REPO / "tests" / "imports_probe.py"), str(script), str(package), *jobs]
    result = subprocess.run(command, capture_output=True, text=True, env={})
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/workflow/ runs the Snakefile: the `workflow` tier."""
    workflow = REPO / "tests" / "workflow"
    for item in items:
        if item.path.is_relative_to(workflow):
            item.add_marker(pytest.mark.workflow)
