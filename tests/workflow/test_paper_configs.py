"""The paper configs against fake dataset roots: splits validate, the full DAG is planned."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import REPO, require_shared
from ltbias import lists
from smk import copy_checkout, planned_jobs, planned_wildcards, snakemake

CLUSTER_DOCS = REPO / "docs" / "cluster.md"
PAPER_DAG = {
    "fetch_weights": 3,
    "finetune": 3,
    "logits": 3,
    "zeroshot_logits": 3,
    "estimate_prior": 3,
    "ensemble": 1,
    "tables": 1,
    "claims": 1,
    "figures": 1,
    "all": 1,
}


def _touch(root: Path, list_file: Path) -> None:
    paths = lists.read_split_list(list_file)["path"]
    for folder in {str(Path(p).parent) for p in paths}:
        (root / folder).mkdir(parents=True, exist_ok=True)
    for path in paths:
        (root / path).touch()


def _config_override(dataset: str, root: Path, list_paths: dict[str, Path]) -> str:
    entries = ", ".join(f"{k}: {{path: {v}}}" for k, v in list_paths.items())
    return f"datasets={{{dataset}: {{root: {root}, lists: {{{entries}}}, decode_check: {{mode: none}}}}}}"


def _fake_imagenet_train(path: Path) -> None:
    wnids, _ = lists.read_class_names(require_shared("ImageNet_LT", "classnames.txt"))
    counts = np.random.default_rng(0).integers(2, 30, len(wnids))
    lines = [f"train/{w}/{w}_{i}.JPEG {label}" for label, w in enumerate(wnids) for i in range(counts[label])]
    path.write_text("\n".join(lines) + "\n")


def _fake_inat(tmp: Path) -> dict[str, Path]:
    names = [f"Genus{i:02d} species" for i in range(30)]
    ids = np.random.default_rng(1).permutation(30)  # category ids are not in name order
    categories = [{"id": int(i), "name": n} for i, n in zip(ids, names, strict=True)]
    (tmp / "categories.json").write_text(json.dumps(categories))
    train = [f"train_val2018/Plantae/{i}/{k}.jpg {i}" for i in ids for k in range(3 + int(i) % 7)]
    test = [f"train_val2018/Plantae/{i}/v{k}.jpg {i}" for i in ids for k in range(3)]
    (tmp / "train.txt").write_text("\n".join(train) + "\n")
    (tmp / "test.txt").write_text("\n".join(test) + "\n")
    return {"train": tmp / "train.txt", "test": tmp / "test.txt", "categories": tmp / "categories.json"}


def _lists(dataset: str, tmp: Path) -> dict[str, Path]:
    if dataset == "places_lt":
        return {s: require_shared("Places_LT", f"Places_LT_{s}.txt") for s in ("train", "val", "test")} | {
            "classnames": require_shared("Places_LT", "classnames.txt")
        }
    if dataset == "imagenet_lt":
        _fake_imagenet_train(tmp / "ImageNet_LT_train.txt")
        return {
            "train": tmp / "ImageNet_LT_train.txt",
            "val": require_shared("ImageNet_LT", "ImageNet_LT_val.txt"),
            "test": require_shared("ImageNet_LT", "ImageNet_LT_test.txt"),
            "classnames": require_shared("ImageNet_LT", "classnames.txt"),
        }
    return _fake_inat(tmp)


@pytest.mark.parametrize("dataset", ["places_lt", "imagenet_lt", "inat2018"])
def test_paper_config_validates_splits_and_plans_the_full_dag(dataset, tmp_path):
    checkout = copy_checkout(tmp_path / "ltbias")
    root = tmp_path / "data"
    list_paths = _lists(dataset, tmp_path)
    for key, path in list_paths.items():
        if key not in ("classnames", "categories"):
            _touch(root, path)
    args = ["--configfile", f"config/{dataset}.yaml", "--config", _config_override(dataset, root, list_paths)]
    classes_csv = f"results/{dataset}/splits/classes.csv"

    split = snakemake(checkout, classes_csv, *args)  # targets first: --config takes many values
    assert split.returncode == 0, split.stderr[-3000:]
    classes = pd.read_csv(checkout / classes_csv)
    if dataset == "places_lt":
        assert classes["d_group"].value_counts().to_dict() == {"D-Medium": 163, "D-Many": 131, "D-Few": 71}
        assert "apartment_building-outdoor" in classes["class_name"].tolist()
    if dataset == "inat2018":
        assert classes["class_name"].tolist() == sorted(classes["class_name"])

    plan = snakemake(checkout, *args, "--dry-run")
    assert plan.returncode == 0, plan.stderr[-3000:]
    assert planned_jobs(plan) == PAPER_DAG
    inputs = re.search(r"rule ensemble:\n\s+input: (.*?)\n", plan.stdout + plan.stderr).group(1)
    members = [f"results/{dataset}/logits/{b}/test.npz" for b in ("clip", "openclip", "metaclip")]
    assert all(m in inputs for m in members)  # the ensemble job evaluates all 7 subsets of these

    train = lists.read_split_list(list_paths["train"])
    removed = train["path"].iloc[len(train) // 2]
    (root / removed).unlink()
    broken = snakemake(checkout, classes_csv, "--forcerun", "make_splits", *args)
    assert broken.returncode != 0
    log = (checkout / "logs" / "make_splits" / f"{dataset}.log").read_text()
    assert "1 of" in log and "listed files are missing" in log and removed in log


def test_slurm_profile_plans_gpu_jobs_without_slurm_or_conda(tmp_path):
    checkout = copy_checkout(tmp_path / "ltbias")
    (tmp_path / "data").mkdir()
    override = f"datasets={{places_lt: {{root: {tmp_path / 'data'}}}}}"
    args = ["all", "table3", "fig3", "--configfile", "config/places_lt.yaml", "--config", override]
    plan = snakemake(checkout, *args, "--dry-run", "--sdm", "env-modules", profile="profiles/slurm")
    assert plan.returncode == 0, plan.stderr[-3000:]
    gla = {"gla_train": 1, "gla_train_logits": 1, "gla_tables": 1, "table3": 1}
    fig3 = {"fig3_finetune": 5, "fig3_logits": 5, "peft_loss_gaps": 1, "fig3": 1}
    assert planned_jobs(plan) == PAPER_DAG | {"fetch_list": 4, "make_splits": 1} | gla | fig3
    override = f"datasets={{imagenet_lt: {{root: {tmp_path / 'data'}}}}}"
    args = ["controls", "--configfile", "config/imagenet_lt_controls.yaml", "--config", override]
    controls = snakemake(checkout, *args, "--dry-run", "--sdm", "env-modules", profile="profiles/slurm")
    assert controls.returncode == 0, controls.stderr[-3000:]
    text = plan.stdout + plan.stderr + controls.stdout + controls.stderr
    finetune = re.findall(r"rule (?:\w*finetune|gla_train):.*?resources: (.*?)\n", text, flags=re.DOTALL)
    assert len(finetune) == 4 + 5 + 3 + 6
    for resources in finetune:
        print("planned finetune resources:", resources)
        assert "runtime=720" in resources and "mem_mb=32000" in resources
    for rule, resources in re.findall(r"rule (\w+):.*?resources: (.*?)\n", text, flags=re.DOTALL):
        on_gpu = "gpu=1" in resources
        assert on_gpu == (rule.endswith(("finetune", "logits")) or rule == "gla_train"), rule
        partition = "CHANGE_ME_gpu_partition" if on_gpu else "CHANGE_ME_cpu_partition"
        assert f"slurm_partition={partition}" in resources, (rule, resources)
    assert "Warning: the profile's default-resources slurm_account=CHANGE_ME_account is a placeholder" in text


def test_a_real_slurm_run_refuses_the_profiles_placeholders(tmp_path):
    """A dry run warns (above); a real run stops before any job is submitted."""
    checkout = copy_checkout(tmp_path / "ltbias")
    run = snakemake(
        checkout, "--configfile", "tests/config/micro.yaml", "--sdm", "env-modules", profile="profiles/slurm"
    )
    assert run.returncode != 0
    assert "slurm_account=CHANGE_ME_account is a placeholder (11 in all): fill in" in run.stdout + run.stderr
    assert not (checkout / "results").exists() and not (checkout / "logs" / "slurm").exists()


def test_the_paper_configs_share_one_backbone_definition():
    import yaml

    from helpers import REPO

    for dataset in ("imagenet_lt", "places_lt", "inat2018"):
        config = yaml.safe_load((REPO / "config" / f"{dataset}.yaml").read_text())
        assert "backbones" not in config, dataset
        assert config["extends"] == "config/paper.yaml"
        assert config["datasets"][dataset]["backbones"] == ["clip", "openclip", "metaclip"]


def test_the_five_backbone_config_plans_all_31_subsets(tmp_path):
    from ltbias.subsets import subsets

    checkout = copy_checkout(tmp_path / "ltbias")
    (tmp_path / "data").mkdir()
    override = f"datasets={{imagenet_lt: {{root: {tmp_path / 'data'}}}}}"
    args = ["--configfile", "config/imagenet_lt_plus.yaml", "--config", override]
    plan = snakemake(checkout, *args, "--dry-run")
    assert plan.returncode == 0, plan.stderr[-3000:]
    five = {"fetch_weights": 5, "finetune": 5, "logits": 5, "zeroshot_logits": 5}
    assert planned_jobs(plan) == PAPER_DAG | five | {"estimate_prior": 5, "fetch_list": 4, "make_splits": 1}
    inputs = re.search(r"rule ensemble:\n\s+input: (.*?)\n", plan.stdout + plan.stderr).group(1)
    members = re.findall(r"results/imagenet_lt/logits/(\w+)/test\.npz", inputs)
    assert members == ["clip", "openclip", "metaclip", "dfn", "metaclip_fullcc"]
    assert len(subsets(members)) == 31


STAND_IN_CONDA = """#!/bin/sh
# answers Snakemake's checks of a conda installation; builds no environment
case "$1" in
  info) echo '{"conda_version": "25.1.1", "conda_prefix": "/opt/conda", "root_prefix": "/opt/conda",
               "envs_dirs": [], "platform": "linux-64", "active_prefix": null}';;
  --version) echo "conda 25.1.1";;
  config) echo '{"get": {"channel_priority": "strict"}, "success": true}';;
  env) shift; while [ "$1" != "--prefix" ]; do shift; done; mkdir -p "$2/bin";;
  clean) ;;
  *) exit 1;;
