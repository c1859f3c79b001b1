"""Start-up checks: contradictions and missing local paths stop a run, naming the key."""

from __future__ import annotations

import copy
import re

import pytest
import yaml
from snakemake.utils import validate

from helpers import REPO
from ltbias import preflight
from ltbias.config import read_config


@pytest.fixture
def micro(tmp_path, monkeypatch) -> dict:
    """The micro config as the workflow sees it (defaults filled in), run from `tmp_path`."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "baselines.yaml").write_text("{}\n")
    config = read_config(REPO / "tests" / "config" / "micro.yaml")
    validate(config, str(preflight.SCHEMA))
    return config


def _check(config: dict, edit) -> list[str]:
    config = copy.deepcopy(config)
    edit(config)
    validate(config, str(preflight.SCHEMA))
    return preflight.check(config)


def _folder_dataset(root: str, **extra) -> dict:
    return {"source": "folder", "root": root, "backbones": ["toy_a"]} | extra


def _lists_dataset(root: str, train: str) -> dict:
    lists = {"train": {"path": train}, "test": {"path": train}, "classnames": {"path": train}}
    return {"source": "lists", "root": root, "lists": lists, "backbones": ["toy_a"]}


def test_the_micro_config_passes(micro):
    assert preflight.check(micro) == []


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        (
            lambda c: c["backbones"]["toy_a"].update(weights={"file": "gone.pt"}),
            "backbones.toy_a.weights.file: gone.pt",
        ),
        (lambda c: c["datasets"].update(mine=_folder_dataset("no/such/root")), "datasets.mine.root: no/such/root"),
        (
            lambda c: c["datasets"].update(mine=_folder_dataset(".", class_names="names.txt")),
            "datasets.mine.class_names: names.txt",
        ),
        (lambda c: c["datasets"].update(mine=_lists_dataset(".", "train.txt")), "datasets.mine.lists.train.path"),
        (lambda c: c.update(baselines="gone.yaml"), "baselines: gone.yaml"),
    ],
)
def test_a_missing_local_path_names_its_key(micro, edit, key):
    with pytest.raises(ValueError, match=re.escape(key)):
        _check(micro, edit)


def test_an_unused_backbone_s_weights_are_not_required(micro):
    _check(micro, lambda c: c["backbones"].update(spare={"model": "ltbias-toy-vit", "weights": {"file": "gone.pt"}}))


def test_a_cuda_device_without_a_gpu_is_refused(micro):
    with pytest.raises(ValueError, match=r"backbones.toy_a.finetune.device: 'cuda' needs a GPU.*compute.finetune.gpu"):
        _check(micro, lambda c: c["finetune"].update(device="cuda"))
    with pytest.raises(ValueError, match=r"evaluation.device: 'cuda:1' needs a GPU.*compute.logits.gpu"):
        _check(micro, lambda c: c["evaluation"].update(device="cuda:1"))


def test_a_nan_debias_lambda_is_refused(micro):
    with pytest.raises(ValueError, match=r"ensemble.debias_lambda: must be a finite number, got nan"):
        _check(micro, lambda c: c["ensemble"].update(debias_lambda=float("nan")))


def test_a_fine_tune_runtime_within_the_slurm_signal_lead_is_warned_about(micro):
    warnings = _check(micro, lambda c: c["compute"]["finetune"].update(runtime="5m"))
    assert len(warnings) == 1 and "compute.finetune.runtime: 5m" in warnings[0]
    assert _check(micro, lambda c: c["compute"]["finetune"].update(runtime="6m")) == []


def test_the_signal_lead_is_the_slurm_profile_s():
    profile = yaml.safe_load((REPO / "profiles" / "slurm" / "profile.yaml").read_text())
    signals = {rule: spec["slurm_extra"] for rule, spec in profile["set-resources"].items() if "slurm_extra" in spec}
    assert signals
    for extra in signals.values():
        assert f"--signal=TERM@{preflight.SIGNAL_LEAD_SECONDS}" in extra


@pytest.mark.parametrize(("runtime", "seconds"), [("30s", 30), ("5m", 300), ("12h", 43200), ("2d", 172800)])
def test_runtime_seconds(runtime, seconds):
    assert preflight.runtime_seconds(runtime) == seconds
