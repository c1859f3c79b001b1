"""The recipes of config/examples/, run end to end in one checkout as a user would run them
one after the other: each example's CPU command exactly as its header writes it (with
config/examples/cpu_toy.yaml, which stands toy backbones in for the paper's ViT-B/16 and
trains on the CPU), on small generated data at the paths the examples name. The ViT-B/16
path itself is test_real_architecture's; staging a tag is the last test's.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch
import yaml

from helpers import REPO
from ltbias import backbones, files, toyworld
from smk import copy_checkout, planned_jobs, planned_wildcards, snakemake

TOY = "ltbias-toy-vit"
SPLIT = {"max_count": 12, "min_count": 2, "val_per_class": 2}
MICRO = yaml.safe_load((REPO / "tests/config/micro.yaml").read_text())
SMALL = {
    "backbones": {key: {"model": TOY, "weights": {"file": f"weights/{key}.pt"}} for key in ("toy_a", "toy_b")},
    "finetune": MICRO["finetune"] | {"precision": "fp32"},
    "evaluation": MICRO["evaluation"],
    "compute": MICRO["compute"],
}
TAG_SEAM = {"PYTHONPATH": str(Path(__file__).parent / "toy_tag"), "LTBIAS_TOY_TAG": "dfn2b"}
WORLD = toyworld.ToyWorld(colors=dict(list(toyworld.DEFAULT_COLORS.items())[:2]), patterns=("plain", "striped"))
POOL = 412  # train images per class: the examples' head class (400) and val (10), and then some


def documented(example: str) -> str:
    """The CPU command of the example's header, as written there."""
    header = (REPO / "config" / "examples" / f"{example}.yaml").read_text()
    line = next(line for line in header.splitlines() if "cpu_toy.yaml" in line and "snakemake" in line)
    return line.lstrip("#").split("   # ")[0].strip()