esac
"""


def _cluster_steps(conda: bool, root: Path) -> list[str]:
    """The cluster docs' steps 2 and 3 as shell lines, for the variant with or without
    conda; network jobs and the run are dry runs."""
    section = CLUSTER_DOCS.read_text()
    blocks = [block.strip().splitlines() for block in re.findall(r"```bash\n(.*?)```", section, flags=re.DOTALL)]
    with_conda, without_conda = blocks[:2]
    lines = with_conda if conda else with_conda[1:2] + without_conda
    lines = [*lines, re.search(r"3\. Run: `([^`]*)`", section).group(1)]
    lines = [line.strip().replace("/data/imagenet", str(root)) for line in lines]
    dry = [line.startswith("$run") and "--conda-create-envs-only" not in line for line in lines]
    return [line + " --dry-run" * is_dry for line, is_dry in zip(lines, dry, strict=True)]


@pytest.mark.parametrize("conda", [True, False], ids=["conda", "no-conda"])
def test_the_cluster_steps_run_as_written(conda, tmp_path):
    """Steps 2 and 3 of docs/cluster.md, run by bash as a user would paste
    them (with a stand-in for conda, which this machine lacks): no target is swallowed by
    an option, the login-node step stages exactly the weights and lists, and the run plans
    the whole paper DAG."""
    checkout = copy_checkout(tmp_path / "ltbias")
    (tmp_path / "data").mkdir()
    stand_in = tmp_path / "bin"
    stand_in.mkdir()
    (stand_in / "conda").write_text(STAND_IN_CONDA)
    (stand_in / "conda").chmod(0o755)
    path = [str(stand_in)] * conda + [str(Path(sys.executable).parent), os.environ["PATH"]]
    steps = _cluster_steps(conda, tmp_path / "data")
    script = "set -e\n" + "".join(f"echo '=== {i}'\n{line} 2>&1\n" for i, line in enumerate(steps))
    env = os.environ | {"PATH": ":".join(path)}
    result = subprocess.run(["bash", "-c", script], cwd=checkout, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    outputs = re.split(r"^=== \d+$", result.stdout, flags=re.MULTILINE)[1:]
    dry_runs = [out for out, line in zip(outputs, steps, strict=True) if line.endswith("--dry-run")]
    plans = [planned_jobs(subprocess.CompletedProcess([], 0, out, "")) for out in dry_runs]
    assert plans[0] == {"fetch_weights": 3, "fetch_list": 4, "stage": 1}
    assert plans[1] == PAPER_DAG | {"fetch_list": 4, "make_splits": 1}


def test_fig3_on_imagenet_lt_fine_tunes_the_lift_backbone_once_per_new_cell(tmp_path):
    """`snakemake fig3` with the paper's ImageNet-LT config: AdaptFormer, VPT-shallow and
    VPT-deep under CE and LA is six cells, one of them (AdaptFormer + LA) the default run's."""
    checkout = copy_checkout(tmp_path / "ltbias")
    (tmp_path / "data").mkdir()
    override = f"datasets={{imagenet_lt: {{root: {tmp_path / 'data'}}}}}"
    plan = snakemake(checkout, "fig3", "--configfile", "config/imagenet_lt.yaml", "--config", override, "--dry-run")
    assert plan.returncode == 0, plan.stderr[-3000:]
    jobs = planned_jobs(plan)
    assert jobs["fig3_finetune"] == jobs["fig3_logits"] == 5 and jobs["finetune"] == 1
    cells = [("adaptformer", "ce")] + [(vpt, loss) for vpt in ("vpt_deep", "vpt_shallow") for loss in ("ce", "la")]
    expected = [f"dataset=imagenet_lt, backbone=clip, peft={peft}, loss={loss}" for peft, loss in cells]
    assert planned_wildcards(plan, "fig3_finetune") == sorted(expected)


def test_controls_on_imagenet_lt_fine_tune_two_more_seeds_of_each_backbone(tmp_path):
    checkout = copy_checkout(tmp_path / "ltbias")
    (tmp_path / "data").mkdir()
    override = f"datasets={{imagenet_lt: {{root: {tmp_path / 'data'}}}}}"
    args = ["--configfile", "config/imagenet_lt_controls.yaml", "--config", override, "--dry-run"]
    plan = snakemake(checkout, "controls", *args)
    assert plan.returncode == 0, plan.stderr[-3000:]
    jobs = planned_jobs(plan)
    assert jobs["replica_finetune"] == jobs["replica_logits"] == 6 and jobs["finetune"] == 3
    seeds = {w.split("seed=")[1] for w in planned_wildcards(plan, "replica_finetune")}
    assert seeds == {"1", "2"}
    default = planned_jobs(snakemake(checkout, *args))
    assert default == PAPER_DAG | {"fetch_list": 4, "make_splits": 1}  # the default target trains no replica
