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


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda c: c["toy_world"].update(noise=float("nan")), "toy_world.noise: must be a finite number, got nan"),
        (lambda c: c["toy_pretrain"].update(lr=float("nan")), "toy_pretrain.lr: must be a finite number, got nan"),
        (
            lambda c: c["backbones"]["toy_a"].update(preprocess={"mean": [0.5, float("nan"), 0.5]}),
            "backbones.toy_a.preprocess.mean[1]: must be a finite number, got nan",
        ),
        (lambda c: c["finetune"].update(lr=float("inf")), "finetune.lr: must be a finite number, got inf"),
    ],
)
def test_a_number_that_is_not_finite_is_named_at_start(micro, edit, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        _check(micro, edit)


@pytest.mark.parametrize(
    "edit",
    [
        lambda c: c["finetune"].update(seed=-5),
        lambda c: c["datasets"]["toy"]["split"].update(seed=1e30),
        lambda c: c["toy_world"].update(seed=2**32),
        lambda c: c["ensemble"].update(bootstrap_seed=-1),
        lambda c: c["backbones"]["toy_b"]["weights"]["toy"].update(seed=-2),
    ],
    ids=["finetune", "split", "toy_world", "bootstrap", "toy weights"],
)
def test_a_seed_numpy_would_refuse_is_refused_by_the_schema(micro, edit):
    with pytest.raises(Exception, match=r"(less than the minimum of 0|greater than the maximum of 4294967295)"):
        _check(micro, edit)


@pytest.mark.parametrize(
    "edit",
    [lambda c: c.update(prompt="a photo of a shape."), lambda c: c.update(zeroshot_templates=["a {}.", "a shape."])],
    ids=["prompt", "zeroshot_templates"],
)
def test_a_prompt_without_the_class_name_is_refused(micro, edit):
    """Without `{}` every class gets the same text: constant zero-shot logits, exit 0."""
    with pytest.raises(Exception, match=r"does not match '\\\\{\\\\}'|is not valid under any of the given schemas"):
        _check(micro, edit)


def test_a_weights_file_that_is_not_a_checkpoint_is_named_at_start(micro, tmp_path):
    (tmp_path / "weights.pt").write_bytes(b"<html>404 Not Found</html>")
    with pytest.raises(ValueError, match=r"backbones.toy_a.weights.file: weights.pt: not a checkpoint"):
        _check(micro, lambda c: c["backbones"]["toy_a"].update(weights={"file": "weights.pt"}))


def _tag_backbone(config):
    config["backbones"]["toy_a"].update(model="ViT-B-16", weights={"tag": "openai"})


def test_a_file_placed_where_a_tag_is_staged_is_refused_and_kept(micro, tmp_path):
    """A hand-placed file has no staging record: it is never fetched over (deleted), and the
    message names the key that brings a file of one's own."""
    placed = tmp_path / "resources" / "weights" / "toy_a.pt"
    placed.parent.mkdir(parents=True)
    placed.write_bytes(b"mine")
    with pytest.raises(ValueError, match=r"backbones.toy_a.weights.tag: resources/weights/toy_a.pt was not staged by"):
        _check(micro, _tag_backbone)
    with pytest.raises(ValueError, match=r"name it in backbones.toy_a.weights.file"):
        _check(micro, _tag_backbone)
    assert placed.read_bytes() == b"mine"


def test_a_staged_tag_of_another_source_is_refused(micro, tmp_path):
    from ltbias import staging

    staged = tmp_path / "resources" / "weights" / "toy_a.pt"
    staged.parent.mkdir(parents=True)
    staged.write_bytes(b"weights")
    staging.write_record(staged, {"model": "ViT-B-16", "tag": "laion2b_s34b_b88k"}, staged)
    with pytest.raises(
        ValueError, match=r"was staged from .*laion2b_s34b_b88k.*, the config asks for .*openai.*delete"
    ):
        _check(micro, _tag_backbone)
    staging.write_record(staged, {"model": "ViT-B-16", "tag": "openai"}, staged)
    _check(micro, _tag_backbone)  # its own record: accepted


def test_wildcard_values_keep_what_a_rules_constraints_match(micro):
    every = preflight.wildcard_values(micro, ["dataset", "backbone"])
    assert [c["backbone"] for c in every] == ["toy_a", "toy_b", "toy_c"]
    kept = preflight.wildcard_values(micro, ["dataset", "backbone"], {"backbone": "toy_a|toy_c", "seed": r"\d+"})
    assert kept == [c for c in every if c["backbone"] != "toy_b"]
    assert preflight.wildcard_values(micro, ["dataset", "backbone"], {"backbone": "toy_"}) == []  # whole values


def test_placeholders_are_named_in_one_sentence():
    found = preflight.placeholders(["mem_mb=1000", "slurm_account=CHANGE_ME"], {"finetune": {"runtime": "CHANGE_ME"}})
    assert found == ["default-resources slurm_account=CHANGE_ME", "set-resources finetune runtime=CHANGE_ME"]
    assert preflight.placeholder_message(found) == (
        "the profile's default-resources slurm_account=CHANGE_ME is a placeholder (2 in all)"
    )
    assert preflight.placeholder_message([]) is None