def run_documented(checkout: Path, example: str, *extra: str) -> subprocess.CompletedProcess:
    """The documented command in bash, in the checkout, with this environment's snakemake."""
    command = " ".join([documented(example), *extra])
    assert command.startswith("snakemake --cores all --configfile config/examples/"), command
    env = os.environ | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(["bash", "-c", command], cwd=checkout, capture_output=True, text=True, env=env, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def write_config(checkout: Path, example: str, overrides: dict) -> str:
    """`tests_<example>.yaml`: the example, extended by the small-world overrides."""
    path = f"tests_{example}.yaml"
    merged = {"extends": f"config/examples/{example}.yaml"} | overrides
    merged["backbones"] = SMALL["backbones"] | overrides.get("backbones", {})
    (checkout / path).write_text(yaml.safe_dump(merged, sort_keys=False))
    return path


def run_example(checkout: Path, example: str, overrides: dict, *args: str, env=None):
    configfile = write_config(checkout, example, SMALL | overrides)
    result = snakemake(checkout, *args, "--configfile", configfile, env=env)  # targets first
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def write_lists(root: Path) -> None:
    """Images in class folders under `root`, and the lists of split_lists.yaml over them:
    a long-tailed train list, a balanced val list from the rest, a test list."""
    toyworld.write_raw_dataset(WORLD, root, {"train": 14, "val": 3})
    folders = [line.split()[0] for line in (root / "classnames.txt").read_text().splitlines()]
    train, val = [], []
    for label, (folder, count) in enumerate(zip(folders, (12, 6, 3, 2), strict=True)):
        images = sorted((root / "train" / folder).iterdir())
        train += [f"train/{folder}/{p.name} {label}" for p in images[:count]]
        val += [f"train/{folder}/{p.name} {label}" for p in images[count : count + 2]]
    test = [f"val/{f}/{p.name} {i}" for i, f in enumerate(folders) for p in sorted((root / "val" / f).iterdir())]
    for name, lines in (("train", train), ("val", val), ("test", test)):
        (root / f"{name}.txt").write_text("\n".join(lines) + "\n")
    names = [f"{label} {name}" for label, name in enumerate(WORLD.class_names)]
    (root / "classnames.txt").write_text("\n".join(names) + "\n")


def save_toy_weights(path: Path, seed: int) -> None:
    torch.manual_seed(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(backbones.random_clip(TOY).state_dict(), path)


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    checkout = copy_checkout(tmp_path_factory.mktemp("examples") / "ltbias")
    toyworld.write_raw_dataset(WORLD, checkout / "data/my_images", {"train": POOL, "val": 3})
    write_lists(checkout / "data/my_lists")
    return checkout


def subsets(checkout: Path, dataset: str) -> set[str]:
    return set(pd.read_csv(checkout / f"results/{dataset}/ensembles/metrics.csv")["subset"])


def test_image_folder(checkout):
    run_documented(checkout, "image_folder")
    splits = {s: pd.read_csv(checkout / f"results/my_images/splits/{s}.csv") for s in ("train", "val", "test")}
    assert splits["val"].groupby("label").size().tolist() == [10] * 4
    assert not set(splits["val"]["path"]) & set(splits["train"]["path"])
    assert splits["train"].groupby("label").size().max() == 400 and len(splits["test"]) == 12
    assert subsets(checkout, "my_images") == {
        "clip", "openclip", "metaclip", "clip+openclip", "clip+metaclip", "openclip+metaclip", "clip+openclip+metaclip"
    }  # fmt: skip
    table = (checkout / "results/my_images/tables/table8.md").read_text()
    assert "CLIP (toy)" in table and "MetaCLIP (toy)" in table  # the stand-ins say what they are


def test_split_lists(checkout):
    run_documented(checkout, "split_lists")
    for split in ("train", "val", "test"):
        listed = [line.split()[0] for line in (checkout / f"data/my_lists/{split}.txt").read_text().splitlines()]
        assert pd.read_csv(checkout / f"results/my_lists/splits/{split}.csv")["path"].tolist() == listed
    assert (checkout / "results/my_lists/tables/table8.csv").is_file()


def test_split_lists_without_val(checkout):
    run_documented(checkout, "split_lists_no_val")
    train = pd.read_csv(checkout / "results/my_lists_no_val/splits/train.csv")
    val = pd.read_csv(checkout / "results/my_lists_no_val/splits/val.csv")
    assert set(val["path"]) <= set(train["path"])  # drawn from train
    metrics = pd.read_csv(checkout / "results/my_lists_no_val/ensembles/metrics.csv")
    assert set(metrics["fitted_on"].dropna()) == {"test, 2-fold"}  # never on the val that overlaps train


def test_editing_a_split_list_reruns_its_staging_and_everything_downstream(checkout):
    train = checkout / "data/my_lists/train.txt"
    listed = train.read_text()
    train.touch()  # a touch is not an edit
    assert planned_jobs(run_documented(checkout, "split_lists", "-n")) == {}
    train.write_text("\n".join(listed.splitlines()[1:]) + "\n")  # one image fewer
    try:
        plan = run_documented(checkout, "split_lists", "-n")
    finally:
        train.write_text(listed)  # as it was: the later tests find a finished run
    assert planned_wildcards(plan, "fetch_list") == ["listed=my_lists/train"]
    chain = dict.fromkeys(("finetune", "logits", "zeroshot_logits", "estimate_prior"), 3)
    assert planned_jobs(plan) == {"fetch_list": 1, "make_splits": 1} | chain | {
        "ensemble": 1, "tables": 1, "claims": 1, "figures": 1, "all": 1
    }  # fmt: skip


@pytest.mark.parametrize(("example", "new"), [("local_backbone", "my_clip"), ("open_clip_tag", "dfn")])
def test_a_fourth_backbone_runs_only_its_own_chain(checkout, example, new):
    plan = planned_jobs(run_documented(checkout, example, "-n"))
    chain = ("pretrain_toy", "zeroshot_logits", "estimate_prior", "finetune", "logits")
    assert plan == dict.fromkeys(chain, 1) | {"ensemble": 1, "tables": 1, "claims": 1, "figures": 1, "all": 1}
    run_documented(checkout, example)
    found = subsets(checkout, "my_images")
    assert len(found) == 15 and f"clip+openclip+metaclip+{new}" in found


def test_open_clip_tag_staged_ahead_runs_without_its_source(checkout, tmp_path):
    """`snakemake stage` fetches the tag (open_clip's own download, from a file:// URL) and a
    dataset's lists given as URLs, and prints every file with its sha256; the run then
    needs none of the sources. (The lists' dataset is planned, not run: its chain is the
    split_lists test's.)"""
    source = tmp_path / "dfn2b.pt"
    save_toy_weights(source, 4)
    for seed, key in enumerate(("toy_a", "toy_b"), start=1):
        save_toy_weights(checkout / f"weights/{key}.pt", seed)
    lists = {}
    for name in ("train", "test", "classnames"):
        (tmp_path / f"{name}.txt").write_bytes((checkout / f"data/my_lists/{name}.txt").read_bytes())
        lists[name] = {"url": (tmp_path / f"{name}.txt").as_uri(), "sha256": files.sha256(tmp_path / f"{name}.txt")}
    online = {"source": "lists", "root": "data/my_lists", "lists": lists, "backbones": ["toy_a", "toy_b"]}
    my_images = {"backbones": ["dfn"], "split": SPLIT}
    overrides = {"datasets": {"my_images": my_images, "online": online}, "backbones": {"dfn": {"model": TOY}}}
    env = TAG_SEAM | {"LTBIAS_TOY_TAG_URL": source.as_uri()}
    staged = run_example(checkout, "open_clip_tag", overrides, "stage", "--cores", "1", env=env)
    lines = [line.split("  ", 1) for line in staged.stdout.splitlines() if re.match("[0-9a-f]{64}  ", line)]
    printed = {path: digest for digest, path in lines}
    expected = [checkout / "resources/weights/dfn.pt", *(checkout / f"weights/toy_{k}.pt" for k in "ab")]
    expected += [checkout / f"resources/lists/online/{name}" for name in lists]
    assert sorted(printed) == sorted(str(path) for path in expected)
    assert all(printed[str(path)] == files.sha256(path) for path in expected)
    for path in tmp_path.iterdir():
        if path.is_file():
            os.remove(path)  # the run must not need any source again
    elsewhere = copy_checkout(tmp_path / "elsewhere")  # staged files copied in, no metadata
    for part in ("resources", "data", "weights"):
        shutil.copytree(checkout / part, elsewhere / part)  # as `cp -a`: the staged files keep their times
    for code in (elsewhere / "workflow").rglob("*.py"):
        code.touch()  # code checked out after staging, the job script every rule runs included
    (elsewhere / "tests_open_clip_tag.yaml").write_bytes((checkout / "tests_open_clip_tag.yaml").read_bytes())
    plan = snakemake(elsewhere, "-n", "--configfile", "tests_open_clip_tag.yaml", env=env)
    assert plan.returncode == 0 and planned_jobs(plan)["finetune"] == 3, plan.stderr[-3000:]
    assert not {"fetch_weights", "fetch_list"} & set(planned_jobs(plan))
    plan = run_example(checkout, "open_clip_tag", overrides, "-n", env=env)
    assert "dataset=online" in planned_wildcards(plan, "make_splits")
    assert not {"fetch_weights", "fetch_list"} & set(planned_jobs(plan))
    del overrides["datasets"]["online"]
    zeroshot = "results/my_images/zeroshot/dfn/val.npz"  # the first job to read the staged tag
    run = run_example(checkout, "open_clip_tag", overrides, zeroshot, env=env)
    output = run.stdout + run.stderr
    assert "rule zeroshot_logits:" in output and "rule fetch_weights" not in output
